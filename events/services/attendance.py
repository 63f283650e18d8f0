"""Who attended a webinar, read from Webex once it has ended.

Webex lists a webinar's ended instance a quarter of an hour after it ends; its participants come
from GET /meetingParticipants. Each participant is matched to a registrant by email, whatever the
case; a person who joined more than once (a dropped connection, a second device) is counted once
per minute: their joined/left intervals are merged before they are summed. The result is stored on
each confirmed registration (``attended``, ``minutes_attended``) and the webinar is marked read
(``attendance_read_at``) in one transaction, under the webinar's row lock, so two runs at once
store it once. Webex is asked outside that transaction.
"""

import datetime
import logging

from django.db import transaction
from django.utils import timezone

from events.models import Registration, WebexBooking, WebinarPage
from events.webex import WebexError, get_backend

logger = logging.getLogger(__name__)

# Webex lists an ended meeting 15 minutes after it ends.
READ_AFTER = datetime.timedelta(minutes=20)
# A webinar whose attendance could not be read for this long is left alone (Webex keeps
# participant data for a limited time).
GIVE_UP_AFTER = datetime.timedelta(days=30)


def webinars_to_read(now=None):
    """Published webinars (not cancelled) that ended long enough ago, booked on Webex, whose
    attendance is not read yet."""
    now = now or timezone.now()
    return (
        WebinarPage.objects.filter(
            live=True,
            attendance_read_at__isnull=True,
            end__lte=now - READ_AFTER,
            end__gte=now - GIVE_UP_AFTER,
            booking__status=WebexBooking.Status.BOOKED,
        )
        .exclude(state=WebinarPage.State.CANCELLED)
        .exclude(booking__webex_meeting_id="")
        .select_related("booking")
        .order_by("end")
    )


def read_attendance(now=None):
    """Read the attendance of every webinar due; returns {"read": n, "failed": n}. A webinar
    Webex does not list yet, or whose reading failed (logged), is tried again next time."""
    counts = {"read": 0, "failed": 0}
    for webinar in webinars_to_read(now):
        try:
            if read_webinar(webinar) is not None:
                counts["read"] += 1
        except WebexError as error:
            counts["failed"] += 1
            logger.warning("Attendance of webinar %s not read: %s", webinar.pk, error)
    return counts


def read_webinar(webinar, backend=None):
    """Read ``webinar``'s attendance from Webex and store it; returns the number of registrants
    who attended, or None when Webex has no ended instance yet or another run stored it first.
    Raises WebexError."""
    backend = backend or get_backend()
    series = webinar.booking.webex_meeting_id
    instances = backend.ended_instances(series, start=webinar.start, end=webinar.end)
    if not instances:
        return None
    intervals = {}
    for instance in instances:
        for participant in backend.list_participants(instance):
            email = participant.email.strip().lower()
            if not email or participant.joined is None:
                continue
            left = participant.left or max(webinar.end, participant.joined)
            intervals.setdefault(email, []).append((participant.joined, left))
    minutes = {email: minutes_in(spans) for email, spans in intervals.items()}
    return store(webinar, minutes)


def minutes_in(spans):
    """Whole minutes covered by the (joined, left) ``spans``, overlaps counted once."""
    total = datetime.timedelta(0)
    current_start = current_end = None
    for start, end in sorted(spans):
        if end <= start:
            continue
        if current_end is None or start > current_end:
            if current_end is not None:
                total += current_end - current_start
            current_start, current_end = start, end
        else:
            current_end = max(current_end, end)
    if current_end is not None:
        total += current_end - current_start
    return round(total.total_seconds() / 60)


def store(webinar, minutes):
    """Store ``minutes`` ({lower-case email: minutes}) on the webinar's confirmed registrations
    and mark it read, once. Returns how many attended, or None if it was already read."""
    with transaction.atomic():
        locked = (
            WebinarPage.objects.select_for_update(of=("self",))
            .only("pk", "attendance_read_at")
            .get(pk=webinar.pk)
        )
        if locked.attendance_read_at is not None:
            return None
        attended = 0
        now = timezone.now()
        registrations = Registration.objects.filter(
            webinar_id=webinar.pk, status=Registration.Status.CONFIRMED, erased=False
        )
        for pk, email in registrations.values_list("pk", "email"):
            spent = minutes.get(email.lower())
            # An update, not save(): no place changes hands, so the cached pages stay.
            Registration.objects.filter(pk=pk).update(
                attended=spent is not None, minutes_attended=spent or 0, updated_at=now
            )
            attended += spent is not None
        WebinarPage.objects.filter(pk=webinar.pk).update(attendance_read_at=now)
        webinar.attendance_read_at = now
    logger.info("Attendance of webinar %s read: %s attended", webinar.pk, attended)
    return attended
