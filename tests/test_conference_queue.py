"""The helpdesk's queue of case conferences (issue 11, point 4): the wagtail-modeladmin listing
(urgent first, filters), each step a service behind a POST with CSRF for the helpdesk only;
scheduling books a Webex meeting that is never recorded and, once booked, sends every
participant one METHOD:REQUEST with all of them as ATTENDEEs; a failed booking shows with Retry;
rescheduling sends an update (same UID, higher SEQUENCE) and moves the meeting; cancelling
sends METHOD:CANCEL and deletes it."""

import datetime
import json

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from icalendar import Calendar
from wagtail.models import ModelLogEntry

from events.calendar import PATIENT_DATA_REMINDER
from events.models import ConferenceRequest, WebexBooking
from events.services import conference_polls as polls
from events.services import conference_scheduling as scheduling
from events.webex.simulated import SimulatedWebex
from tests import test_conference_poll as poll_tests
from tests.fake_webex import api_backend_against_fake
from tests.test_conference_poll import at, make_conference, next_weekday

# The poll tests' fixtures: the people in four zones, and a helpdesk member.
people = poll_tests.people
helpdesk = poll_tests.helpdesk

Status = ConferenceRequest.Status
EVERYONE = {"rea@example.eu", "luis@example.eu", "helmi@example.eu", "ana@example.eu"}


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
def desk_settings(settings):
    settings.HELPDESK_EMAIL = "desk@network.example.eu"
    return settings


def calendars(messages):
    """{recipient: icalendar.Calendar} of the invite.ics attached to each message."""
    found = {}
    for message in messages:
        for name, content, _mimetype in message.attachments:
            if name == "invite.ics":
                data = content if isinstance(content, bytes) else content.encode()
                found[message.to[0]] = Calendar.from_ical(data)
    return found


def event_of(calendar):
    return next(iter(calendar.walk("VEVENT")))


def attendees(event):
    values = event.get("ATTENDEE")
    values = values if isinstance(values, list) else [values]
    return {str(value).removeprefix("mailto:") for value in values}


def schedule(conference, helpdesk, capture, slot=None):
    slot = slot or conference.slots.first()
    with capture(execute=True):
        scheduling.schedule(conference, slot, by=helpdesk)
    conference.refresh_from_db()
    return conference


# -- scheduling, and the invitation once Webex has booked -----------------------------------


@pytest.mark.django_db
def test_scheduling_books_an_unrecorded_meeting_and_then_invites_everyone_once(
    people, helpdesk, fake, desk_settings, django_capture_on_commit_callbacks
):
    tuesday = next_weekday(1)
    conference = make_conference(people, [at(tuesday, 14), at(tuesday, 16)], status="polling")
    conference = schedule(conference, helpdesk, django_capture_on_commit_callbacks)

    assert conference.status == Status.SCHEDULED
    booking = conference.booking
    assert booking.status == WebexBooking.Status.BOOKED and booking.kind == "meeting"
    creates = fake.calls("POST", "/meetings")
    assert len(creates) == 1
    body = json.loads(creates[0].body)
    # The contract: a meeting, never recorded automatically (false, or not sent at all).
    assert body.get("enabledAutoRecordMeeting", False) is False
    assert body.get("scheduledType", "meeting") == "meeting"
    assert "fever" not in creates[0].body.decode()  # nothing from the clinical question

    # One message per participant, each with the same calendar listing all of them.
    assert {message.to[0] for message in mail.outbox} == EVERYONE
    assert all(message.from_email == "desk@network.example.eu" for message in mail.outbox)
    found = calendars(mail.outbox)
    assert set(found) == EVERYONE
    uids = set()
    for address, calendar in found.items():
        assert str(calendar["METHOD"]) == "REQUEST"
        event = event_of(calendar)
        assert attendees(event) == EVERYONE, address
        assert str(event["ORGANIZER"]) == "mailto:desk@network.example.eu"
        assert int(event["SEQUENCE"]) == 0
        description = str(event["DESCRIPTION"])
        assert booking.web_link in description and booking.password in description
        assert booking.call_in_numbers[0]["number"] in description
        assert PATIENT_DATA_REMINDER in description
        assert event.decoded("DTSTART") == at(tuesday, 14)
        uids.add(str(event["UID"]))
    assert uids == {conference.calendar_uid}
    # The body names the time in the recipient's zone.
    helmi = next(m for m in mail.outbox if m.to == ["helmi@example.eu"])
    assert "15:00–16:00 (Europe/Helsinki)" in helmi.body and booking.web_link in helmi.body
    assert conference.invited_sequence == 0
    assert ModelLogEntry.objects.filter(
        action=scheduling.SCHEDULE_ACTION, object_id=str(conference.pk)
    ).exists()

    # The booking saved again (a retry with nothing to do) sends nothing more.
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        WebexBooking.objects.get(pk=booking.pk).save()
        assert scheduling.send_invitations_if_due(conference.pk) == 0
    assert mail.outbox == []


