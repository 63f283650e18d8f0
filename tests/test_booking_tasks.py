"""The Webex booking tasks (events.tasks): they take primary keys, running one twice makes no
second meeting, a transient Webex error is retried with backoff until the booking completes,
an error that will not go away is not retried and stays on the pending booking, a rolled-back
booking never reaches Webex, and `manage.py retry_bookings` completes what was left waiting
once Webex is back. Every guard has a control that shows what happens without it."""

import datetime
import io
import threading
import uuid

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from events import tasks
from events.models import WebexBooking
from events.services import booking as service
from events.tasks import book_on_webex, cancel_on_webex, update_on_webex
from events.webex import WebexError
from tests.fake_webex import api_backend_against_fake
from tests.task_support import DATABASE_TASKS, keep_test_connection, run_worker

Status = WebexBooking.Status
DELAYS = [30, 120, 600, 1800]


class Boom(Exception):
    pass


@pytest.fixture
def fake(monkeypatch):
    # One request per try, so that each task run below is exactly one try.
    with api_backend_against_fake(
        monkeypatch, WEBEX_MAX_RETRIES=0, WEBEX_BOOKING_RETRY_DELAYS=DELAYS
    ) as server:
        yield server


@pytest.fixture
def waits(monkeypatch):
    """The immediate backend cannot defer a task, so a retry waits out its delay first: record
    the delays instead of sleeping through them."""
    recorded = []
    monkeypatch.setattr(tasks, "wait", recorded.append)
    return recorded


def make_booking(title="Case conference: sepsis", days=10, minutes=60, **fields):
    start = (timezone.now() + datetime.timedelta(days=days)).replace(second=0, microsecond=0)
    return WebexBooking.objects.create(
        title=title, start=start, end=start + datetime.timedelta(minutes=minutes), **fields
    )


def reload(booking):
    return WebexBooking.objects.get(pk=booking.pk)


# Running twice -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_running_the_task_twice_makes_one_meeting(fake, waits):
    booking = make_booking()
    assert book_on_webex.enqueue(booking.pk).return_value == Status.BOOKED
    sent = len(fake.exchanges)
    assert book_on_webex.enqueue(booking.pk).return_value == Status.BOOKED
    assert len(fake.exchanges) == sent  # booked already: the second run asks Webex nothing
    booking = reload(booking)
    assert booking.attempts == 1 and list(fake.meetings) == [booking.webex_meeting_id]
    assert waits == []


@pytest.mark.django_db
def test_a_run_whose_answer_was_lost_is_retried_and_finds_its_meeting(fake, waits):
    booking = make_booking()
    # Webex makes the meeting, but its answer comes after the client has given up.
    fake.fail("timeout", method="POST", path="/meetings", delay=1.0)
    assert book_on_webex.enqueue(booking.pk).return_value == "retry"
    assert waits == [30]
    booking = reload(booking)
    assert booking.status == Status.BOOKED and booking.attempts == 2
    assert list(fake.meetings) == [booking.webex_meeting_id]
    assert len(fake.calls("POST", "/meetings")) == 1


@pytest.mark.django_db
def test_control_without_the_integration_tag_the_retry_makes_a_second_meeting(fake, monkeypatch):
    booking = make_booking()

    def lose_the_tag(seconds):
        # What a retry would be without the booking's own key: it cannot find the first one.
        WebexBooking.objects.filter(pk=booking.pk).update(integration_tag=uuid.uuid4())

    monkeypatch.setattr(tasks, "wait", lose_the_tag)
    fake.fail("timeout", method="POST", path="/meetings", delay=1.0)
    book_on_webex.enqueue(booking.pk)
    assert reload(booking).status == Status.BOOKED
    assert len(fake.meetings) == 2 and len(fake.calls("POST", "/meetings")) == 2


