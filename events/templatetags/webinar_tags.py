"""The home page's slot for upcoming webinars (home loads this tag; it never imports events),
and small helpers of the webinar templates."""

from django import template
from django.utils import timezone

from events.models import WebinarPage

register = template.Library()


@register.inclusion_tag("events/includes/upcoming_webinars.html", takes_context=True)
def upcoming_webinars(context, limit=3):
    """The next ``limit`` scheduled webinars that have not ended, soonest first."""
    webinars = list(
        WebinarPage.objects.live()
        .public()
        .filter(state=WebinarPage.State.SCHEDULED, end__gt=timezone.now())
        .order_by("start", "pk")
        .only("title", "url_path", "summary", "start", "end", "time_zone", "state")[:limit]
    )
    catalogue = webinars[0].get_parent() if webinars else None
    return {
        "webinars": webinars,
        "catalogue": catalogue,
        "request": context.get("request"),
        "limit": limit,
    }


@register.filter
def in_zone(value, zone_name):
    """An aware datetime in the named zone."""
    import zoneinfo

    return value.astimezone(zoneinfo.ZoneInfo(zone_name))