@pytest.mark.django_db
def test_a_failed_booking_shows_on_the_request_with_retry_and_invites_once_booked(
    client, people, helpdesk, fake, settings, django_capture_on_commit_callbacks
):
    settings.WEBEX_BOOKING_RETRY_DELAYS = []  # nothing retried automatically
    fake.fail("503", times=99, method="POST", path="/meetings")
    conference = make_conference(people, [at(next_weekday(2), 10)], status="polling")
    conference = schedule(conference, helpdesk, django_capture_on_commit_callbacks)
    booking = conference.booking
    assert booking.status == WebexBooking.Status.PENDING and booking.last_error
    assert mail.outbox == []  # no invitation without a join link

    client.force_login(helpdesk)
    inspect = reverse("events_conferencerequest_modeladmin_inspect", args=[conference.pk])
    html = client.get(inspect).content.decode()
    assert "Webex failed" in html and "Retry booking" in html
    retry = reverse("events_webexbooking_retry", args=[booking.pk])
    assert retry in html

    fake.faults.clear()  # Webex is back
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(retry, {"next": inspect})
    assert response.status_code == 302
    booking.refresh_from_db()
    assert booking.status == WebexBooking.Status.BOOKED
    assert {message.to[0] for message in mail.outbox} == EVERYONE
    html = client.get(inspect).content.decode()
    assert "Webex failed" not in html and booking.web_link in html


@pytest.mark.django_db
def test_rescheduling_moves_the_meeting_and_sends_an_update(
    people, helpdesk, fake, django_capture_on_commit_callbacks
):
    tuesday = next_weekday(1)
    conference = make_conference(people, [at(tuesday, 14), at(tuesday, 16)], status="polling")
    first, second = conference.slots.all()
    conference = schedule(conference, helpdesk, django_capture_on_commit_callbacks, first)
    meeting_id = conference.booking.webex_meeting_id
    uid = conference.calendar_uid
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        scheduling.reschedule(conference, by=helpdesk, slot=second)
    conference.refresh_from_db()
    assert conference.chosen_slot == second and conference.sequence == 1
    updates = fake.calls("PUT", f"/meetings/{meeting_id}")
    assert len(updates) == 1
    assert json.loads(updates[0].body).get("enabledAutoRecordMeeting", False) is False
    moved = fake.meetings[meeting_id]["start"].replace("Z", "+00:00")
    assert datetime.datetime.fromisoformat(moved) == second.start
    found = calendars(mail.outbox)
    assert set(found) == EVERYONE
    for calendar in found.values():
        event = event_of(calendar)
        assert str(calendar["METHOD"]) == "REQUEST"
        assert str(event["UID"]) == uid and int(event["SEQUENCE"]) == 1
        assert event.decoded("DTSTART") == at(tuesday, 16)
    assert "new time" in mail.outbox[0].subject.lower()

    # To a time nobody proposed: kept as a new slot, SEQUENCE 2.
    mail.outbox.clear()
    new_start = at(next_weekday(3), 9)
    with django_capture_on_commit_callbacks(execute=True):
        scheduling.reschedule(conference, by=helpdesk, start=new_start)
    conference.refresh_from_db()
    assert conference.chosen_slot.start == new_start and conference.sequence == 2
    assert {int(event_of(c)["SEQUENCE"]) for c in calendars(mail.outbox).values()} == {2}
    # The same time again is refused.
    with pytest.raises(scheduling.SlotNotUsable):
        scheduling.reschedule(conference, by=helpdesk, start=new_start)