def run_at_once(booking_ids):
    """Run book_on_webex from one thread per id, all released together; return the results."""
    barrier = threading.Barrier(len(booking_ids))
    outcomes = []

    def work(booking_id):
        try:
            barrier.wait()
            outcomes.append(book_on_webex.enqueue(booking_id).return_value)
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(pk,)) for pk in booking_ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return outcomes


@pytest.mark.django_db(transaction=True)
@override_settings(WEBEX_TIMEOUT=5)
def test_two_runs_at_once_make_one_meeting(fake, waits):
    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL (SQLite ignores select_for_update)")
    fake.create_delay = 0.5  # both runs are in flight at the same time

    # Control: runs for two different bookings do overlap, and make two meetings.
    a, b = make_booking("Control A"), make_booking("Control B")
    assert run_at_once([a.pk, b.pk]) == [Status.BOOKED, Status.BOOKED]
    assert len(fake.meetings) == 2

    booking = make_booking("Raced")
    assert sorted(run_at_once([booking.pk, booking.pk])) == ["booked", "busy"]
    booking = reload(booking)
    assert booking.status == Status.BOOKED and booking.attempts == 1
    assert len(fake.meetings) == 3 and waits == []


# Retries with backoff ------------------------------------------------------------------------


@pytest.mark.django_db
def test_transient_failures_are_retried_with_backoff_until_booked(fake, waits):
    booking = make_booking()
    fake.fail(503, times=3, method="POST", path="/meetings")
    assert book_on_webex.enqueue(booking.pk).return_value == "retry"
    assert waits == [30, 120, 600]
    booking = reload(booking)
    assert booking.status == Status.BOOKED and booking.attempts == 4
    assert booking.last_error == "" and booking.claimed_until is None
    assert list(fake.meetings) == [booking.webex_meeting_id]


@pytest.mark.django_db
def test_a_longer_retry_after_from_webex_is_honoured(fake, waits):
    booking = make_booking()
    fake.fail(429, retry_after=200)  # longer than the first delay: Webex's wait wins
    fake.fail(429, retry_after=5)  # shorter than the second: ours wins
    book_on_webex.enqueue(booking.pk)
    assert waits == [200, 120]
    assert reload(booking).status == Status.BOOKED and len(fake.meetings) == 1


@pytest.mark.django_db
def test_after_the_last_retry_the_booking_stays_pending_with_its_error(
    fake, waits, client, make_staff
):
    booking = make_booking()
    fake.fail(503, times=100)
    assert book_on_webex.enqueue(booking.pk).return_value == "retry"
    assert waits == DELAYS  # every delay used, then no more tries
    booking = reload(booking)
    assert booking.status == Status.PENDING and booking.attempts == len(DELAYS) + 1
    assert "HTTP 503" in booking.last_error and booking.last_error_tracking_id.startswith("FAKE_")
    assert booking.claimed_until is None and fake.meetings == {}

    # The helpdesk sees it, and retries it from the admin once Webex is back.
    client.force_login(make_staff("helpdesk", "Helpdesk"))
    listing = client.get(reverse("events_webexbooking_modeladmin_index")).content.decode()
    assert booking.last_error_tracking_id in listing
    fake.faults.clear()
    client.post(reverse("events_webexbooking_retry", args=[booking.pk]))
    assert reload(booking).status == Status.BOOKED and len(fake.meetings) == 1


@pytest.mark.django_db
def test_an_error_that_will_not_go_away_is_not_retried(fake, waits):
    booking = make_booking(minutes=5)  # Webex refuses meetings under 10 minutes: HTTP 400
    assert book_on_webex.enqueue(booking.pk).return_value == "failed"
    assert waits == [] and len(fake.calls("POST", "/meetings")) == 1
    booking = reload(booking)
    assert booking.status == Status.PENDING and booking.attempts == 1
    assert "HTTP 400" in booking.last_error and "10 minutes" in booking.last_error
    # Control: the same booking with a transient error is retried (see the tests above).
    fake.fail(503, method="POST", path="/meetings")
    WebexBooking.objects.filter(pk=booking.pk).update(
        end=booking.start + datetime.timedelta(hours=1)
    )
    assert book_on_webex.enqueue(booking.pk).return_value == "retry"
    assert waits == [30] and reload(booking).status == Status.BOOKED


