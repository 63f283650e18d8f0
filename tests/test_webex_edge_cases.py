"""The Webex client's edge cases against the fake Webex on loopback: whatever Webex answers, a
failure reaches the caller as one WebexError (never a JSONDecodeError, KeyError or
AttributeError); a create whose answer was unusable is found, not made twice; the search for a
meeting an earlier try made covers every time the booking had when it was tried; host-scoped
calls carry hostEmail; later pages of a listing keep the query (issue 9, point 5)."""

import datetime

import pytest
from django.utils import timezone

from events import tasks
from events.models import WebexBooking
from events.tasks import book_on_webex
from events.webex import MEETING, MeetingSpec, WebexError
from events.webex.api import WebexAPI
from tests.fake_webex import (
    CLIENT_ID,
    CLIENT_SECRET,
    FIRST_TOKEN,
    REFRESH_TOKEN,
    FakeWebex,
    SpecCheck,
    api_backend_against_fake,
)

pytestmark = pytest.mark.django_db  # the cache holds refreshed tokens; cleared per test

HOST = "helpdesk@cmss.example.eu"


@pytest.fixture
def fake():
    server = FakeWebex().start()
    yield server
    server.stop()


@pytest.fixture
def waits():
    return []


@pytest.fixture
def make_client(fake, waits):
    def make(**options):
        options.setdefault("timeout", 0.4)
        options.setdefault("max_retries", 2)
        options.setdefault("backoff", 0.5)
        return WebexAPI(
            base_url=fake.url,
            access_token=FIRST_TOKEN,
            refresh_token=REFRESH_TOKEN,
            client_id=CLIENT_ID,
            client_secret=CLIENT_SECRET,
            sleep=waits.append,
            **options,
        )

    return make


def assert_matches_spec(fake):
    if SpecCheck.skip_reason() is None:
        problems = SpecCheck(fake.url).problems(fake.exchanges)
        assert problems == [], "\n".join(f"{e.method} {e.url}: {p}" for e, p in problems)


def spec(tag="edge-tag-1", days=20, **fields):
    start = (timezone.now() + datetime.timedelta(days=days)).replace(second=0, microsecond=0)
    return MeetingSpec(
        title="Case conference: sepsis",
        start=start,
        end=start + datetime.timedelta(hours=1),
        timezone="Europe/Brussels",
        kind=MEETING,
        integration_tag=tag,
        **fields,
    )


# Token refresh -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "body, content_type",
    [
        (b"<html><body>Bad gateway</body></html>", "text/html"),
        (b'{"token_type": "Bearer"}', "application/json"),
        (b"null", "application/json"),
        (b"", "application/json"),
    ],
    ids=["html", "no-access-token", "null", "empty"],
)
def test_an_unusable_token_refresh_is_a_webex_error(make_client, fake, body, content_type):
    fake.expire_token()
    fake.fail("raw", path="/access_token", body=body, content_type=content_type)
    with pytest.raises(WebexError, match="token") as caught:
        make_client().get_meeting("anything")
    assert caught.value.status == 200 and caught.value.tracking_id.startswith("FAKE_")


# Unusable 200 answers ------------------------------------------------------------------------


@pytest.mark.parametrize("body", [b"", b"null", b"{}", b"[]"], ids=["empty", "null", "{}", "[]"])
def test_an_unusable_answer_to_read_is_a_webex_error(make_client, fake, body):
    made = make_client().create_meeting(spec())
    fake.fail("raw", method="GET", path=f"/meetings/{made.id}", body=body)
    with pytest.raises(WebexError, match="read the meeting"):
        make_client().get_meeting(made.id)


@pytest.mark.parametrize("body", [b"", b"null", b"{}"], ids=["empty", "null", "{}"])
def test_an_unusable_answer_to_create_finds_the_meeting_it_made(make_client, fake, body):
    fake.fail("raw", method="POST", path="/meetings", body=body)
    made = make_client().create_meeting(spec())
    assert list(fake.meetings) == [made.id]  # made once, then found
    assert len(fake.calls("POST", "/meetings")) == 1


@pytest.mark.parametrize(
    "method, path, call",
    [
        ("PUT", None, lambda c, m: c.update_meeting(m, spec(days=21), password="Pw1")),
        ("GET", "/meetings", lambda c, m: c.find_meeting(spec())),
        ("GET", "/recordings", lambda c, m: c.list_recordings(m)),
        ("POST", None, lambda c, m: c.register(m, email="a@b.eu", first_name="A", last_name="B")),
    ],
    ids=["update", "find", "recordings", "register"],
)
def test_every_call_turns_an_unusable_answer_into_a_webex_error(
    make_client, fake, method, path, call
):
    client = make_client(max_retries=0)
    made = client.create_meeting(spec())
    fake.fail("raw", method=method, path=path, body=b"null", times=5)
    with pytest.raises(WebexError):
        call(client, made.id)


def test_an_unusable_answer_to_a_booking_is_retried_soon_and_books_the_meeting(monkeypatch):
    """Webex made the meeting but its answer was `{}`: the task retries after the first short
    delay, finds the meeting, and the booking is booked (not left pending for an hour)."""
    waits = []
    monkeypatch.setattr(tasks, "wait", waits.append)
    with api_backend_against_fake(
        monkeypatch, WEBEX_MAX_RETRIES=0, WEBEX_BOOKING_RETRY_DELAYS=[30, 120]
    ) as fake:
        fake.fail("raw", method="POST", path="/meetings", body=b"{}")
        start = (timezone.now() + datetime.timedelta(days=10)).replace(second=0, microsecond=0)
        booking = WebexBooking.objects.create(
            title="Case conference", start=start, end=start + datetime.timedelta(hours=1)
        )
        book_on_webex.enqueue(booking.pk)
        booking.refresh_from_db()
        assert booking.status == WebexBooking.Status.BOOKED and waits == [30]
        assert list(fake.meetings) == [booking.webex_meeting_id]
        assert len(fake.calls("POST", "/meetings")) == 1


