"""The Webex client against a fake Webex on loopback: tokens, rate limits, retries, timeouts,
no duplicate meetings, every exchange checked against the official OpenAPI spec; and the
simulated backend the demo uses."""

import datetime

import pytest
from django.test import override_settings
from django.utils import timezone

from events.webex import MEETING, WEBINAR, MeetingSpec, WebexError, get_backend
from events.webex.api import WebexAPI
from events.webex.simulated import SimulatedWebex
from tests.fake_webex import CLIENT_ID, CLIENT_SECRET, FIRST_TOKEN, REFRESH_TOKEN, SpecCheck

pytestmark = pytest.mark.django_db  # the cache holds refreshed tokens; cleared per test


def check_against_spec(fake):
    reason = SpecCheck.skip_reason()
    if reason is None:
        problems = SpecCheck(fake.url).problems(fake.exchanges)
        assert problems == [], "\n".join(f"{e.method} {e.url}: {p}" for e, p in problems)
    return reason


@pytest.fixture
def fake():
    from tests.fake_webex import FakeWebex

    server = FakeWebex().start()
    yield server
    server.stop()
    # Whatever a test made the client send, it must match the official spec.
    check_against_spec(server)


@pytest.fixture
def waits():
    return []


@pytest.fixture
def make_client(fake, waits):
    def make(**options):
        options.setdefault("timeout", 0.4)
        options.setdefault("max_retries", 3)
        options.setdefault("backoff", 0.5)
        options.setdefault("webinar_session_type_id", 9)
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


@pytest.fixture
def client(make_client):
    return make_client()


def spec(kind=MEETING, tag="booking-tag-1", days=20, **fields):
    start = (timezone.now() + datetime.timedelta(days=days)).replace(second=0, microsecond=0)
    return MeetingSpec(
        title=fields.pop("title", "Case conference: ventilation weaning"),
        start=start,
        end=start + datetime.timedelta(hours=1),
        timezone="Europe/Brussels",
        kind=kind,
        agenda="Ventilator weaning after long ICU stay.",
        integration_tag=tag,
        **fields,
    )


def test_meeting_lifecycle_returns_join_details(client, fake):
    made = client.create_meeting(spec())
    assert made.web_link.startswith("https://")
    assert made.meeting_number and made.password and made.sip_address.endswith(".webex.com")
    assert [n.toll_type for n in made.call_in_numbers] == ["toll", "tollFree"]
    sent = fake.calls("POST", "/meetings")[0]
    assert b'"scheduledType": "meeting"' in sent.body and b'"sendEmail": false' in sent.body

    read = client.get_meeting(made.id)
    assert read.web_link == made.web_link

    later = spec(days=21, title="Moved")
    changed = client.update_meeting(made.id, later)
    assert changed.title == "Moved" and changed.start == later.start
    # Webex's own clients treat the password as required on PUT: it is sent back unchanged.
    assert fake.meetings[made.id]["password"] == made.password

    client.delete_meeting(made.id)
    assert fake.meetings == {}
    client.delete_meeting(made.id)  # already gone: still done, so a retry succeeds


def test_webinar_asks_for_session_type_registration_and_recording(client, fake, make_client):
    made = client.create_meeting(spec(WEBINAR, record_automatically=True))
    stored = fake.meetings[made.id]
    assert stored["scheduledType"] == "webinar" and stored["sessionTypeId"] == 9
    assert stored["enabledAutoRecordMeeting"] is True
    assert made.kind == WEBINAR and made.register_link

    with pytest.raises(WebexError, match="WEBEX_WEBINAR_SESSION_TYPE_ID"):
        make_client(webinar_session_type_id=None).create_meeting(spec(WEBINAR, tag="other"))


@override_settings(WEBEX_WEBINAR_SESSION_TYPE_ID=None)
def test_registrants_and_recordings(client, fake):
    made = client.create_meeting(spec())
    registrant = client.register(
        made.id, email="ana@hospital.eu", first_name="Ana", last_name="Ruiz"
    )
    assert registrant.id and fake.registrants[made.id][0]["email"] == "ana@hospital.eu"

    fake.page_size = 2  # Webex clamps `max`: three recordings come on two pages
    for _ in range(3):
        fake.add_recording(made.id)
    recordings = client.list_recordings(made.id)
    assert len(recordings) == 3 and len({r.id for r in recordings}) == 3
    assert all(r.meeting_series_id == made.id and r.playback_url for r in recordings)
    assert len(fake.calls("GET", "/recordings")) == 2