@pytest.mark.django_db
def test_changes_and_cancellations_are_retried_too(fake, waits):
    booking = service.book(make_booking().pk)
    new_start = booking.start + datetime.timedelta(days=1)
    WebexBooking.objects.filter(pk=booking.pk).update(
        start=new_start, end=new_start + datetime.timedelta(hours=1), changed_since_booked=True
    )
    fake.fail(502, method="PUT")
    assert update_on_webex.enqueue(booking.pk).return_value == "retry"
    assert waits == [30] and not reload(booking).changed_since_booked
    sent = fake.meetings[booking.webex_meeting_id]["start"]
    assert datetime.datetime.fromisoformat(sent) == new_start
    assert update_on_webex.enqueue(booking.pk).return_value == Status.BOOKED  # nothing owed
    assert len(fake.calls("PUT")) == 2

    fake.fail(500, method="DELETE")
    assert cancel_on_webex.enqueue(booking.pk).return_value == "retry"
    assert waits == [30, 30] and reload(booking).status == Status.CANCELLED
    assert cancel_on_webex.enqueue(booking.pk).return_value == Status.CANCELLED
    assert len(fake.calls("DELETE")) == 2 and fake.meetings == {}


@pytest.mark.django_db
def test_a_booking_deleted_before_its_task_runs_is_skipped(fake):
    booking = make_booking()
    booking.delete()
    assert book_on_webex.enqueue(booking.pk).return_value == "gone"
    assert fake.exchanges == []


@pytest.fixture
def database_tasks(monkeypatch):
    keep_test_connection(monkeypatch)
    with override_settings(TASKS=DATABASE_TASKS):
        yield


@pytest.mark.django_db
def test_the_database_worker_defers_a_retry_by_its_backoff(
    fake, database_tasks, django_capture_on_commit_callbacks
):
    booking = make_booking()
    with django_capture_on_commit_callbacks(execute=True):
        tasks.enqueue_booking(booking.pk)
    first = DBTaskResult.objects.get()
    assert (first.queue_name, first.backend_name, first.args_kwargs["args"]) == (
        "default",
        "background",
        [booking.pk],
    )
    assert fake.exchanges == []  # queued, not yet run

    fake.fail(503, method="POST", path="/meetings")
    before = timezone.now()
    run_worker()
    booking = reload(booking)
    assert booking.status == Status.PENDING and "HTTP 503" in booking.last_error
    retry = DBTaskResult.objects.get(status="READY")
    assert retry.args_kwargs == {"args": [booking.pk], "kwargs": {"attempt": 2}}
    wait = retry.run_after - before
    assert datetime.timedelta(seconds=30) <= wait < datetime.timedelta(seconds=40)

    run_worker()  # not due yet: the worker leaves it
    assert len(fake.calls("POST", "/meetings")) == 1
    DBTaskResult.objects.filter(pk=retry.pk).update(run_after=timezone.now())
    run_worker()
    booking = reload(booking)
    assert booking.status == Status.BOOKED and booking.attempts == 2

    # The task delivered twice (a duplicate row) sends nothing more.
    sent = len(fake.exchanges)
    book_on_webex.enqueue(booking.pk)
    run_worker()
    assert len(fake.exchanges) == sent and len(fake.meetings) == 1