@pytest.mark.django_db
def test_cancelling_sends_method_cancel_to_everyone_and_deletes_the_meeting(
    people, helpdesk, fake, django_capture_on_commit_callbacks
):
    conference = make_conference(people, [at(next_weekday(1), 14)], status="polling")
    conference = schedule(conference, helpdesk, django_capture_on_commit_callbacks)
    meeting_id = conference.booking.webex_meeting_id
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        scheduling.cancel(conference, by=helpdesk, reason="The patient was transferred.")
    conference.refresh_from_db()
    assert conference.status == Status.CANCELLED and conference.ended_at is not None
    assert meeting_id not in fake.meetings
    assert len(fake.calls("DELETE", f"/meetings/{meeting_id}")) == 1
    assert conference.booking.status == WebexBooking.Status.CANCELLED
    found = calendars(mail.outbox)
    assert set(found) == EVERYONE
    for calendar in found.values():
        event = event_of(calendar)
        assert str(calendar["METHOD"]) == "CANCEL"
        assert str(event["UID"]) == conference.calendar_uid
        assert int(event["SEQUENCE"]) == 1
        assert attendees(event) == EVERYONE
    assert all("transferred" in message.body for message in mail.outbox)
    # Cancelled is final.
    with pytest.raises(scheduling.TransitionNotAllowed):
        scheduling.schedule(conference, conference.slots.first(), by=helpdesk)


@pytest.mark.django_db
def test_declining_sends_the_reason_to_the_requester_and_closes_the_poll(
    people, helpdesk, django_capture_on_commit_callbacks
):
    conference = make_conference(people, [at(next_weekday(1), 14)], status="polling")
    with pytest.raises(ValueError):
        scheduling.decline(conference, by=helpdesk, reason="  ")
    with django_capture_on_commit_callbacks(execute=True):
        scheduling.decline(conference, by=helpdesk, reason="No neurologist is free this month.")
    conference.refresh_from_db()
    assert conference.status == Status.DECLINED
    requester_mail = [m for m in mail.outbox if m.to == ["rea@example.eu"]]
    assert len(requester_mail) == 1 and "No neurologist is free" in requester_mail[0].body
    # The invitees who were asked are told there will be none; they are not sent the reason.
    others = [m for m in mail.outbox if m.to != ["rea@example.eu"]]
    assert len(others) == 3 and all("No neurologist" not in m.body for m in others)
    assert not polls.poll_is_open(conference)


@pytest.mark.django_db
def test_the_whole_way_and_the_transitions_refused(
    people, helpdesk, simulated, django_capture_on_commit_callbacks
):
    conference = make_conference(people, [at(next_weekday(1), 14)])
    for step in ("hold", "close", "reschedule"):
        assert step not in scheduling.allowed_steps(conference)
    with pytest.raises(scheduling.TransitionNotAllowed):
        scheduling.mark_held(conference, by=helpdesk)
    with django_capture_on_commit_callbacks(execute=True):
        scheduling.ask_invitees(conference, by=helpdesk)
    conference = schedule(conference, helpdesk, django_capture_on_commit_callbacks)
    # Not held before it starts.
    with pytest.raises(scheduling.TransitionNotAllowed):
        scheduling.mark_held(conference, by=helpdesk)
    ConferenceRequest.objects.filter(pk=conference.pk).update(status=Status.SCHEDULED)
    conference.chosen_slot.start = at(next_weekday(1, days_ahead=-20), 14)
    conference.chosen_slot.save()
    scheduling.mark_held(conference, by=helpdesk)
    scheduling.close(conference, by=helpdesk)
    conference.refresh_from_db()
    assert conference.status == Status.CLOSED and conference.ended_at is not None
    actions = list(
        ModelLogEntry.objects.filter(object_id=str(conference.pk))
        .order_by("pk")
        .values_list("action", flat=True)
    )
    assert actions == [
        scheduling.ASK_ACTION,
        scheduling.SCHEDULE_ACTION,
        scheduling.INVITE_ACTION,
        scheduling.HOLD_ACTION,
        scheduling.CLOSE_ACTION,
    ]