def test_expired_token_is_refreshed_once_and_kept(client, fake, make_client):
    fake.expire_token()
    made = client.create_meeting(spec())
    assert made.id in fake.meetings
    assert len(fake.calls("POST", "/access_token")) == 1
    assert len(fake.calls("POST", "/meetings")) == 2  # 401, then the retry
    # The new token is kept (in the cache): another client uses it without refreshing.
    make_client().get_meeting(made.id)
    assert len(fake.calls("POST", "/access_token")) == 1
    assert fake.calls("GET")[-1].headers["Authorization"] != f"Bearer {FIRST_TOKEN}"


def test_a_second_401_is_an_error(client, fake):
    fake.fail(401, times=2)
    with pytest.raises(WebexError) as caught:
        client.get_meeting("anything")
    assert caught.value.status == 401 and caught.value.tracking_id.startswith("FAKE_")
    assert len(fake.calls("POST", "/access_token")) == 1
    assert len(fake.calls("GET")) == 2


def test_429_with_a_non_json_body_waits_retry_after(client, fake, waits):
    fake.fail(429, retry_after=7, path="/meetings", method="POST")
    made = client.create_meeting(spec())
    assert waits == [7]
    assert len(fake.calls("POST", "/meetings")) == 2 and list(fake.meetings) == [made.id]


def test_429_asking_too_long_a_wait_raises_with_retry_after(make_client, fake, waits):
    fake.fail(429, retry_after=3600)
    with pytest.raises(WebexError) as caught:
        make_client(max_retry_after=60).get_meeting("x")
    assert caught.value.status == 429 and caught.value.retry_after == 3600
    assert caught.value.retryable and waits == []


def test_5xx_is_retried_with_backoff_then_raised_with_tracking_id(client, fake, waits):
    fake.fail(503, times=2, method="POST", path="/meetings")
    made = client.create_meeting(spec())
    assert list(fake.meetings) == [made.id] and waits == [0.5, 1.0]
    # Each time it looked for the meeting before posting again.
    assert len(fake.calls("POST", "/meetings")) == 3 and len(fake.calls("GET", "/meetings")) == 2

    fake.fail(500, times=10, method="GET")
    with pytest.raises(WebexError) as caught:
        client.get_meeting(made.id)
    error = caught.value
    assert error.status == 500 and error.retryable
    assert error.tracking_id and error.tracking_id.startswith("FAKE_")
    assert error.tracking_id in str(error)
    assert len(fake.calls("GET", f"/meetings/{made.id}")) == 1 + 3  # one try, three retries
    assert waits[-3:] == [0.5, 1.0, 2.0]


def test_every_call_has_a_timeout(make_client, fake):
    made = make_client().create_meeting(spec())
    fake.fail("timeout", times=5, method="GET", delay=1.0)
    started = timezone.now()
    with pytest.raises(WebexError, match="timed out") as caught:
        make_client(max_retries=1).get_meeting(made.id)
    assert caught.value.status is None and caught.value.retryable
    assert (timezone.now() - started).total_seconds() < 3
    assert len(fake.calls("GET")) == 2


def test_a_lost_answer_to_create_does_not_create_twice(client, fake):
    fake.fail("timeout", method="POST", path="/meetings", delay=1.0)
    made = client.create_meeting(spec())
    assert list(fake.meetings) == [made.id]
    assert len(fake.calls("POST", "/meetings")) == 1  # it looked, found it, did not post again
    assert len(fake.calls("GET", "/meetings")) == 1


def test_control_without_looking_first_the_lost_answer_creates_two(client, fake, monkeypatch):
    """Proves the test above can fail: skip the look-up and Webex has two meetings."""
    monkeypatch.setattr(client, "find_meeting", lambda spec: None)
    fake.fail("timeout", method="POST", path="/meetings", delay=1.0)
    client.create_meeting(spec())
    assert len(fake.meetings) == 2


def test_a_lost_answer_to_register_does_not_register_twice(client, fake):
    made = client.create_meeting(spec())
    fake.fail("timeout", method="POST", path=f"/meetings/{made.id}/registrants", delay=1.0)
    registrant = client.register(made.id, email="ana@hospital.eu", first_name="Ana", last_name="R")
    assert [r["id"] for r in fake.registrants[made.id]] == [registrant.id]