# After commit --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_rolled_back_booking_never_reaches_webex(fake, django_capture_on_commit_callbacks):
    capture = django_capture_on_commit_callbacks(execute=True)
    with capture as callbacks, pytest.raises(Boom), transaction.atomic():
        booking = make_booking()
        tasks.enqueue_booking(booking.pk)
        raise Boom
    assert callbacks == [] and fake.exchanges == []
    assert not WebexBooking.objects.exists()

    # The same, committed: booked once the transaction commits, not before.
    capture = django_capture_on_commit_callbacks(execute=True)
    with capture as callbacks, transaction.atomic():
        booking = make_booking()
        tasks.enqueue_booking(booking.pk)
        assert fake.exchanges == []
    assert len(callbacks) == 1
    assert reload(booking).status == Status.BOOKED and len(fake.meetings) == 1


@pytest.mark.django_db
def test_control_enqueued_without_waiting_for_commit_a_rolled_back_booking_is_booked(fake):
    with pytest.raises(Boom), transaction.atomic():
        booking = make_booking()
        book_on_webex.enqueue(booking.pk)
        raise Boom
    assert not WebexBooking.objects.exists()
    assert len(fake.meetings) == 1  # a meeting on Webex for a booking that never was


# manage.py retry_bookings --------------------------------------------------------------------


def backdate(*bookings, minutes=120):
    WebexBooking.objects.filter(pk__in=[b.pk for b in bookings]).update(
        updated_at=timezone.now() - datetime.timedelta(minutes=minutes)
    )


def retry_bookings(*args):
    out = io.StringIO()
    call_command("retry_bookings", *args, stdout=out)
    return out.getvalue().strip()


@pytest.mark.django_db
@override_settings(WEBEX_BOOKING_RETRY_DELAYS=[30])
def test_retry_bookings_completes_what_was_left_waiting_once_webex_is_back(fake, waits):
    booked = service.book(make_booking("Already booked").pk)
    to_change = service.book(make_booking("Rescheduled").pk)
    to_cancel = service.book(make_booking("Called off").pk)
    lost = make_booking("Task lost")  # never tried: its task never ran
    fake.fail(503, times=1000)
    gave_up = make_booking("Retries used up")
    assert book_on_webex.enqueue(gave_up.pk).return_value == "retry"  # two tries, then no more
    with pytest.raises(WebexError):
        service.reschedule(to_change.pk, title="Rescheduled: new title")
    with pytest.raises(WebexError):
        service.cancel(to_cancel.pk)
    fresh = make_booking("Just queued")
    busy = make_booking(
        "Worker on it now", claimed_until=timezone.now() + datetime.timedelta(minutes=5)
    )
    waiting = [lost, gave_up, to_change, to_cancel]
    backdate(*waiting, booked, busy)
    waits.clear()

    # Webex still down: handed back, tried, and still waiting, with the error.
    assert retry_bookings() == "4 Webex booking(s) handed to the worker."
    assert waits == [30, 30, 30, 30]
    assert all(reload(b).last_error for b in waiting)
    assert reload(gave_up).status == Status.PENDING

    # Just tried: not handed back again yet.
    fake.faults.clear()
    assert retry_bookings() == "0 Webex booking(s) handed to the worker."

    backdate(*waiting)
    assert retry_bookings() == "4 Webex booking(s) handed to the worker."
    assert reload(lost).status == reload(gave_up).status == Status.BOOKED
    to_change = reload(to_change)
    assert not to_change.changed_since_booked
    assert fake.meetings[to_change.webex_meeting_id]["title"] == "Rescheduled: new title"
    assert reload(to_cancel).status == Status.CANCELLED
    assert all(reload(b).last_error == "" for b in waiting)
    assert len(fake.meetings) == 4  # booked, rescheduled, lost, gave_up: none twice

    # Left alone: the one booked already, the one a worker is on, the one just queued.
    assert reload(booked).attempts == 1
    assert reload(busy).attempts == 0 and reload(fresh).attempts == 0
    # Control: without the wait, the just-queued one is handed back too.
    assert retry_bookings("--minutes", "0") == "1 Webex booking(s) handed to the worker."
    assert reload(fresh).status == Status.BOOKED and reload(busy).attempts == 0
