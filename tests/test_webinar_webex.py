"""A webinar's Webex webinar: booked when the page is first published (after commit, through
the booking task), moved when a later publication changes its time or title, deleted when it is
published as cancelled; confirmed registrants registered on it with their own join link; and
the booking's state (a failure too) shown in the page's edit view."""

import datetime
import json
from urllib.parse import urlsplit

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import timezone
from wagtail.models import GroupPagePermission

from events import signals
from events.models import Registration, WebexBooking, WebinarIndexPage, WebinarPage
from events.services import webinars
from events.webex.simulated import SimulatedWebex
from tests.fake_webex import SpecCheck, api_backend_against_fake

Status = WebexBooking.Status


@pytest.fixture
def fake(monkeypatch):
    with api_backend_against_fake(monkeypatch) as server:
        yield server


@pytest.fixture
def simulated(settings):
    settings.WEBEX_BACKEND = "events.webex.simulated.SimulatedWebex"
    SimulatedWebex.reset()
    yield SimulatedWebex
    SimulatedWebex.reset()


@pytest.fixture
def catalogue(home_page):
    index = WebinarIndexPage(title="Webinars", slug="webinars")
    home_page.add_child(instance=index)
    index.save_revision().publish()
    return index


def make_webinar(catalogue, title="Sepsis in children", days=20, **fields):
    start = (timezone.now() + datetime.timedelta(days=days)).replace(
        minute=0, second=0, microsecond=0
    )
    fields = {
        "summary": "What the first hour decides.",
        "start": start,
        "end": start + datetime.timedelta(hours=1),
        "time_zone": "Europe/Brussels",
        **fields,
    }
    page = WebinarPage(title=title, slug=title.lower().replace(" ", "-"), live=False, **fields)
    catalogue.add_child(instance=page)
    page.speakers.create(name="Dr Ana Speaker")
    return page


def publish(page):
    page.save_revision().publish()
    return WebinarPage.objects.get(pk=page.pk)


def edit_and_publish(page, **changes):
    page = WebinarPage.objects.get(pk=page.pk)
    for name, value in changes.items():
        setattr(page, name, value)
    return publish(page)


class Received:
    def __init__(self, signal):
        self.calls = []
        signal.connect(self.receive)
        self.signal = signal

    def receive(self, sender, **kwargs):
        self.calls.append(kwargs)


@pytest.fixture
def changed():
    received = Received(signals.webinar_changed)
    yield received
    signals.webinar_changed.disconnect(received.receive)


@pytest.fixture
def cancelled():
    received = Received(signals.webinar_cancelled)
    yield received
    signals.webinar_cancelled.disconnect(received.receive)


@pytest.mark.django_db
def test_publishing_books_the_webinar_after_commit(
    catalogue, simulated, django_capture_on_commit_callbacks
):
    page = make_webinar(catalogue, speaker_consents_to_recording=True, recorded=True)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        page = publish(page)
    booking = page.booking
    assert booking is not None and booking.kind == WebexBooking.Kind.WEBINAR
    assert (booking.title, booking.start, booking.end, booking.time_zone) == (
        page.title,
        page.start,
        page.end,
        "Europe/Brussels",
    )
    assert booking.record_automatically is True
    # Nothing reached Webex inside the publication's transaction.
    assert booking.status == Status.PENDING and simulated.meetings() == []
    assert callbacks
    for callback in callbacks:
        callback()
    booking.refresh_from_db()
    assert booking.status == Status.BOOKED
    [meeting] = simulated.meetings()
    assert meeting.id == booking.webex_meeting_id and meeting.kind == "webinar"
    assert meeting.record_automatically is True
    assert webinars.join_details(page)["web_link"] == booking.web_link


@pytest.mark.django_db
def test_a_rolled_back_publication_books_nothing(catalogue, simulated):
    from django.db import transaction

    page = make_webinar(catalogue)
    with pytest.raises(RuntimeError), transaction.atomic():
        publish(page)
        raise RuntimeError("the publication fails after the page was saved")
    assert not WebexBooking.objects.exists() and simulated.meetings() == []


@pytest.mark.django_db
def test_no_recording_without_the_speakers_consent(
    catalogue, simulated, django_capture_on_commit_callbacks
):
    # `recorded` without consent cannot pass the page's validation; the booking asks for
    # both all the same, whatever a page holds.
    assert not webinars.record_automatically(
        WebinarPage(recorded=True, speaker_consents_to_recording=False)
    )
    page = make_webinar(catalogue, recorded=False, speaker_consents_to_recording=True)
    with django_capture_on_commit_callbacks(execute=True):
        page = publish(page)
    assert page.booking.record_automatically is False
    assert simulated.meetings()[0].record_automatically is False