# Host-scoped calls and paging ------------------------------------------------------------------


def test_registering_names_the_host(make_client, fake):
    client = make_client(host_email=HOST)
    made = client.create_meeting(spec())
    client.register(made.id, email="ana@hospital.eu", first_name="Ana", last_name="Ruiz")
    (sent,) = fake.calls("POST", f"/meetings/{made.id}/registrants")
    assert "hostEmail=helpdesk%40cmss.example.eu" in sent.url
    assert_matches_spec(fake)


def test_later_pages_of_recordings_keep_the_query(make_client, fake):
    client = make_client(host_email=HOST)
    made = client.create_meeting(spec(days=-3))
    other = client.create_meeting(spec(tag="other", days=-2))
    fake.page_size = 2
    fake.link_keeps_query = False  # the next link carries only the paging cursor
    for _ in range(3):
        fake.add_recording(made.id)
    fake.add_recording(other.id)
    since = timezone.now() - datetime.timedelta(days=30)
    recordings = client.list_recordings(made.id, since=since)
    assert len(recordings) == 3 and {r.meeting_series_id for r in recordings} == {made.id}
    pages = fake.calls("GET", "/recordings")
    assert len(pages) == 2
    for page in pages:
        assert f"meetingId={made.id}" in page.url and "hostEmail=" in page.url
        assert "from=" in page.url and page.url.count("meetingId=") == 1
    assert_matches_spec(fake)


# Every time a booking was tried at ------------------------------------------------------------


def test_the_search_covers_every_window_the_meeting_was_tried_in(make_client, fake):
    """A create whose answer was lost made the meeting; the booking then moved by three days;
    the search before creating again looks at the old time too and finds it."""
    first = spec(days=20)
    fake.fail("timeout", method="POST", path="/meetings", delay=1.0)
    with pytest.raises(WebexError):
        make_client(max_retries=0).create_meeting(first)
    (made,) = fake.meetings
    three_days = datetime.timedelta(days=3)
    moved = spec(days=23)
    assert make_client().find_meeting(moved) is None  # around the new time alone: nothing
    again = MeetingSpec(
        **{**moved.__dict__, "earlier_windows": ((first.start, first.end),)},
    )
    assert again == moved  # the windows are where to look, not part of what is asked for
    assert make_client().find_meeting(again).id == made
    assert list(fake.meetings) == [made]
    assert moved.start - first.start == three_days


def test_a_tried_booking_records_the_time_it_was_tried_at():
    start = (timezone.now() + datetime.timedelta(days=10)).replace(second=0, microsecond=0)
    end = start + datetime.timedelta(hours=1)
    booking = WebexBooking.objects.create(title="Case conference", start=start, end=end)
    assert booking.earlier_windows() == ()  # never tried: nothing to look for
    booking.attempts = 1
    booking.save(update_fields=["attempts"])  # what the claim before each try saves
    booking.start, booking.end = start + datetime.timedelta(days=3), end + datetime.timedelta(3)
    booking.save()  # moved while still pending: not tried at this time yet
    booking.refresh_from_db()
    assert booking.earlier_windows() == ((start, end),)
    booking.attempts = 2
    booking.save(update_fields=["attempts"])
    booking.refresh_from_db()
    assert booking.earlier_windows() == ((start, end), (booking.start, booking.end))


def _lost_create_then_move_then_retry(monkeypatch, *, pass_windows, then_retry=False):
    from dataclasses import replace

    from events.services import booking as service

    if not pass_windows:
        # The control: the service without the windows the booking was tried at.
        built = service.meeting_spec
        monkeypatch.setattr(
            service, "meeting_spec", lambda b: replace(built(b), earlier_windows=())
        )
    with api_backend_against_fake(monkeypatch, WEBEX_MAX_RETRIES=0) as fake:
        start = (timezone.now() + datetime.timedelta(days=10)).replace(second=0, microsecond=0)
        booking = WebexBooking.objects.create(
            title="Case conference", start=start, end=start + datetime.timedelta(hours=1)
        )
        fake.fail("timeout", method="POST", path="/meetings", delay=1.0)
        with pytest.raises(WebexError):
            service.book(booking.pk)  # Webex made it; the answer was lost
        three_days = datetime.timedelta(days=3)
        service.reschedule(
            booking.pk, start=booking.start + three_days, end=booking.end + three_days
        )
        booking = WebexBooking.objects.get(pk=booking.pk)
        if then_retry:
            # Found at the old time: the booking owes Webex the move, and a retry sends it.
            assert booking.changed_since_booked
            booking = service.retry(booking.pk)
        return fake, booking


def test_a_retry_after_a_lost_create_and_a_move_finds_the_first_meeting(monkeypatch):
    fake, booking = _lost_create_then_move_then_retry(
        monkeypatch, pass_windows=True, then_retry=True
    )
    assert booking.status == WebexBooking.Status.BOOKED
    assert list(fake.meetings) == [booking.webex_meeting_id]
    assert not booking.changed_since_booked
    meeting = fake.meetings[booking.webex_meeting_id]
    assert datetime.datetime.fromisoformat(meeting["start"]) == booking.start


def test_control_searching_only_around_the_new_time_makes_a_second_meeting(monkeypatch):
    fake, booking = _lost_create_then_move_then_retry(monkeypatch, pass_windows=False)
    assert len(fake.meetings) == 2