def test_every_exchange_matches_the_official_spec(client, fake):
    reason = SpecCheck.skip_reason()
    if reason:
        pytest.skip(reason)
    fake.expire_token()
    fake.fail(429, retry_after=1)
    fake.fail(503)
    made = client.create_meeting(spec(WEBINAR, record_automatically=True))
    client.find_meeting(spec(WEBINAR))
    client.update_meeting(made.id, spec(WEBINAR, days=22))
    client.register(made.id, email="ana@hospital.eu", first_name="Ana", last_name="Ruiz")
    fake.add_recording(made.id)
    client.list_recordings(made.id, since=timezone.now() - datetime.timedelta(days=30))
    client.delete_meeting(made.id)
    with pytest.raises(WebexError):
        client.get_meeting(made.id)
    assert len(fake.exchanges) >= 10
    assert check_against_spec(fake) is None


def test_the_spec_check_catches_a_bad_request_and_a_bad_response(fake):
    """Proves the validation can fail: a request without a title, a meeting without webLink."""
    reason = SpecCheck.skip_reason()
    if reason:
        pytest.skip(reason)
    from tests.fake_webex import Exchange

    bad_request = Exchange(
        "POST",
        f"{fake.url}/meetings",
        {"Content-Type": "application/json"},
        b'{"start": "2030-01-01T10:00:00Z", "end": "2030-01-01T11:00:00Z"}',
    )
    bad_response = Exchange(
        "GET",
        f"{fake.url}/meetings/abc",
        {},
        b"",
        status=200,
        response_headers={"Content-Type": "application/json;charset=UTF-8"},
        response_body=b'{"id": "abc", "title": "No join link"}',
    )
    problems = SpecCheck(fake.url).problems([bad_request, bad_response])
    assert [p.split(":")[0] for _, p in problems] == ["request", "response"]


def test_simulated_webex_answers_like_webex_without_network():
    SimulatedWebex.reset()
    backend = get_backend()
    assert isinstance(backend, SimulatedWebex)
    made = backend.create_meeting(spec(WEBINAR, record_automatically=True))
    assert made.web_link.startswith("https://") and "j.php?MTID=m" in made.web_link
    assert len(made.meeting_number) == 10 and made.meeting_number.isdigit()
    assert made.sip_address == f"{made.meeting_number}@cmss-demo.webex.com"
    assert any(c.c.islower() for c in [type("x", (), {"c": ch}) for ch in made.password])
    assert made.call_in_numbers and made.register_link
    assert backend.create_meeting(spec(WEBINAR, record_automatically=True)).id == made.id
    assert backend.find_meeting(spec(WEBINAR)).id == made.id
    moved = backend.update_meeting(made.id, spec(WEBINAR, days=30))
    assert moved.password == made.password and moved.start > made.start
    first = backend.register(made.id, email="a@b.eu", first_name="A", last_name="B")
    assert backend.register(made.id, email="A@b.eu", first_name="A", last_name="B") == first
    assert backend.list_recordings(made.id) == []  # not ended yet
    with pytest.raises(WebexError) as caught:
        backend.create_meeting(
            MeetingSpec("Too short", made.start, made.start, "UTC", integration_tag="t2")
        )
    assert caught.value.status == 400 and caught.value.tracking_id
    backend.delete_meeting(made.id)
    with pytest.raises(WebexError):
        backend.get_meeting(made.id)


def test_simulated_webex_lists_the_recording_of_an_ended_recorded_webinar():
    SimulatedWebex.reset()
    backend = SimulatedWebex()
    made = backend.create_meeting(spec(WEBINAR, days=-3, record_automatically=True))
    (recording,) = backend.list_recordings(made.id)
    assert recording.meeting_series_id == made.id and recording.playback_url.startswith("https://")
    assert recording.duration_seconds == 3600


@override_settings(WEBEX_BACKEND="events.webex.api.WebexAPI", WEBEX_API_URL="http://127.0.0.1:9/v1")
def test_the_backend_comes_from_the_setting():
    backend = get_backend()
    assert isinstance(backend, WebexAPI) and backend.base_url == "http://127.0.0.1:9/v1"
