"""The case-conference slot poll: the helpdesk's "Ask invitees" emails each invitee the slots in
their own time with a no-login link; the poll page takes yes / if need be / no per slot until
the conference is scheduled; the helpdesk's table shows every slot in each participant's time,
the flags and the slot that suits most (issue 11, point 3)."""

import datetime
import re
import zoneinfo

import pytest
from django.contrib.auth.models import Group
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from wagtail.models import ModelLogEntry

from directory.countries import COUNTRIES
from directory.models import Clinician, Country, Hospital
from events.models import ConferenceInvitee, ConferenceRequest, ConferenceSlot, SlotAnswer
from events.services import conference_polls as polls
from events.services import conference_scheduling as scheduling

Status = ConferenceRequest.Status
BRUSSELS = zoneinfo.ZoneInfo("Europe/Brussels")


def next_weekday(weekday, days_ahead=14):
    """A date at least ``days_ahead`` days from now that falls on ``weekday`` (0 = Monday)."""
    day = timezone.now().date() + datetime.timedelta(days=days_ahead)
    return day + datetime.timedelta(days=(weekday - day.weekday()) % 7)


def at(day, hour, zone=BRUSSELS, minute=0):
    return datetime.datetime.combine(day, datetime.time(hour, minute), zone)


@pytest.fixture
def people(db, django_user_model):
    """A requester in Brussels, invitees in Lisbon, Helsinki and (their own zone) the Azores."""

    def clinician(name, country, city, time_zone=""):
        hospital, _ = Hospital.objects.get_or_create(
            name=f"Hospital of {city}", city=city, country=country_of(country)
        )
        user = django_user_model.objects.create_user(name, f"{name}@example.eu")
        return Clinician.objects.create(
            first_name=name.title(),
            last_name="Test",
            email=f"{name}@example.eu",
            hospital=hospital,
            status=Clinician.Status.APPROVED,
            user=user,
            time_zone=time_zone,
        )

    return {
        "requester": clinician("rea", "BE", "Brussels"),
        "lisbon": clinician("luis", "PT", "Lisbon"),
        "helsinki": clinician("helmi", "FI", "Helsinki"),
        "azores": clinician("ana", "PT", "Ponta Delgada", time_zone="Atlantic/Azores"),
    }


def make_conference(people, starts, invitees=("lisbon", "helsinki", "azores"), **fields):
    requester = people["requester"]
    conference = ConferenceRequest.objects.create(
        requester=requester,
        requester_country=requester.hospital.country,
        clinical_question="Man, 54, fever for 3 weeks after a stay abroad; cultures negative.",
        time_zone="Europe/Brussels",
        duration_minutes=60,
        **fields,
    )
    for start in starts:
        ConferenceSlot.objects.create(request=conference, start=start)
    for key in invitees:
        ConferenceInvitee.objects.create(
            request=conference,
            clinician=people[key],
            country=people[key].hospital.country,
        )
    return conference


def country_of(code):
    """A country of the network (made again after a PostgreSQL race test's flush)."""
    name, zone, membership = next(
        (name, zone, membership) for c, name, zone, membership in COUNTRIES if c == code
    )
    return Country.objects.get_or_create(
        code=code, defaults={"name": name, "time_zone": zone, "membership": membership}
    )[0]


@pytest.fixture
def helpdesk(make_staff):
    Group.objects.get_or_create(name="Helpdesk")  # gone after a race test's flush
    return make_staff("desk", "Helpdesk")


def poll_path(invitee):
    return reverse("events:conference_poll", args=[invitee.poll_token])


def invitee_of(conference, person):
    return conference.invitees.get(clinician=person)


# -- asking the invitees ---------------------------------------------------------------------


