"""Background tasks that bring Webex up to date with a booking. They take primary keys and may
run twice without harm.

Each task calls events.services.booking, which claims the booking under its row lock (so two
runs never talk to Webex about it at once) and finds a meeting an earlier run made through the
booking's integration tag (so a run whose answer was lost never makes a second one). A run
that finds nothing left to do does nothing.

When Webex fails with an error that may go away by itself (a timeout, 5xx, 429), the task
queues itself again after the next delay of WEBEX_BOOKING_RETRY_DELAYS (or Webex's
Retry-After, when that is longer). Once the delays are used up, or for an error that will not
go away by itself (a 400, a missing setting), the booking stays as it is, with the error and
its trackingId, for the helpdesk to see and retry from the admin; `manage.py retry_bookings`
hands bookings that have waited long enough back to these tasks.
"""

import logging
import time
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django_tasks import task

from events.models import Registration, WebexBooking
from events.services import booking as service
from events.webex import WebexError

logger = logging.getLogger(__name__)

Status = WebexBooking.Status

# The mail tasks' backend (settings.TASKS["background"], the database in dev and production):
# Wagtail's own tasks stay on "default" and never wait behind Webex.
BACKEND = "background"
QUEUE = "default"

DEFAULT_RETRY_DELAYS = [30, 120, 600, 1800]
# Longer than the longest retry delay, so that a booking still waiting for its task's next
# try is not handed to a second chain of tries.
DEFAULT_REQUEUE_AFTER_MINUTES = 60


def retry_delays():
    """Seconds to wait before each automatic retry after a transient Webex error."""
    return [float(d) for d in getattr(settings, "WEBEX_BOOKING_RETRY_DELAYS", DEFAULT_RETRY_DELAYS)]


def requeue_after_minutes():
    return int(
        getattr(settings, "WEBEX_BOOKING_REQUEUE_AFTER_MINUTES", DEFAULT_REQUEUE_AFTER_MINUTES)
    )


def backoff(attempt, error):
    """Seconds to wait before try `attempt + 1` after try `attempt` failed with `error`, or
    None when it is not to be retried automatically."""
    delays = retry_delays()
    if not error.retryable or attempt > len(delays):
        return None
    return max(delays[attempt - 1], float(error.retry_after or 0))


def wait(seconds):
    """How a backend that cannot defer a task (the immediate one) waits out a delay.
    Tests replace it with something that records the delay."""
    time.sleep(seconds)


def _enqueue(this_task, booking_id, *, attempt=1, delay=0.0):
    """Hand `booking_id` to `this_task`, `delay` seconds from now. Never raises: a booking
    that could not be queued stays as it is, and `retry_bookings` queues it again."""
    try:
        if delay and this_task.get_backend().supports_defer:
            run_after = timezone.now() + timedelta(seconds=delay)
            this_task.using(run_after=run_after).enqueue(booking_id, attempt=attempt)
            return
        if delay:
            wait(delay)
        this_task.enqueue(booking_id, attempt=attempt)
    except Exception:
        logger.exception("Could not queue Webex booking %s for %s", booking_id, this_task.name)


def _run(this_task, action, booking_id, attempt):
    """Run `action(booking_id)` (a service call); on a transient Webex error queue
    `this_task` again with backoff. Returns what happened, for the task result."""
    try:
        booking = action(booking_id)
    except WebexBooking.DoesNotExist:
        logger.info("Webex booking %s is gone: nothing to send", booking_id)
        return "gone"
    except service.BookingInProgress:
        # Another run holds the claim: it stores its answer, or its error and retries.
        logger.info("Webex booking %s is being sent by another worker", booking_id)
        return "busy"
    except WebexError as error:
        # The service has stored the error (and its trackingId) on the booking already.
        delay = backoff(attempt, error)
        if delay is None:
            why = "not retried automatically" if not error.retryable else "retries used up"
            logger.error(
                "Webex booking %s failed after %s tries (%s): %s", booking_id, attempt, why, error
            )
            return "failed"
        logger.warning(
            "Webex booking %s failed (try %s), retrying in %ss: %s",
            booking_id,
            attempt,
            delay,
            error,
        )
        _enqueue(this_task, booking_id, attempt=attempt + 1, delay=delay)
        return "retry"
    return str(booking.status)


