"""The helpdesk's panels on the Wagtail admin home: what needs doing today in events (case
conference requests and webinar proposals waiting, failed Webex bookings, recordings awaiting
sync, announcements sending) and the webinars of the next seven days with their fill rate.

Shown to the Helpdesk group and the administrators only. Each figure links to the filtered list
it counts. Every panel costs a fixed number of queries, whatever the number of rows: counts are
aggregates, and what is listed is cut to a few rows (with the list link for the rest).
"""

import datetime

from django.db.models import Count, Q
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.http import urlencode
from wagtail.admin.ui.components import Component

from directory.models import Announcement
from directory.services.access import is_helpdesk
from events.models import (
    ConferenceRequest,
    Registration,
    WebexBooking,
    WebinarPage,
    WebinarProposal,
)
from events.services.recordings import webinars_to_sync

SHOWN = 5  # rows listed in a panel; its list link shows them all
UPCOMING_DAYS = 7

LIST_RIGHTS = ("view", "change")
CONFERENCES_WAITING = (ConferenceRequest.Status.SUBMITTED, ConferenceRequest.Status.POLLING)
FAILED_BOOKING_STATUSES = (WebexBooking.Status.PENDING, WebexBooking.Status.CANCELLING)


def for_helpdesk(user):
    """Whether ``user`` gets the helpdesk's panels: a superuser or a member of the Helpdesk group
    (the group names are read once per request: the user object keeps them)."""
    return is_helpdesk(user)


def modeladmin_index_url(user, model, query=""):
    """The helpdesk list of ``model`` filtered by ``query``, or "" if ``user`` may not open it
    (the list would only send them back to the dashboard)."""
    opts = model._meta
    if not any(
        user.has_perm(f"{opts.app_label}.{right}_{opts.model_name}") for right in LIST_RIGHTS
    ):
        return ""
    url = reverse(f"{opts.app_label}_{opts.model_name}_modeladmin_index")
    return f"{url}?{query}" if query else url


def optional_url(name, *args):
    """The URL of ``name``, or "" while the view that serves it is not installed."""
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return ""


def failed_bookings():
    """Bookings Webex refused: still pending after an error, or a cancellation that failed."""
    return WebexBooking.objects.filter(status__in=FAILED_BOOKING_STATUSES).exclude(last_error="")


class EventQueuesPanel(Component):
    """One row per queue: how many wait, and the link to the filtered list."""

    name = "cmss_event_queues"
    template_name = "events/admin/dashboard_queues.html"
    order = 60

    def __init__(self, user):
        self.user = user

    def get_context_data(self, parent_context=None):
        conferences = ConferenceRequest.objects.aggregate(
            waiting=Count("pk", filter=Q(status__in=CONFERENCES_WAITING)),
            urgent=Count(
                "pk",
                filter=Q(status__in=CONFERENCES_WAITING, urgency=ConferenceRequest.Urgency.URGENT),
            ),
        )
        proposals = WebinarProposal.objects.filter(status=WebinarProposal.Status.NEW).count()
        bookings = failed_bookings().aggregate(
            pending=Count("pk", filter=Q(status=WebexBooking.Status.PENDING)),
            cancelling=Count("pk", filter=Q(status=WebexBooking.Status.CANCELLING)),
        )
        user = self.user
        rows = [
            {
                "label": "Case conference requests waiting (submitted or asking invitees)",
                "count": conferences["waiting"],
                "note": f"{conferences['urgent']} urgent" if conferences["urgent"] else "",
                "url": modeladmin_index_url(
                    user,
                    ConferenceRequest,
                    urlencode({"status__in": ",".join(CONFERENCES_WAITING)}),
                ),
            },
            {
                "label": "Webinar proposals waiting (new)",
                "count": proposals,
                "note": "",
                "url": modeladmin_index_url(user, WebinarProposal, "status__exact=new"),
            },
            {
                "label": "Webex bookings that failed (waiting for Webex after an error)",
                "count": bookings["pending"],
                "note": "",
                "url": modeladmin_index_url(
                    user, WebexBooking, "status__exact=pending&last_error__gt="
                ),
            },
            {
                "label": "Webex cancellations that failed",
                "count": bookings["cancelling"],
                "note": "",
                "url": modeladmin_index_url(
                    user, WebexBooking, "status__exact=cancelling&last_error__gt="
                ),
            },
        ]
        return {"rows": rows}