# -- the admin queue ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_queue_lists_urgent_first_filters_and_shows_the_table(client, people, helpdesk):
    day = next_weekday(1)
    routine = make_conference(people, [at(day, 14)])
    urgent = make_conference(people, [at(day, 15)], urgency="urgent")
    declined = make_conference(people, [at(day, 16)], status="declined")
    client.force_login(helpdesk)
    index = reverse("events_conferencerequest_modeladmin_index")
    html = client.get(index).content.decode()
    assert html.index(f"Request {urgent.pk}<") < html.index(f"Request {routine.pk}<")
    assert reverse("events_conferencerequest_ask", args=[routine.pk]) in html
    assert reverse("events_conferencerequest_ask", args=[declined.pk]) not in html
    filtered = client.get(index, {"status__exact": "declined"}).content.decode()
    assert f"Request {declined.pk}<" in filtered and f"Request {routine.pk}<" not in filtered
    urgent_only = client.get(index, {"urgency__exact": "urgent"}).content.decode()
    assert f"Request {urgent.pk}<" in urgent_only and f"Request {routine.pk}<" not in urgent_only
    assert "Case conferences" in client.get(reverse("wagtailadmin_home")).content.decode()

    inspect = client.get(
        reverse("events_conferencerequest_modeladmin_inspect", args=[routine.pk])
    ).content.decode()
    for zone in ("Europe/Brussels", "Europe/Lisbon", "Europe/Helsinki", "Atlantic/Azores"):
        assert zone in inspect
    assert "Suits most" in inspect
    assert client.get("/admin/events/conferencerequest/create/").status_code == 404
    assert client.get(f"/admin/events/conferencerequest/edit/{routine.pk}/").status_code == 404


