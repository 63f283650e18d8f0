"""Booking meetings and webinars on Webex without losing any.

A booking row exists before Webex is asked. Each call takes the row's lock only long enough
to claim the booking for one worker (so two workers never talk to Webex about the same
booking at once), talks to Webex with no transaction open, then stores the answer. When
Webex fails, the booking keeps its status, the error and its trackingId are stored on it,
and `retry()` (from the admin, or a task) picks it up again. A booking's integration tag
lets a retry find a meeting an earlier try made before its answer was lost.

Tasks call these functions with a primary key; each is safe to run twice.
"""

import datetime
import logging

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from events.models import WebexBooking
from events.webex import MeetingSpec, WebexError, get_backend

logger = logging.getLogger(__name__)

Status = WebexBooking.Status


class BookingInProgress(Exception):
    """Another worker is talking to Webex about this booking right now."""


def claim_seconds():
    # Longer than the slowest call: every try timing out, with backoff in between.
    return int(getattr(settings, "WEBEX_CLAIM_SECONDS", 300))


def meeting_spec(booking):
    return MeetingSpec(
        title=booking.title,
        start=booking.start,
        end=booking.end,
        timezone=booking.time_zone,
        kind=booking.kind,
        agenda=booking.agenda,
        # Case conferences are never recorded.
        record_automatically=booking.record_automatically
        and booking.kind == WebexBooking.Kind.WEBINAR,
        integration_tag=str(booking.integration_tag),
        # Where an earlier try may have made the meeting: the search before a second create
        # looks there too (a create whose answer was lost, then the booking moved).
        earlier_windows=booking.earlier_windows(),
    )


def _claim(booking_id, wanted):
    """Lock the row, and claim it for this worker if `wanted(booking)`; the lock ends with
    the transaction, the claim when the work is stored (or after claim_seconds())."""
    with transaction.atomic():
        booking = WebexBooking.objects.select_for_update().get(pk=booking_id)
        if not wanted(booking):
            return booking, False
        if booking.is_claimed:
            raise BookingInProgress(f"Another worker is talking to Webex about “{booking.title}”.")
        now = timezone.now()
        booking.claimed_until = now + datetime.timedelta(seconds=claim_seconds())
        booking.attempts += 1
        booking.last_attempt_at = now
        booking.save(update_fields=["claimed_until", "attempts", "last_attempt_at", "updated_at"])
        return booking, True


def _store(booking_id, **fields):
    with transaction.atomic():
        booking = WebexBooking.objects.select_for_update().get(pk=booking_id)
        for name, value in fields.items():
            setattr(booking, name, value)
        booking.claimed_until = None
        booking.save()
        return booking


def _store_failure(booking_id, error):
    logger.warning("Webex booking %s failed: %s", booking_id, error)
    tracking_id = getattr(error, "tracking_id", None) or ""
    return _store(booking_id, last_error=str(error), last_error_tracking_id=tracking_id)


def _join_details(details):
    return {
        "webex_meeting_id": details.id,
        "meeting_number": details.meeting_number,
        "web_link": details.web_link,
        "password": details.password,
        "sip_address": details.sip_address,
        "access_code": details.access_code,
        "call_in_numbers": details.call_in_numbers_as_json(),
        "last_error": "",
        "last_error_tracking_id": "",
    }


def _talk_to_webex(booking_id, call):
    """Run `call()` with the claim held; store its failure on the booking and re-raise."""
    try:
        return call()
    except WebexError as error:
        _store_failure(booking_id, error)
        raise
    except Exception as error:
        _store_failure(booking_id, f"Unexpected error while talking to Webex: {error!r}")
        raise


def book(booking_id):
    """Book a pending booking's meeting or webinar on Webex and store its join details.

    Call it outside any transaction. Returns the booking (unchanged if it is not pending).
    Raises WebexError (stored on the booking, which stays pending) and BookingInProgress.
    """
    booking, claimed = _claim(booking_id, lambda b: b.status == Status.PENDING)
    if not claimed:
        return booking
    spec = meeting_spec(booking)
    backend = get_backend()

    def call():
        # An earlier try may have made the meeting before its answer was lost.
        if booking.attempts > 1 or booking.webex_meeting_id:
            existing = backend.find_meeting(spec)
            if existing is not None:
                return existing
        return backend.create_meeting(spec)

    details = _talk_to_webex(booking_id, call)
    stored = _store(booking_id, status=Status.BOOKED, **_join_details(details))
    # Edited while Webex was being asked, or found where an earlier try made it (at a time the
    # booking has since left): tell Webex on the next retry.
    found_elsewhere = (details.start, details.end) != (spec.start, spec.end)
    if found_elsewhere or meeting_spec(stored) != spec:
        stored = _store(booking_id, changed_since_booked=True)
    return stored