@pytest.mark.django_db
def test_a_later_publication_that_moves_it_reschedules_the_booking(
    catalogue, simulated, changed, django_capture_on_commit_callbacks
):
    page = make_webinar(catalogue)
    with django_capture_on_commit_callbacks(execute=True):
        page = publish(page)
    booking = WebexBooking.objects.get(pk=page.booking_id)
    sequence, page_sequence = booking.sequence, page.sequence

    with django_capture_on_commit_callbacks(execute=True):
        page = edit_and_publish(page, summary="A new summary only.")
    assert changed.calls == []  # the agenda moves on Webex, registrants are not told
    assert page.sequence == page_sequence

    later = page.start + datetime.timedelta(days=1)
    with django_capture_on_commit_callbacks(execute=True):
        page = edit_and_publish(
            page,
            title="Sepsis in children: the first hour",
            start=later,
            end=later + datetime.timedelta(minutes=90),
        )
    booking.refresh_from_db()
    assert booking.sequence == sequence + 2
    # Raised here (and again by whoever sends registrants the update): it only has to grow.
    assert page.sequence > page_sequence
    assert booking.status == Status.BOOKED and not booking.changed_since_booked
    [meeting] = simulated.meetings()
    assert meeting.start == later and meeting.title == "Sepsis in children: the first hour"
    assert [call["fields"] for call in changed.calls] == [["title", "start", "end"]]
    assert changed.calls[0]["webinar"].pk == page.pk
    assert changed.calls[0]["webinar"].sequence > page_sequence

    # Published again unchanged: nothing moves, nobody is told.
    with django_capture_on_commit_callbacks(execute=True):
        publish(page)
    booking.refresh_from_db()
    assert booking.sequence == sequence + 2 and len(changed.calls) == 1


@pytest.mark.django_db
def test_publishing_it_cancelled_deletes_it_on_webex(
    catalogue, fake, cancelled, django_capture_on_commit_callbacks
):
    page = make_webinar(catalogue)
    with django_capture_on_commit_callbacks(execute=True):
        page = publish(page)
    booking = WebexBooking.objects.get(pk=page.booking_id)
    assert booking.status == Status.BOOKED and booking.webex_meeting_id in fake.meetings

    with django_capture_on_commit_callbacks(execute=True):
        page = edit_and_publish(page, state=WebinarPage.State.CANCELLED)
    booking.refresh_from_db()
    assert booking.status == Status.CANCELLED
    assert booking.webex_meeting_id not in fake.meetings
    [delete] = fake.calls("DELETE", f"/meetings/{booking.webex_meeting_id}")
    assert delete.status == 204
    assert [call["webinar"].pk for call in cancelled.calls] == [page.pk]

    # Published again: no second cancellation, no second booking.
    with django_capture_on_commit_callbacks(execute=True):
        publish(page)
    assert len(cancelled.calls) == 1 and WebexBooking.objects.count() == 1


@pytest.mark.django_db
def test_cancelled_while_being_booked_the_publication_stands_and_the_panel_says_so(
    catalogue, simulated, cancelled, admin_client, django_capture_on_commit_callbacks
):
    page = make_webinar(catalogue)
    with django_capture_on_commit_callbacks(execute=False):
        page = publish(page)
    # A worker is talking to Webex about it right now.
    WebexBooking.objects.filter(pk=page.booking_id).update(
        attempts=1, claimed_until=timezone.now() + datetime.timedelta(minutes=5)
    )
    with django_capture_on_commit_callbacks(execute=True):
        page = edit_and_publish(page, state=WebinarPage.State.CANCELLED)
    assert page.live and page.state == WebinarPage.State.CANCELLED
    assert WebexBooking.objects.get(pk=page.booking_id).status == Status.PENDING
    assert cancelled.calls == []
    html = admin_client.get(reverse("wagtailadmin_pages:edit", args=[page.pk])).content.decode()
    assert "This webinar is cancelled but its Webex webinar is not" in html

    # Once the worker is done, publishing again cancels it and tells registrants.
    WebexBooking.objects.filter(pk=page.booking_id).update(claimed_until=None)
    with django_capture_on_commit_callbacks(execute=True):
        publish(page)
    assert WebexBooking.objects.get(pk=page.booking_id).status in (
        Status.CANCELLING,
        Status.CANCELLED,
    )
    assert len(cancelled.calls) == 1