@task(backend=BACKEND, queue_name=QUEUE)
def book_on_webex(booking_id, attempt=1):
    """Book pending booking `booking_id` on Webex (see ``service.book``); a webinar's
    registrants confirmed while it was waiting are then registered on it."""
    result = _run(book_on_webex, service.book, booking_id, attempt)
    if result == Status.BOOKED:
        for registration_id in Registration.objects.filter(
            webinar__booking_id=booking_id,
            status=Registration.Status.CONFIRMED,
            webex_registrant_id="",
            erased=False,
        ).values_list("pk", flat=True):
            _enqueue(register_on_webex, registration_id)
    return result


@task(backend=BACKEND, queue_name=QUEUE)
def update_on_webex(booking_id, attempt=1):
    """Send booked booking `booking_id`'s changes to Webex (see ``service.update``)."""
    return _run(update_on_webex, service.update, booking_id, attempt)


@task(backend=BACKEND, queue_name=QUEUE)
def cancel_on_webex(booking_id, attempt=1):
    """Cancel booking `booking_id` and delete its meeting on Webex (see ``service.cancel``)."""
    return _run(cancel_on_webex, service.cancel, booking_id, attempt)


def task_for(booking):
    """The task that sends what `booking` owes Webex, or None when it owes nothing."""
    if booking.status == Status.PENDING:
        return book_on_webex
    if booking.status == Status.CANCELLING:
        return cancel_on_webex
    if booking.status == Status.BOOKED and booking.changed_since_booked:
        return update_on_webex
    return None


def _enqueue_owed(booking_id):
    booking = WebexBooking.objects.filter(pk=booking_id).first()
    this_task = task_for(booking) if booking is not None else None
    if this_task is not None:
        _enqueue(this_task, booking_id)


def enqueue_booking(booking_id):
    """Once the current transaction commits, hand booking `booking_id` to the task for what
    it owes Webex (book, update or cancel). A booking whose transaction rolls back never
    reaches Webex. Call it where the booking is created or changed."""
    transaction.on_commit(lambda: _enqueue_owed(booking_id))


def owing_webex():
    return WebexBooking.objects.filter(
        Q(status__in=[Status.PENDING, Status.CANCELLING])
        | Q(status=Status.BOOKED, changed_since_booked=True)
    )


def requeue_stale(minutes=None, now=None):
    """Hand every booking that still owes Webex something, and that nothing has happened to
    (no try, no change) for `minutes`, back to its task: one whose task was lost, or whose
    automatic retries are used up. Bookings a worker is on right now are left alone.
    Returns how many were handed back."""
    now = now or timezone.now()
    minutes = requeue_after_minutes() if minutes is None else minutes
    # updated_at moves with every try (the claim saves it) and every change.
    stale = (
        owing_webex()
        .filter(updated_at__lte=now - timedelta(minutes=minutes))
        .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lte=now))
        .order_by("start")
    )
    handed = 0
    for booking in stale:
        _enqueue(task_for(booking), booking.pk)
        handed += 1
    return handed


@task(backend=BACKEND, queue_name=QUEUE)
def register_on_webex(registration_id, attempt=1):
    """Register confirmed registration `registration_id` on its Webex webinar, with their own
    join link (see ``events.services.webinars.register_on_webex``); retried with backoff while
    Webex fails or the webinar is not booked yet."""
    from events.services import webinars

    try:
        webinars.register_on_webex(registration_id)
    except Registration.DoesNotExist:
        return "gone"
    except WebexError as error:
        delay = backoff(attempt, error)
        if delay is None:
            logger.error(
                "Registration %s could not be registered on Webex after %s tries: %s",
                registration_id,
                attempt,
                error,
            )
            return "failed"
        logger.warning(
            "Registration %s not registered on Webex (try %s), retrying in %ss: %s",
            registration_id,
            attempt,
            delay,
            error,
        )
        _enqueue(register_on_webex, registration_id, attempt=attempt + 1, delay=delay)
        return "retry"
    return "registered"


def enqueue_registrant(registration_id):
    """Once the current transaction commits, hand registration `registration_id` to the task
    that registers it on the Webex webinar."""
    transaction.on_commit(lambda: _enqueue(register_on_webex, registration_id))
