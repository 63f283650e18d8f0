"""Booking Webex without losing anything: a failed booking stays pending with its error, the
helpdesk retries it from the admin, every queued booking completes once Webex is back, and
two workers never book the same booking twice (PostgreSQL)."""

import datetime
import threading

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from events.models import WebexBooking
from events.services import booking as service
from events.webex import WebexError
from tests.fake_webex import api_backend_against_fake

Status = WebexBooking.Status


@pytest.fixture
def fake(monkeypatch):
    with api_backend_against_fake(monkeypatch) as server:
        yield server


def make_booking(title="Case conference: sepsis", days=10, **fields):
    start = (timezone.now() + datetime.timedelta(days=days)).replace(second=0, microsecond=0)
    return WebexBooking.objects.create(
        title=title, start=start, end=start + datetime.timedelta(hours=1), **fields
    )


def retry_url(booking):
    return reverse("events_webexbooking_retry", args=[booking.pk])


@pytest.mark.django_db
def test_booking_stores_the_join_details(fake):
    booking = service.book(make_booking(kind="webinar", record_automatically=True).pk)
    assert booking.status == Status.BOOKED and booking.attempts == 1
    meeting = fake.meetings[booking.webex_meeting_id]
    assert meeting["integrationTags"] == [str(booking.integration_tag)]
    assert meeting["enabledAutoRecordMeeting"] is True
    assert booking.web_link == meeting["webLink"] and booking.password == meeting["password"]
    assert booking.sip_address and booking.call_in_numbers[0]["number"] == "+32-2-894-8010"
    assert service.book(booking.pk).attempts == 1  # booked already: nothing sent again
    assert len(fake.meetings) == 1


@pytest.mark.django_db
def test_case_conferences_are_never_recorded(fake):
    booking = service.book(make_booking(record_automatically=True).pk)
    assert fake.meetings[booking.webex_meeting_id]["enabledAutoRecordMeeting"] is False


@pytest.mark.django_db
def test_a_failed_booking_stays_pending_and_the_helpdesk_retry_completes_it(
    fake, client, make_staff
):
    booking = make_booking()
    fake.fail(500, times=10)
    with pytest.raises(WebexError):
        service.book(booking.pk)
    booking.refresh_from_db()
    assert booking.status == Status.PENDING and booking.attempts == 1
    assert "HTTP 500" in booking.last_error and booking.last_error_tracking_id.startswith("FAKE_")
    assert booking.claimed_until is None

    client.force_login(make_staff("helpdesk", "Helpdesk"))
    listing = client.get(reverse("events_webexbooking_modeladmin_index"))
    assert listing.status_code == 200
    assert booking.last_error_tracking_id in listing.content.decode()
    assert retry_url(booking) in listing.content.decode()

    # Webex still failing: the retry says so, and that nothing was lost.
    response = client.post(retry_url(booking))
    assert response.status_code == 302
    said = [str(m) for m in get_messages(response.wsgi_request)]
    assert any("Nothing was lost" in m and "trackingId FAKE_" in m for m in said), said
    booking.refresh_from_db()
    assert booking.status == Status.PENDING and booking.attempts == 2

    fake.faults.clear()
    response = client.post(retry_url(booking))
    said = [str(m) for m in get_messages(response.wsgi_request)]
    assert any("is booked on Webex" in m for m in said), said
    booking.refresh_from_db()
    assert booking.status == Status.BOOKED and booking.last_error == ""
    assert list(fake.meetings) == [booking.webex_meeting_id]


@pytest.mark.django_db
def test_retry_needs_the_booking_permission(fake, client, make_staff, django_user_model):
    booking = make_booking()
    client.force_login(make_staff("editor", "Editors"))  # admin access, no booking rights
    assert client.post(retry_url(booking)).status_code == 403
    clinician = django_user_model.objects.create_user("clinician", "c@hospital.eu", "pw")
    client.force_login(clinician)
    assert client.post(retry_url(booking)).status_code == 403
    client.force_login(make_staff("helpdesk", "Helpdesk"))
    assert client.get(retry_url(booking)).status_code == 405  # POST only
    booking.refresh_from_db()
    assert booking.attempts == 0 and fake.meetings == {}