@pytest.mark.django_db
def test_the_webinar_create_request_carries_what_webex_needs(
    catalogue, fake, django_capture_on_commit_callbacks
):
    consented = make_webinar(
        catalogue, title="Recorded one", speaker_consents_to_recording=True, recorded=True
    )
    not_consented = make_webinar(catalogue, title="Unrecorded one", days=21)
    with django_capture_on_commit_callbacks(execute=True):
        publish(consented)
        publish(not_consented)
    creates = fake.calls("POST", "/meetings")
    bodies = {json.loads(call.body)["title"]: json.loads(call.body) for call in creates}
    assert set(bodies) == {"Recorded one", "Unrecorded one"}
    for title, recorded in (("Recorded one", True), ("Unrecorded one", False)):
        body = bodies[title]
        assert body["scheduledType"] == "webinar"
        assert body["sessionTypeId"] == 9  # WEBEX_WEBINAR_SESSION_TYPE_ID
        assert body["enabledAutoRecordMeeting"] is recorded
        assert body["registration"]["autoAcceptRequest"] is True
        assert body["registration"]["requireEmail"] is True
        assert body["sendEmail"] is False
        assert body["timezone"] == "Europe/Brussels"
    assert fake.meetings[WebinarPage.objects.get(title="Recorded one").booking.webex_meeting_id][
        "enabledAutoRecordMeeting"
    ]
    skip = SpecCheck.skip_reason()
    if skip is None:
        assert SpecCheck(fake.url).problems(creates) == []


def confirm(page, email="rita.registrant@example.org"):
    registration = Registration.objects.create(
        webinar=page,
        first_name="Rita",
        last_name="Registrant",
        email=email,
        status=Registration.Status.CONFIRMED,
        confirmed_at=timezone.now(),
    )
    signals.registration_confirmed.send(sender=Registration, registration=registration)
    return registration


@pytest.mark.django_db
def test_a_confirmed_registrant_is_registered_on_webex_with_their_own_link(
    catalogue, fake, client, django_capture_on_commit_callbacks
):
    page = make_webinar(catalogue)
    with django_capture_on_commit_callbacks(execute=True):
        page = publish(page)
    meeting_id = page.booking.webex_meeting_id
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        registration = confirm(page)
    assert fake.registrants.get(meeting_id) is None  # not before commit
    for callback in callbacks:
        callback()
    registration.refresh_from_db()
    [registrant] = fake.registrants[meeting_id]
    assert registrant["email"] == "rita.registrant@example.org"
    assert registration.webex_registrant_id == registrant["id"]
    # Their own link: an address of ours (Webex's own links expire within the hour)...
    assert registration.join_link == webinars.personal_join_url(registration)
    assert registration.join_link.endswith(
        reverse("events:join", args=[webinars.join_token(registration)])
    )

    # ...that asks Webex for a fresh link made with their registration id, and goes there.
    response = client.get(reverse("events:join", args=[webinars.join_token(registration)]))
    assert response.status_code == 302
    assert "no-store" in response["Cache-Control"]
    [join] = fake.calls("POST", "/meetings/join")
    asked = json.loads(join.body)
    assert asked["meetingId"] == meeting_id and asked["joinDirectly"] is False
    assert asked["registrationId"] == registrant["registrationId"]
    assert asked["email"] == "rita.registrant@example.org"
    assert asked["displayName"] == "Rita Registrant"
    assert response["Location"] == json.loads(join.response_body)["joinLink"]
    assert response["Location"] != page.booking.web_link
    skip = SpecCheck.skip_reason()
    if skip is None:
        calls = fake.calls("POST", f"/meetings/{meeting_id}/registrants") + [join]
        calls += fake.calls("POST", f"/meetings/{meeting_id}/registrants/query")
        assert SpecCheck(fake.url).problems(calls) == []

    # A second confirmation signal (a promotion replayed, a task run twice) registers no one
    # twice.
    with django_capture_on_commit_callbacks(execute=True):
        signals.registration_confirmed.send(sender=Registration, registration=registration)
    assert len(fake.registrants[meeting_id]) == 1

    # Cancelled, the link no longer opens the webinar; a forged token opens nothing.
    Registration.objects.filter(pk=registration.pk).update(status=Registration.Status.CANCELLED)
    response = client.get(reverse("events:join", args=[webinars.join_token(registration)]))
    assert response.status_code == 410
    assert client.get(reverse("events:join", args=[f"{registration.pk}:forged"])).status_code == 404
    assert len(fake.calls("POST", "/meetings/join")) == 1