@pytest.mark.django_db
def test_the_steps_are_posts_with_csrf_by_the_helpdesk_only(
    people, helpdesk, make_staff, simulated, django_capture_on_commit_callbacks
):
    conference = make_conference(people, [at(next_weekday(1), 14)])
    ask = reverse("events_conferencerequest_ask", args=[conference.pk])

    editor = Client()
    editor.force_login(make_staff("editor", "Editors"))
    assert editor.get(ask).status_code == 403
    assert editor.post(ask).status_code == 403
    clinician = Client()
    clinician.force_login(people["requester"].user)
    assert clinician.post(ask).status_code in (302, 403)
    conference.refresh_from_db()
    assert conference.status == Status.SUBMITTED

    desk = Client(enforce_csrf_checks=True)
    desk.force_login(helpdesk)
    page = desk.get(ask)
    assert page.status_code == 200 and "Yes, ask them" in page.content.decode()
    assert desk.post(ask).status_code == 403  # no CSRF token
    conference.refresh_from_db()
    assert conference.status == Status.SUBMITTED
    token = str(page.context["csrf_token"])
    with django_capture_on_commit_callbacks(execute=True):
        assert desk.post(ask, {"csrfmiddlewaretoken": token}).status_code == 302
    conference.refresh_from_db()
    assert conference.status == Status.POLLING

    schedule_url = reverse("events_conferencerequest_schedule", args=[conference.pk])
    page = desk.get(schedule_url).content.decode()
    assert "suits most" in page
    response = desk.post(schedule_url, {"csrfmiddlewaretoken": token})
    assert response.status_code == 200 and "Choose one of the proposed times" in (
        response.content.decode()
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = desk.post(
            schedule_url,
            {"csrfmiddlewaretoken": token, "slot": str(conference.slots.first().pk)},
        )
    assert response.status_code == 302
    conference.refresh_from_db()
    assert conference.status == Status.SCHEDULED
    assert conference.booking.status == WebexBooking.Status.BOOKED
    assert conference.invited_sequence == 0

    decline = reverse("events_conferencerequest_decline", args=[conference.pk])
    response = desk.post(decline, {"csrfmiddlewaretoken": token, "reason": "Too late."})
    assert response.status_code == 302
    conference.refresh_from_db()
    assert conference.status == Status.SCHEDULED  # not allowed from scheduled: nothing changed

    cancel = reverse("events_conferencerequest_cancel", args=[conference.pk])
    with django_capture_on_commit_callbacks(execute=True):
        desk.post(cancel, {"csrfmiddlewaretoken": token, "reason": ""})
    conference.refresh_from_db()
    assert conference.status == Status.CANCELLED


@pytest.mark.django_db
def test_the_demo_has_every_state_in_three_zones_and_sends_nothing(
    client, home_page, helpdesk, django_capture_on_commit_callbacks
):
    from events.demo import seed_conferences
    from events.models import ConferenceInvitee

    with django_capture_on_commit_callbacks(execute=True):
        created = seed_conferences(home_page)
    assert created
    assert set(ConferenceRequest.objects.values_list("status", flat=True)) == set(Status.values)
    zones = {polls.zone_of(i.clinician) for i in ConferenceInvitee.objects.all()}
    assert len(zones) >= 3
    assert mail.outbox == []
    with django_capture_on_commit_callbacks(execute=True):
        assert seed_conferences(home_page) == []
    assert ConferenceRequest.objects.count() == len(Status.values)

    polling = ConferenceRequest.objects.get(status=Status.POLLING)
    invitee = polling.invitees.first()
    assert client.get(f"/conferences/poll/{invitee.poll_token}/").status_code == 200
    client.force_login(helpdesk)
    scheduled = ConferenceRequest.objects.get(status=Status.SCHEDULED)
    html = client.get(
        reverse("events_conferencerequest_modeladmin_inspect", args=[scheduled.pk])
    ).content.decode()
    assert scheduled.booking.web_link in html and "Suits most" in html
    assert mail.outbox == []


@pytest.mark.django_db
def test_the_request_shows_waiting_for_webex_and_is_moved_from_the_admin(
    client, people, helpdesk, simulated, django_capture_on_commit_callbacks
):
    conference = make_conference(people, [at(next_weekday(1), 14)], status="polling")
    with django_capture_on_commit_callbacks(execute=False):
        scheduling.schedule(conference, conference.slots.first(), by=helpdesk)  # task not run
    client.force_login(helpdesk)
    inspect = reverse("events_conferencerequest_modeladmin_inspect", args=[conference.pk])
    html = client.get(inspect).content.decode()
    assert "Waiting for Webex" in html and "Book on Webex" not in html
    assert mail.outbox == []

    reschedule = reverse("events_conferencerequest_reschedule", args=[conference.pk])
    new_day = next_weekday(3)
    response = client.post(reschedule, {"slot": "new", "new_date": "", "new_time": ""})
    assert "give a new date and time" in response.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reschedule, {"slot": "new", "new_date": new_day.isoformat(), "new_time": "09:30"}
        )
    assert response.status_code == 302
    conference.refresh_from_db()
    assert conference.chosen_slot.start == at(new_day, 9, minute=30)
    # Booked at the new time: everyone is sent the invitation (the first they get: SEQUENCE 1).
    assert conference.booking.status == WebexBooking.Status.BOOKED
    assert conference.booking.start == at(new_day, 9, minute=30)
    found = calendars(mail.outbox)
    assert set(found) == EVERYONE
    assert {int(event_of(c)["SEQUENCE"]) for c in found.values()} == {1}
    assert "Invitation" in mail.outbox[0].subject


@pytest.mark.django_db
def test_an_invitation_that_fails_leaves_the_booking_booked_and_says_so(
    client, people, helpdesk, simulated, monkeypatch, django_capture_on_commit_callbacks
):
    def broken(*args, **kwargs):
        raise RuntimeError("the mail log is unreachable")

    monkeypatch.setattr(scheduling, "send_mail", broken)
    conference = make_conference(people, [at(next_weekday(1), 14)], status="polling")
    conference = schedule(conference, helpdesk, django_capture_on_commit_callbacks)
    assert conference.booking.status == WebexBooking.Status.BOOKED
    assert conference.invited_sequence is None and mail.outbox == []
    client.force_login(helpdesk)
    html = client.get(
        reverse("events_conferencerequest_modeladmin_inspect", args=[conference.pk])
    ).content.decode()
    assert "participants have not been sent the invitation yet" in html
    # Nothing was marked as sent: once mail works again, asking again sends it.
    monkeypatch.undo()
    with django_capture_on_commit_callbacks(execute=True):
        assert scheduling.send_invitations_if_due(conference.pk) == 4