@pytest.mark.django_db
def test_a_retry_finds_the_meeting_a_lost_answer_made(fake):
    booking = make_booking()
    fake.fail("timeout", method="POST", path="/meetings", delay=1.0)
    with override_settings(WEBEX_MAX_RETRIES=0), pytest.raises(WebexError, match="timed out"):
        service.book(booking.pk)
    assert len(fake.meetings) == 1  # Webex made it; we never heard
    booking = service.retry(booking.pk)
    assert booking.status == Status.BOOKED and list(fake.meetings) == [booking.webex_meeting_id]
    assert len(fake.calls("POST", "/meetings")) == 1


@pytest.mark.django_db
def test_every_queued_booking_completes_after_the_faults_clear(fake):
    bookings = [make_booking(f"Conference {n}", days=5 + n) for n in range(4)]
    fake.fail(503, times=100)
    assert service.retry_all() == (0, 4)
    fake.faults.clear()
    fake.fail(429, retry_after=2)
    fake.fail("timeout", method="POST", path="/meetings", delay=1.0)
    fake.expire_token()
    assert service.retry_all() == (4, 0)
    for booking in bookings:
        booking.refresh_from_db()
        assert booking.status == Status.BOOKED and booking.last_error == ""
    assert len(fake.meetings) == 4


@pytest.mark.django_db
def test_reschedule_and_cancel_reach_webex_and_survive_failures(fake):
    booking = service.book(make_booking().pk)
    new_start = booking.start + datetime.timedelta(days=1)
    fake.fail(502, times=10)
    with pytest.raises(WebexError):
        service.reschedule(booking.pk, start=new_start, end=new_start + datetime.timedelta(hours=1))
    booking.refresh_from_db()
    assert booking.changed_since_booked and booking.sequence == 1 and booking.start == new_start
    fake.faults.clear()
    booking = service.retry(booking.pk)
    assert not booking.changed_since_booked
    sent = fake.meetings[booking.webex_meeting_id]["start"]
    assert datetime.datetime.fromisoformat(sent) == new_start

    fake.fail(500, times=10, method="DELETE")
    with pytest.raises(WebexError):
        service.cancel(booking.pk)
    booking.refresh_from_db()
    assert booking.status == Status.CANCELLING and booking.sequence == 2
    fake.faults.clear()
    assert service.retry(booking.pk).status == Status.CANCELLED
    assert fake.meetings == {}


@pytest.mark.django_db
def test_cancelling_a_never_sent_booking_needs_no_webex(fake):
    booking = service.cancel(make_booking().pk)
    assert booking.status == Status.CANCELLED and fake.exchanges == []


def book_at_once(booking_ids):
    """Call book() from one thread per id, all released together; return what each raised."""
    barrier = threading.Barrier(len(booking_ids))
    outcomes = []

    def work(booking_id):
        try:
            barrier.wait()
            service.book(booking_id)
            outcomes.append("booked")
        except service.BookingInProgress:
            outcomes.append("busy")
        except Exception as error:  # noqa: BLE001 - reported by the assertion
            outcomes.append(repr(error))
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
def test_two_workers_booking_the_same_booking_make_one_meeting(fake):
    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL (SQLite ignores select_for_update)")
    fake.create_delay = 0.5  # both workers are in flight at the same time (timeout is 5 s)

    # Control: two different bookings at once really do overlap and make two meetings,
    # so the test below would see a race if there were one.
    a, b = make_booking("Control A"), make_booking("Control B")
    assert sorted(book_at_once([a.pk, b.pk])) == ["booked", "booked"]
    assert len(fake.meetings) == 2

    booking = make_booking("Raced")
    outcomes = book_at_once([booking.pk, booking.pk])
    assert sorted(outcomes) == ["booked", "busy"]
    booking.refresh_from_db()
    assert booking.status == Status.BOOKED and booking.attempts == 1
    assert len(fake.meetings) == 3