@pytest.mark.django_db
def test_a_registrant_waiting_for_the_booking_is_registered_when_it_is_made(
    catalogue, fake, settings, monkeypatch, django_capture_on_commit_callbacks
):
    from events import tasks

    monkeypatch.setattr(tasks, "wait", lambda seconds: None)
    settings.WEBEX_BOOKING_RETRY_DELAYS = []  # nothing retried automatically
    page = make_webinar(catalogue)
    with django_capture_on_commit_callbacks(execute=False):
        page = publish(page)  # the booking task is never run: it stays pending
    with django_capture_on_commit_callbacks(execute=True):
        registration = confirm(page)
    registration.refresh_from_db()
    assert registration.webex_registrant_id == ""  # not booked yet: not retried (no delays)

    with django_capture_on_commit_callbacks(execute=True):
        tasks.book_on_webex.enqueue(page.booking_id)
    registration.refresh_from_db()
    meeting_id = WebexBooking.objects.get(pk=page.booking_id).webex_meeting_id
    assert registration.webex_registrant_id == fake.registrants[meeting_id][0]["id"]


@pytest.mark.django_db
def test_a_failed_registration_on_webex_is_retried(
    catalogue, fake, settings, monkeypatch, django_capture_on_commit_callbacks
):
    from events import tasks

    waits = []
    monkeypatch.setattr(tasks, "wait", waits.append)
    settings.WEBEX_BOOKING_RETRY_DELAYS = [5, 5]
    page = make_webinar(catalogue)
    with django_capture_on_commit_callbacks(execute=True):
        page = publish(page)
    meeting_id = page.booking.webex_meeting_id
    fake.fail("503", times=3, path=f"/meetings/{meeting_id}/registrants")  # one task's tries
    with django_capture_on_commit_callbacks(execute=True):
        registration = confirm(page)
    registration.refresh_from_db()
    assert waits == [5.0]
    assert registration.webex_registrant_id and registration.join_link
    assert len(fake.registrants[meeting_id]) == 1


@pytest.mark.django_db
def test_the_simulated_backend_gives_each_registrant_a_link_of_their_own(
    catalogue, simulated, client, django_capture_on_commit_callbacks
):
    page = make_webinar(catalogue)
    with django_capture_on_commit_callbacks(execute=True):
        page = publish(page)
        first = confirm(page, "first@example.org")
        second = confirm(page, "second@example.org")
    links = []
    for registration in (first, second):
        registration.refresh_from_db()
        assert registration.webex_registrant_id
        response = client.get(urlsplit(registration.join_link).path)
        assert response.status_code == 302
        links.append(response["Location"])
    assert links[0].startswith(page.booking.web_link) and links[0] != links[1]


@pytest.mark.django_db
def test_the_edit_view_shows_a_failed_booking_and_a_retry_button(
    catalogue, fake, client, make_staff, django_capture_on_commit_callbacks
):
    # A refusal Webex will not take back by itself (a 400: not retried automatically): a
    # webinar too short for Webex.
    page = make_webinar(catalogue)
    page.end = page.start + datetime.timedelta(minutes=5)
    page.save()
    with django_capture_on_commit_callbacks(execute=True):
        page = publish(page)
    booking = WebexBooking.objects.get(pk=page.booking_id)
    assert booking.status == Status.PENDING and "10 minutes" in booking.last_error

    helpdesk = make_staff("helpdesk", "Helpdesk")
    # The helpdesk edits the catalogue's webinars (a page permission on the catalogue).
    GroupPagePermission.objects.get_or_create(
        group=helpdesk.groups.get(),
        page=catalogue,
        permission=Permission.objects.get(codename="change_page"),
    )
    client.force_login(helpdesk)
    response = client.get(reverse("wagtailadmin_pages:edit", args=[page.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Webex failed:" in html and "10 minutes" in html
    assert booking.last_error_tracking_id in html
    retry = reverse("events_webexbooking_retry", args=[booking.pk])
    assert f'data-w-action-url-value="{retry}"' in html

    # The retry (the bookings admin's view) books it once the page is fixed.
    edit_and_publish(page, end=page.start + datetime.timedelta(hours=1))
    response = client.post(retry, {"next": reverse("wagtailadmin_pages:edit", args=[page.pk])})
    assert response.status_code == 302
    booking.refresh_from_db()
    assert booking.status == Status.BOOKED
    html = client.get(reverse("wagtailadmin_pages:edit", args=[page.pk])).content.decode()
    assert "Webex failed:" not in html and f'data-w-action-url-value="{retry}"' not in html
    assert booking.meeting_number in html
