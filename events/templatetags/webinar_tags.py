"""The home page's slot for upcoming webinars (home loads this tag; it never imports events)."""

from django import template

register = template.Library()


@register.inclusion_tag("events/includes/upcoming_webinars.html", takes_context=True)
def upcoming_webinars(context, limit=3):
    # The webinar catalogue fills this list once WebinarPage exists; until then the
    # home page says that nothing is scheduled.
    return {"webinars": [], "request": context.get("request"), "limit": limit}