@pytest.mark.django_db
def test_asking_sends_each_invitee_the_slots_in_their_own_time_and_their_link(
    people, helpdesk, django_capture_on_commit_callbacks
):
    tuesday = next_weekday(1)
    conference = make_conference(people, [at(tuesday, 14), at(tuesday, 16)])
    with django_capture_on_commit_callbacks(execute=True):
        asked = scheduling.ask_invitees(conference, by=helpdesk)
    assert asked == 3
    conference.refresh_from_db()
    assert conference.status == Status.POLLING
    by_address = {message.to[0]: message for message in mail.outbox}
    assert set(by_address) == {"luis@example.eu", "helmi@example.eu", "ana@example.eu"}
    # 14:00 in Brussels is 13:00 in Lisbon, 15:00 in Helsinki and 12:00 in the Azores (each
    # in summer and winter alike: the three zones change on the same day).
    expected = {
        "luis@example.eu": ("Europe/Lisbon", "13:00–14:00"),
        "helmi@example.eu": ("Europe/Helsinki", "15:00–16:00"),
        "ana@example.eu": ("Atlantic/Azores", "12:00–13:00"),
    }
    for address, (zone, first) in expected.items():
        body = by_address[address].body
        assert zone in body and first in body, address
        invitee = conference.invitees.get(clinician__email=address)
        assert f"/conferences/poll/{invitee.poll_token}/" in body
    assert ModelLogEntry.objects.filter(
        action=scheduling.ASK_ACTION, object_id=str(conference.pk)
    ).exists()
    # Asked once: asking again is refused, and nothing more is sent.
    with pytest.raises(scheduling.TransitionNotAllowed):
        scheduling.ask_invitees(conference, by=helpdesk)


@pytest.mark.django_db
def test_the_poll_links_are_long_random_and_distinct(people):
    conference = make_conference(people, [at(next_weekday(1), 14)])
    tokens = list(conference.invitees.values_list("poll_token", flat=True))
    assert len(set(tokens)) == 3
    assert all(len(token) >= 40 and re.fullmatch(r"[A-Za-z0-9_-]+", token) for token in tokens)


# -- the poll page ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_an_invitee_answers_every_slot_and_may_answer_again(client, people):
    tuesday = next_weekday(1)
    conference = make_conference(people, [at(tuesday, 14), at(tuesday, 16)], status=Status.POLLING)
    first, second = conference.slots.all()
    invitee = invitee_of(conference, people["helsinki"])
    page = client.get(poll_path(invitee))
    assert page.status_code == 200
    html = page.content.decode()
    assert "Europe/Helsinki" in html and "15:00–16:00" in html
    assert html.count("<fieldset") == 2 and html.count("<legend>") == 2
    assert page["Referrer-Policy"] == "same-origin"  # the link never leaves for another site
    assert "noindex" in page["X-Robots-Tag"]
    assert "no-store" in page["Cache-Control"]

    response = client.post(
        poll_path(invitee), {f"slot_{first.pk}": "yes", f"slot_{second.pk}": "maybe"}
    )
    assert response.status_code == 302
    answers = dict(invitee.answers.values_list("slot_id", "answer"))
    assert answers == {first.pk: "yes", second.pk: "maybe"}
    invitee.refresh_from_db()
    assert invitee.answered_at is not None
    saved = client.get(response["Location"]).content.decode()
    assert "your answers are saved" in saved
    assert re.search(r'value="yes" id="[^"]+"\s*checked', saved)

    client.post(poll_path(invitee), {f"slot_{first.pk}": "no", f"slot_{second.pk}": "yes"})
    answers = dict(invitee.answers.values_list("slot_id", "answer"))
    assert answers == {first.pk: "no", second.pk: "yes"}
    assert SlotAnswer.objects.count() == 2