def update(booking_id):
    """Send a booked meeting's changed title, agenda or times to Webex.

    Returns the booking. Raises WebexError (stored on the booking, whose changes stay marked
    as not yet on Webex) and BookingInProgress.
    """
    booking, claimed = _claim(
        booking_id, lambda b: b.status == Status.BOOKED and b.changed_since_booked
    )
    if not claimed:
        return booking
    spec = meeting_spec(booking)
    backend = get_backend()
    details = _talk_to_webex(
        booking_id,
        lambda: backend.update_meeting(booking.webex_meeting_id, spec, password=booking.password),
    )
    stored = _store(booking_id, changed_since_booked=False, **_join_details(details))
    if meeting_spec(stored) != spec:
        stored = _store(booking_id, changed_since_booked=True)
    return stored


def change(booking_id, **changes):
    """Change a booking's title, agenda, start, end, time zone or recording here, raise its
    calendar SEQUENCE, and mark a booked one as owing Webex the change; nothing is sent. For
    a caller inside a transaction (a webinar's publication), which then hands the booking to
    its task after commit (events.tasks.enqueue_booking). Returns the booking.

    Raises ValueError for a cancelled booking or an unknown field, and ValidationError for
    values the booking cannot hold (an end before the start).
    """
    allowed = {"title", "agenda", "start", "end", "time_zone", "record_automatically"}
    if set(changes) - allowed:
        raise ValueError(f"Cannot change {', '.join(sorted(set(changes) - allowed))}.")
    with transaction.atomic():
        booking = WebexBooking.objects.select_for_update().get(pk=booking_id)
        if booking.status in (Status.CANCELLING, Status.CANCELLED):
            raise ValueError("A cancelled booking cannot be changed.")
        for name, value in changes.items():
            setattr(booking, name, value)
        booking.full_clean()
        booking.sequence += 1
        if booking.status == Status.BOOKED:
            booking.changed_since_booked = True
        booking.save()
    return booking


def reschedule(booking_id, **changes):
    """Change a booking (see change()) and pass the change on to Webex now (book() if it is
    still pending, update() if booked).

    Raises WebexError (the change is kept here and marked as not yet on Webex),
    BookingInProgress, and ValueError for a cancelled booking or an unknown field.
    """
    change(booking_id, **changes)
    return retry(booking_id)


def request_cancel(booking_id):
    """Record a booking's cancellation here (status "cancelling", SEQUENCE raised; "cancelled"
    at once if Webex was never asked), without telling Webex: cancel() or the cancel task does
    that. Returns the booking. Raises BookingInProgress while a worker holds it (a booking
    being made now cannot be cancelled until its answer is stored).
    """
    with transaction.atomic():
        booking = WebexBooking.objects.select_for_update().get(pk=booking_id)
        if booking.status in (Status.CANCELLED, Status.CANCELLING):
            return booking
        if booking.is_claimed:
            raise BookingInProgress(f"Another worker is talking to Webex about “{booking.title}”.")
        never_sent = booking.status == Status.PENDING and booking.attempts == 0
        booking.status = Status.CANCELLED if never_sent else Status.CANCELLING
        booking.sequence += 1
        booking.save()
        return booking


def cancel(booking_id):
    """Cancel a booking and delete its meeting on Webex.

    The cancellation is recorded first (status "cancelling", SEQUENCE raised), so it is kept
    even if Webex fails. Returns the booking. Raises WebexError (stored on the booking, which
    stays "cancelling" until a retry gets through) and BookingInProgress.
    """
    booking = request_cancel(booking_id)
    if booking.status == Status.CANCELLED:
        return booking

    booking, claimed = _claim(booking_id, lambda b: b.status == Status.CANCELLING)
    if not claimed:
        return booking
    backend = get_backend()
    spec = meeting_spec(booking)

    def call():
        meeting_id = booking.webex_meeting_id
        if not meeting_id:
            # Pending when cancelled: a try whose answer was lost may still have made it.
            existing = backend.find_meeting(spec)
            meeting_id = existing.id if existing else ""
        if meeting_id:
            backend.delete_meeting(meeting_id)

    _talk_to_webex(booking_id, call)
    return _store(booking_id, status=Status.CANCELLED, last_error="", last_error_tracking_id="")


def retry(booking_id):
    """Send whatever a booking still owes Webex: book, update or cancel it.

    Returns the booking. Raises WebexError and BookingInProgress as those do.
    """
    booking = WebexBooking.objects.get(pk=booking_id)
    if booking.status == Status.PENDING:
        return book(booking_id)
    if booking.status == Status.CANCELLING:
        return cancel(booking_id)
    if booking.status == Status.BOOKED and booking.changed_since_booked:
        return update(booking_id)
    return booking


def retry_all():
    """Retry every booking that still owes Webex something; return (done, failed) counts.
    For the task worker or a management command once Webex is back."""
    done = failed = 0
    owing = WebexBooking.objects.filter(
        status__in=[Status.PENDING, Status.CANCELLING]
    ) | WebexBooking.objects.filter(status=Status.BOOKED, changed_since_booked=True)
    for booking_id in owing.values_list("pk", flat=True):
        try:
            retry(booking_id)
            done += 1
        except (WebexError, BookingInProgress):
            failed += 1
    return done, failed