class UpcomingWebinarsPanel(Component):
    """Webinars starting in the next seven days: places taken of capacity, and the waiting list."""

    name = "cmss_upcoming_webinars"
    template_name = "events/admin/dashboard_webinars.html"
    order = 70

    def get_context_data(self, parent_context=None):
        now = timezone.now()
        upcoming = (
            WebinarPage.objects.filter(
                start__gte=now, start__lt=now + datetime.timedelta(days=UPCOMING_DAYS)
            )
            .exclude(state=WebinarPage.State.CANCELLED)
            .annotate(
                confirmed=Count(
                    "registrations",
                    filter=Q(registrations__status=Registration.Status.CONFIRMED),
                ),
                waiting=Count(
                    "registrations", filter=Q(registrations__status=Registration.Status.WAITING)
                ),
            )
            .order_by("start", "pk")
            .only("title", "start", "capacity", "live")
        )
        webinars = list(upcoming[: SHOWN * 2 + 1])
        more = len(webinars) > SHOWN * 2
        rows = []
        for webinar in webinars[: SHOWN * 2]:
            rate = round(100 * webinar.confirmed / webinar.capacity) if webinar.capacity else None
            rows.append(
                {
                    "webinar": webinar,
                    "confirmed": webinar.confirmed,
                    "waiting": webinar.waiting,
                    "capacity": webinar.capacity,
                    "rate": rate,
                    "url": reverse("events_webinar_registrations", args=[webinar.pk]),
                }
            )
        return {
            "rows": rows,
            "more": more,
            "days": UPCOMING_DAYS,
            "heading": f"Webinars in the next {UPCOMING_DAYS} days",
            "statistics_url": optional_url("events_statistics"),
        }


class RecordingsAndAnnouncementsPanel(Component):
    """Recordings Webex should have by now but the site does not, and announcements on their way."""

    name = "cmss_recordings_announcements"
    template_name = "events/admin/dashboard_recordings.html"
    order = 80

    def get_context_data(self, parent_context=None):
        to_sync = webinars_to_sync().select_related(None).only("title", "end")
        recordings = list(to_sync[: SHOWN + 1])
        sending = list(
            Announcement.objects.filter(status=Announcement.Status.SENDING)
            .annotate(done=Count("recipients", filter=Q(recipients__message__isnull=False)))
            .order_by("sending_started_at", "pk")
            .only("subject", "recipients_total", "sending_started_at")[: SHOWN + 1]
        )
        return {
            "recordings": [
                (webinar, reverse("wagtailadmin_pages:edit", args=[webinar.pk]))
                for webinar in recordings[:SHOWN]
            ],
            "recordings_more": len(recordings) > SHOWN,
            "announcements": [
                {
                    "announcement": announcement,
                    "done": announcement.done,
                    "total": announcement.recipients_total,
                    "url": optional_url("announcement_detail", announcement.pk),
                }
                for announcement in sending[:SHOWN]
            ],
            "announcements_more": len(sending) > SHOWN,
            "announcement_list_url": optional_url("announcement_list"),
        }


def construct_homepage_panels(request, panels):
    """Wagtail hook: the events panels, for the helpdesk and the administrators."""
    if for_helpdesk(request.user):
        panels.extend(
            [
                EventQueuesPanel(request.user),
                UpcomingWebinarsPanel(),
                RecordingsAndAnnouncementsPanel(),
            ]
        )