@pytest.mark.django_db
def test_a_slot_left_unanswered_is_named_and_nothing_is_stored(client, people):
    tuesday = next_weekday(1)
    conference = make_conference(people, [at(tuesday, 14), at(tuesday, 16)])
    first, second = conference.slots.all()
    invitee = invitee_of(conference, people["lisbon"])
    response = client.post(poll_path(invitee), {f"slot_{first.pk}": "yes"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "There is a problem" in html
    assert f'href="#id_slot_{second.pk}"' in html
    assert "Choose yes, if need be or no for this time." in html
    assert not SlotAnswer.objects.exists()
    # A made-up answer is refused the same way.
    response = client.post(
        poll_path(invitee), {f"slot_{first.pk}": "yes", f"slot_{second.pk}": "perhaps"}
    )
    assert response.status_code == 200 and not SlotAnswer.objects.exists()


@pytest.mark.django_db
def test_unknown_and_erased_links_are_not_found(client, people):
    conference = make_conference(people, [at(next_weekday(1), 14)])
    assert client.get("/conferences/poll/not-a-real-token/").status_code == 404
    invitee = invitee_of(conference, people["lisbon"])
    ConferenceInvitee.objects.filter(pk=invitee.pk).update(erased=True, clinician=None)
    assert client.get(poll_path(invitee)).status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize("status", [Status.SCHEDULED, Status.CANCELLED, Status.DECLINED])
def test_the_poll_is_closed_once_scheduled_or_called_off(client, people, status):
    conference = make_conference(people, [at(next_weekday(1), 14)], status=status)
    slot = conference.slots.get()
    invitee = invitee_of(conference, people["lisbon"])
    page = client.get(poll_path(invitee))
    assert page.status_code == 200
    assert "The poll is closed" in page.content.decode()
    response = client.post(poll_path(invitee), {f"slot_{slot.pk}": "yes"})
    assert "The poll is closed" in response.content.decode()
    assert not SlotAnswer.objects.exists()
    with pytest.raises(polls.PollClosed):
        polls.record_answers(invitee, {slot.pk: "yes"})


@pytest.mark.django_db
def test_answers_for_another_requests_slot_are_refused(people):
    day = next_weekday(1)
    mine = make_conference(people, [at(day, 14)])
    other = make_conference(people, [at(day, 15)])
    invitee = invitee_of(mine, people["lisbon"])
    with pytest.raises(polls.UnknownSlot):
        polls.record_answers(invitee, {other.slots.get().pk: "yes"})
    assert not SlotAnswer.objects.exists()


# -- the helpdesk's table --------------------------------------------------------------------


@pytest.mark.django_db
def test_the_table_shows_local_times_flags_and_suggests_the_slot_that_suits_most(people):
    tuesday, saturday = next_weekday(1), next_weekday(5)
    early = at(tuesday, 8)  # 07:00 in Lisbon, 06:00 in the Azores: outside their day
    afternoon = at(tuesday, 14)
    weekend = at(saturday, 14)
    conference = make_conference(people, [early, afternoon, weekend])
    slots = {slot.start: slot for slot in conference.slots.all()}
    answers = {
        "lisbon": {early: "yes", afternoon: "yes", weekend: "yes"},
        "helsinki": {early: "yes", afternoon: "maybe", weekend: "yes"},
        "azores": {early: "yes", afternoon: "yes", weekend: "maybe"},
    }
    for key, chosen in answers.items():
        polls.record_answers(
            invitee_of(conference, people[key]),
            {slots[start].pk: answer for start, answer in chosen.items()},
        )

    participants, rows = polls.slot_table(conference)
    assert [p.zone for p in participants] == [
        "Europe/Brussels",
        "Europe/Lisbon",
        "Europe/Helsinki",
        "Atlantic/Azores",
    ]
    by_start = {row.slot.start: row for row in rows}
    # Scores: early 6, afternoon 5, weekend 5.
    assert [by_start[s].score for s in (early, afternoon, weekend)] == [6, 5, 5]
    early_cells = {person.zone: local for person, local, _answer in by_start[early].cells}
    assert early_cells["Europe/Lisbon"].start.hour == 7 and early_cells["Europe/Lisbon"].flagged
    assert early_cells["Atlantic/Azores"].outside_hours
    assert not early_cells["Europe/Brussels"].flagged  # 08:00 sharp is inside the day
    assert all(local.weekend for _p, local, _a in by_start[weekend].cells)
    # The highest score wins even with flags.
    assert by_start[early].suggested
    assert polls.suggested_slot(conference) == slots[early]

    # Lisbon cannot do the early slot after all: afternoon and weekend tie at 5, and the
    # afternoon has no flags while the weekend is flagged for everyone.
    polls.record_answers(invitee_of(conference, people["lisbon"]), {slots[early].pk: "no"})
    _participants, rows = polls.slot_table(conference)
    assert [row.slot.start for row in rows if row.suggested] == [afternoon]


@pytest.mark.django_db
def test_a_slot_that_has_passed_is_never_suggested(people):
    past = timezone.now() - datetime.timedelta(hours=2)
    future = at(next_weekday(1), 14)
    conference = make_conference(people, [past, future])
    slots = {slot.start: slot for slot in conference.slots.all()}
    polls.record_answers(
        invitee_of(conference, people["lisbon"]), {slots[past].pk: "yes", slots[future].pk: "no"}
    )
    assert polls.suggested_slot(conference) == slots[future]


# -- an answer racing the scheduling (PostgreSQL) ------------------------------------------------


def answer_while_scheduling(conference, invitee, helpdesk, monkeypatch):
    """The helpdesk schedules ``conference`` and holds its transaction open (2 s at most) once
    the step is checked; meanwhile the invitee answers. Returns "stored" or "refused"."""
    import threading

    from django.db import connections

    locked, answered = threading.Event(), threading.Event()
    check = scheduling._check

    def check_and_hold(locked_conference, step):
        check(locked_conference, step)
        locked.set()
        answered.wait(2)  # with the row lock, the answer waits for this commit instead

    monkeypatch.setattr(scheduling, "_check", check_and_hold)
    outcome = []

    def schedule():
        try:
            scheduling.schedule(conference, conference.slots.first(), by=helpdesk)
        finally:
            connections.close_all()

    def answer():
        locked.wait(5)
        try:
            polls.record_answers(invitee, {conference.slots.first().pk: "yes"})
            outcome.append("stored")
        except polls.PollClosed:
            outcome.append("refused")
        finally:
            answered.set()
            connections.close_all()

    threads = [threading.Thread(target=schedule), threading.Thread(target=answer)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    return outcome


@pytest.fixture
def racing(transactional_db, settings):
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL (SQLite ignores select_for_update)")
    settings.WEBEX_BACKEND = "events.webex.simulated.SimulatedWebex"


def test_an_answer_never_lands_after_the_conference_is_scheduled(
    racing, people, helpdesk, monkeypatch
):
    conference = make_conference(people, [at(next_weekday(1), 14)], status=Status.POLLING)
    invitee = invitee_of(conference, people["lisbon"])
    assert answer_while_scheduling(conference, invitee, helpdesk, monkeypatch) == ["refused"]
    assert ConferenceRequest.objects.get(pk=conference.pk).status == Status.SCHEDULED
    assert not SlotAnswer.objects.exists()


def test_control_without_the_row_lock_the_answer_lands_after(racing, people, helpdesk, monkeypatch):
    """The same race with select_for_update made a no-op: the answer is stored while the
    scheduling is under way, so the test above can see a missing lock."""
    from django.db.models import QuerySet

    monkeypatch.setattr(QuerySet, "select_for_update", lambda self, **kwargs: self)
    conference = make_conference(people, [at(next_weekday(1), 14)], status=Status.POLLING)
    invitee = invitee_of(conference, people["lisbon"])
    assert answer_while_scheduling(conference, invitee, helpdesk, monkeypatch) == ["stored"]
    assert ConferenceRequest.objects.get(pk=conference.pk).status == Status.SCHEDULED
    assert SlotAnswer.objects.count() == 1
