"""The webinar catalogue's calendars: the public feed of every published webinar and one
webinar's "add to calendar" file. Neither carries a join link or anyone's personal data."""

from django.http import Http404, HttpResponse
from django.views.decorators.http import require_GET

from events.calendar import build_feed, helpdesk_mailbox
from events.models import WebinarPage
from home.pagecache import mark_cacheable

FEED_NAME = "CMSS webinars"
FEED_DESCRIPTION = "Webinars of the CMSS clinicians' network."


def public_webinars():
    return WebinarPage.objects.live().public().order_by("start", "pk")


def _calendar_response(body, filename):
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _absolute(request, webinar):
    return request.build_absolute_uri(webinar.url) if webinar.url else ""


@require_GET
def webinar_feed(request):
    """/webinars/feed.ics: every published webinar, cancelled ones marked STATUS:CANCELLED."""
    webinars = public_webinars().only(
        "title",
        "url_path",
        "summary",
        "start",
        "end",
        "time_zone",
        "state",
        "calendar_uid",
        "sequence",
        "live",
    )
    events = [webinar.calendar_event(_absolute(request, webinar)) for webinar in webinars]
    body = build_feed(events, FEED_NAME, FEED_DESCRIPTION, organiser_email=helpdesk_mailbox())
    mark_cacheable(request)
    return _calendar_response(body, "cmss-webinars.ics")


@require_GET
def webinar_calendar(request, slug):
    """/webinars/<slug>/calendar.ics: one webinar, as in the feed, for "add to calendar"."""
    webinar = public_webinars().filter(slug=slug).first()
    if webinar is None:
        raise Http404("No such webinar.")
    body = build_feed(
        [webinar.calendar_event(_absolute(request, webinar))],
        webinar.title,
        organiser_email=helpdesk_mailbox(),
    )
    mark_cacheable(request)
    return _calendar_response(body, f"{webinar.slug}.ics")
