"""Case conference requests (issue 11, points 1 and 5): the form at /conferences/request/ for
approved clinicians, each error on its field, the participant cap, a hospital meaning its
contact persons, one request per form key, the acknowledgements, the picker's JSON, and the
participants' view on /account/ (who sees what, the join link only once scheduled)."""

import datetime
import json
import threading
import uuid
import zoneinfo

import pytest
from bs4 import BeautifulSoup
from django.core import mail
from django.db import connection, connections
from django.utils import timezone
from wagtail.models import ModelLogEntry

from cms.mail.models import OutgoingMessage
from directory.models import Clinician, Hospital
from directory.services.personal_data import erase_clinician
from events.models import ConferenceInvitee, ConferenceRequest, WebexBooking
from events.services import conference_requests as service
from home.models import SiteSettings

from .conftest import country

URL = "/conferences/request/"
SEARCH_URL = "/conferences/request/invitees/"
BRUSSELS = zoneinfo.ZoneInfo("Europe/Brussels")
QUESTION = "Man, 54 years, fever and hypoxaemia on day 5 of admission; CRP 120 mg/L. Next steps?"


@pytest.fixture
def hospitals(db):
    be, fr, pl = (country(c) for c in ("BE", "FR", "PL"))
    return {
        "erasme": Hospital.objects.create(name="Hopital Erasme", city="Brussels", country=be),
        "pitie": Hospital.objects.create(name="Pitie-Salpetriere", city="Paris", country=fr),
        "lodz": Hospital.objects.create(name="Szpital Kopernika", city="Lodz", country=pl),
        "empty": Hospital.objects.create(name="Clinique Vide", city="Lyon", country=fr),
    }


@pytest.fixture
def make_clinician(django_user_model, hospitals):
    def make(name, hospital="erasme", status=Clinician.Status.APPROVED, **fields):
        user = django_user_model.objects.create_user(name, f"{name}@example.eu")
        return Clinician.objects.create(
            first_name=name.title(),
            last_name="Doctor",
            email=f"{name}@example.eu",
            phone="+32 2 555 01 23",
            hospital=hospitals[hospital],
            status=status,
            user=user,
            **fields,
        )

    return make


@pytest.fixture
def requester(make_clinician):
    return make_clinician("requester", time_zone="Europe/Brussels")


@pytest.fixture
def colleague(make_clinician):
    return make_clinician("colleague", hospital="pitie")


def slot_day(days=7):
    return (timezone.now().astimezone(BRUSSELS) + datetime.timedelta(days=days)).date()


def form_data(*people, hospitals=(), **overrides):
    data = {
        "submission_key": str(uuid.uuid4()),
        "time_zone": "Europe/Brussels",
        "duration_minutes": "60",
        "language": "en",
        "urgency": "routine",
        "clinical_question": QUESTION,
        "slot_1_date": slot_day().isoformat(),
        "slot_1_time": "14:00",
        "slot_2_date": slot_day(8).isoformat(),
        "slot_2_time": "09:30",
    }
    data.update(overrides)
    data = {k: v for k, v in data.items() if v is not None}
    data["people"] = [str(p.pk) for p in people]
    data["hospitals"] = [str(h.pk) for h in hospitals]
    return data


def page(response):
    return BeautifulSoup(response.content.decode(), "html.parser")


def field_error(response, name):
    """The error text shown on field ``name`` (its <p id="id_<name>_error">), or ''."""
    node = page(response).find(id=f"id_{name}_error")
    return node.get_text(" ", strip=True) if node else ""


def post(client, data):
    return client.post(URL, data)


# -- access ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_form_is_for_approved_clinicians_only(client, make_clinician, make_staff):
    response = client.get(URL)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    for status in (
        Clinician.Status.UNCONFIRMED,
        Clinician.Status.AWAITING,
        Clinician.Status.SUSPENDED,
    ):
        client.force_login(make_clinician(f"c-{status}", status=status).user)
        response = client.get(URL)
        assert response.status_code == 403
        assert "Only approved members" in response.content.decode()
        assert client.post(URL, form_data()).status_code == 403
    client.force_login(make_staff("editor", "Editors"))
    assert client.get(URL).status_code == 403
    assert not ConferenceRequest.objects.exists()


@pytest.mark.django_db
def test_the_form_shows_the_requesters_zone_and_a_one_time_key(client, make_clinician):
    # No zone of their own: their hospital country's (Poland).
    clinician = make_clinician("warsaw", hospital="lodz")
    client.force_login(clinician.user)
    response = client.get(URL)
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    html = page(response)
    zone = html.find("select", attrs={"name": "time_zone"}).find("option", selected=True)
    assert zone["value"] == "Europe/Warsaw"
    key = html.find("input", attrs={"name": "submission_key"})["value"]
    assert uuid.UUID(key)
    for n in range(1, 6):
        assert html.find("input", attrs={"name": f"slot_{n}_date"})
    assert not html.find("input", attrs={"name": "slot_6_date"})


# -- a request that works ----------------------------------------------------------------


@pytest.mark.django_db
def test_a_request_is_stored_logged_and_acknowledged(
    client, requester, colleague, django_capture_on_commit_callbacks
):
    client.force_login(requester.user)
    data = form_data(colleague, time_zone="America/New_York", language="fr")
    with django_capture_on_commit_callbacks(execute=True):
        response = post(client, data)
    conference = ConferenceRequest.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/conferences/request/{conference.pk}/sent/"
    assert conference.requester == requester
    assert conference.requester_country.code == "BE"
    assert str(conference.submission_key) == data["submission_key"]
    assert conference.time_zone == "America/New_York"
    assert (conference.language, conference.duration_minutes) == ("fr", 60)
    assert conference.status == ConferenceRequest.Status.SUBMITTED
    assert conference.clinical_question == QUESTION
    # The slots were typed in New York time.
    new_york = zoneinfo.ZoneInfo("America/New_York")
    starts = [slot.start.astimezone(new_york) for slot in conference.slots.all()]
    assert [(s.date(), s.hour, s.minute) for s in starts] == [
        (slot_day(), 14, 0),
        (slot_day(8), 9, 30),
    ]
    invitee = conference.invitees.get()
    assert (invitee.clinician, invitee.via_hospital, invitee.country.code) == (
        colleague,
        None,
        "FR",
    )
    entry = ModelLogEntry.objects.get(object_id=str(conference.pk))
    assert entry.action == service.SUBMIT_ACTION and entry.user == requester.user
    # The confirmation is the requester's only.
    confirmation = client.get(response["Location"])
    assert confirmation.status_code == 200
    assert colleague.full_name in confirmation.content.decode()
    client.force_login(colleague.user)
    assert client.get(response["Location"]).status_code == 404

    assert len(mail.outbox) == 2
    to_requester = next(m for m in mail.outbox if m.to == [requester.email])
    to_helpdesk = next(m for m in mail.outbox if m.to == ["helpdesk@cmss.example.eu"])
    assert f"request {conference.pk}" in to_requester.subject
    assert colleague.full_name in to_requester.body
    assert "America/New_York" in to_requester.body
    assert f"{slot_day():%A %-d %B %Y}, 14:00" in to_requester.body
    assert f"request {conference.pk}" in to_helpdesk.subject
    assert "/admin/" in to_helpdesk.body
    html = BeautifulSoup(to_helpdesk.alternatives[0][0], "html.parser")
    assert html.find("a", href=lambda h: h and "/admin/" in h)
    # Neither repeats the clinical question (sensitive text; the helpdesk reads it in the admin).
    for message in mail.outbox:
        assert "hypoxaemia" not in message.body
        assert "hypoxaemia" not in message.alternatives[0][0]


@pytest.mark.django_db
def test_the_helpdesk_address_comes_from_the_site_settings(
    client, home_page, requester, colleague, django_capture_on_commit_callbacks
):
    settings = SiteSettings.for_site(home_page.get_site())
    settings.helpdesk_email = "desk@network.example.eu"
    settings.save()
    client.force_login(requester.user)
    with django_capture_on_commit_callbacks(execute=True):
        post(client, form_data(colleague))
    assert sorted(m.to[0] for m in mail.outbox) == [
        "desk@network.example.eu",
        requester.email,
    ]


# -- errors on their fields ----------------------------------------------------------------


def assert_refused(response, field, *words):
    assert response.status_code == 200
    assert not ConferenceRequest.objects.exists()
    error = field_error(response, field)
    assert error, f"no error on {field}"
    for word in words:
        assert word in error, error
    # The error summary links to the field.
    summary = page(response).find(class_="error-summary")
    assert summary.find("a", href=f"#id_{field}")


@pytest.mark.django_db
def test_a_past_slot_is_refused_on_its_field(client, requester, colleague):
    client.force_login(requester.user)
    yesterday = slot_day(-1).isoformat()
    response = post(client, form_data(colleague, slot_2_date=yesterday))
    assert_refused(response, "slot_2_date", "Time slot 2", "past")


@pytest.mark.django_db
def test_overlapping_slots_are_refused(client, requester, colleague):
    client.force_login(requester.user)
    day = slot_day().isoformat()
    same = form_data(colleague, slot_2_date=day, slot_2_time="14:00")
    assert_refused(post(client, same), "slot_2_date", "overlaps time slot 1")
    # 14:45 starts before a 60-minute conference at 14:00 has ended.
    within = form_data(colleague, slot_2_date=day, slot_2_time="14:45")
    assert_refused(post(client, within), "slot_2_date", "overlaps time slot 1")
    # With 30 minutes, it does not.
    client.post(URL, {**within, "duration_minutes": "30"})
    assert ConferenceRequest.objects.count() == 1


@pytest.mark.django_db
def test_no_slot_and_half_a_slot_are_refused(client, requester, colleague):
    client.force_login(requester.user)
    none = form_data(colleague, slot_1_date="", slot_1_time="", slot_2_date="", slot_2_time="")
    assert_refused(post(client, none), "slot_1_date", "at least one time slot")
    half = form_data(colleague, slot_2_time="")
    assert_refused(post(client, half), "slot_2_time", "start time of time slot 2")


@pytest.mark.django_db
def test_an_urgent_request_needs_a_slot_within_48_hours(client, requester, colleague):
    client.force_login(requester.user)
    response = post(client, form_data(colleague, urgency="urgent"))
    assert_refused(response, "urgency", "48 hours")
    soon = timezone.now().astimezone(BRUSSELS) + datetime.timedelta(hours=30)
    response = post(
        client,
        form_data(
            colleague,
            urgency="urgent",
            slot_2_date=soon.date().isoformat(),
            slot_2_time=soon.strftime("%H:%M"),
        ),
    )
    assert response.status_code == 302
    assert ConferenceRequest.objects.get().urgency == "urgent"


@pytest.mark.django_db
def test_a_suspended_invitee_is_refused(client, requester, make_clinician):
    client.force_login(requester.user)
    suspended = make_clinician("away", status=Clinician.Status.SUSPENDED)
    assert_refused(post(client, form_data(suspended)), "people", "Away Doctor", "suspended")


@pytest.mark.django_db
def test_an_erased_invitee_is_refused(client, requester, colleague):
    client.force_login(requester.user)
    data = form_data(colleague)
    erase_clinician(colleague)
    assert_refused(post(client, data), "people", "no longer in the directory")


@pytest.mark.django_db
def test_a_member_not_approved_yet_is_refused(client, requester, make_clinician):
    client.force_login(requester.user)
    waiting = make_clinician("waiting", status=Clinician.Status.AWAITING)
    assert_refused(post(client, form_data(waiting)), "people", "not an approved member")


@pytest.mark.django_db
def test_the_requester_cannot_invite_themself(client, requester, colleague):
    client.force_login(requester.user)
    assert_refused(post(client, form_data(requester, colleague)), "people", "remove yourself")


@pytest.mark.django_db
def test_nobody_invited_is_refused(client, requester):
    client.force_login(requester.user)
    assert_refused(post(client, form_data()), "people", "at least one")


@pytest.mark.django_db
def test_a_hospital_without_contact_persons_is_refused(
    client, requester, make_clinician, hospitals
):
    client.force_login(requester.user)
    # A suspended contact person does not count.
    make_clinician("gone", hospital="empty", role=Clinician.Role.CONTACT_PERSON, status="suspended")
    response = post(client, form_data(hospitals=[hospitals["empty"]]))
    assert_refused(response, "hospitals", "Clinique Vide", "no contact person")


@pytest.mark.django_db
def test_a_hospital_means_its_contact_persons(
    client, requester, make_clinician, hospitals, django_capture_on_commit_callbacks
):
    contact = Clinician.Role.CONTACT_PERSON
    first = make_clinician("first", hospital="lodz", role=contact)
    second = make_clinician("second", hospital="lodz", role=contact)
    make_clinician("plain", hospital="lodz")  # not a contact person
    make_clinician("new", hospital="pitie", role=contact, status=Clinician.Status.AWAITING)
    client.force_login(requester.user)
    # "first" is also chosen by name: invited once, by name.
    with django_capture_on_commit_callbacks(execute=True):
        response = post(client, form_data(first, hospitals=[hospitals["lodz"]]))
    assert response.status_code == 302
    invitees = {i.clinician: i.via_hospital for i in ConferenceInvitee.objects.all()}
    assert invitees == {first: None, second: hospitals["lodz"]}
    assert ConferenceInvitee.objects.get(clinician=second).country.code == "PL"


@pytest.mark.django_db
def test_the_requesters_own_hospital_does_not_invite_the_requester(
    client, make_clinician, hospitals
):
    me = make_clinician("me", hospital="lodz", role=Clinician.Role.CONTACT_PERSON)
    other = make_clinician("other", hospital="lodz", role=Clinician.Role.CONTACT_PERSON)
    client.force_login(me.user)
    assert post(client, form_data(hospitals=[hospitals["lodz"]])).status_code == 302
    assert [i.clinician for i in ConferenceInvitee.objects.all()] == [other]


@pytest.mark.django_db
def test_participants_are_capped_at_the_licence(
    client, home_page, requester, make_clinician, hospitals
):
    settings = SiteSettings.for_site(home_page.get_site())
    settings.participant_limit = 3
    settings.save()
    a, b = make_clinician("a", hospital="pitie"), make_clinician("b", hospital="pitie")
    contact = make_clinician("c", hospital="lodz", role=Clinician.Role.CONTACT_PERSON)
    client.force_login(requester.user)
    # Requester + a + b + the hospital's contact person: 4 > 3.
    response = post(client, form_data(a, b, hospitals=[hospitals["lodz"]]))
    assert_refused(response, "people", "Too many invitees", "at most 3", "Remove 1")
    # Exactly at the cap: accepted.
    assert post(client, form_data(a, contact)).status_code == 302


@pytest.mark.django_db
def test_the_guards_refusal_is_on_the_question_and_keeps_the_text(client, requester, colleague):
    client.force_login(requester.user)
    text = "Patient John Smith, born 12/03/1961, fever since Monday."
    response = post(client, form_data(colleague, clinical_question=text))
    assert_refused(response, "clinical_question", "John Smith", "12/03/1961")
    kept = page(response).find("textarea", attrs={"name": "clinical_question"})
    assert kept.get_text().strip() == text


@pytest.mark.django_db
def test_the_service_refuses_what_the_form_refuses(requester, colleague, make_clinician):
    from django.core.exceptions import ValidationError

    start = timezone.now() + datetime.timedelta(days=3)
    data = {
        "people": [colleague.pk],
        "hospitals": [],
        "slots": [start],
        "time_zone": "Europe/Brussels",
        "duration_minutes": 60,
        "language": "en",
        "urgency": "routine",
        "clinical_question": QUESTION,
        "submission_key": uuid.uuid4(),
    }
    for bad in (
        {"slots": [timezone.now() - datetime.timedelta(hours=1)]},
        {"slots": [start, start + datetime.timedelta(minutes=59)]},
        {"people": [requester.pk]},
        {"clinical_question": "Patient Anna Kowalska, tel. +48 22 555 01 23"},
    ):
        with pytest.raises(ValidationError):
            service.submit_request(requester, {**data, **bad})
    waiting = make_clinician("waiting", status=Clinician.Status.AWAITING)
    with pytest.raises(PermissionError):
        service.submit_request(waiting, data)
    assert not ConferenceRequest.objects.exists()


# -- one request per form ------------------------------------------------------------------


@pytest.mark.django_db
def test_a_double_submit_makes_one_request(
    client, requester, colleague, django_capture_on_commit_callbacks
):
    client.force_login(requester.user)
    data = form_data(colleague)
    with django_capture_on_commit_callbacks(execute=True):
        first = post(client, data)
        second = post(client, data)
    conference = ConferenceRequest.objects.get()
    assert first["Location"] == second["Location"] == f"/conferences/request/{conference.pk}/sent/"
    assert len(mail.outbox) == 2  # one acknowledgement each, once
    # The service itself returns the first request for the same key.
    again = service.submit_request(
        requester,
        {"submission_key": conference.submission_key, "slots": [], "time_zone": "UTC"},
    )
    assert again == conference
    # Another clinician's post with that key makes their own request, not a view of this one.
    client.force_login(colleague.user)
    response = post(client, {**form_data(requester), "submission_key": data["submission_key"]})
    theirs = ConferenceRequest.objects.exclude(pk=conference.pk).get()
    assert theirs.requester == colleague and theirs.submission_key != conference.submission_key
    assert response["Location"] == f"/conferences/request/{theirs.pk}/sent/"


# -- the picker ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_find_without_javascript_shows_matches_and_keeps_the_choice(
    client, requester, colleague, make_clinician, hospitals
):
    make_clinician("kontakt", hospital="lodz", role=Clinician.Role.CONTACT_PERSON)
    other = make_clinician("pawel", hospital="lodz")
    client.force_login(requester.user)
    data = form_data(colleague, invitee_query="lodz", find="1", clinical_question="kept text")
    response = post(client, data)
    assert response.status_code == 200
    assert not ConferenceRequest.objects.exists()
    html = page(response)
    assert not html.find(class_="error-summary")  # nothing judged yet
    chosen = html.find(id="id_people").find("input", attrs={"value": str(colleague.pk)})
    assert chosen.has_attr("checked")
    results = html.find(id="invitee-results")
    found_person = results.find("input", attrs={"name": "people", "value": str(other.pk)})
    assert found_person and not found_person.has_attr("checked")
    found_hospital = results.find("input", attrs={"name": "hospitals"})
    assert found_hospital["value"] == str(hospitals["lodz"].pk)
    assert html.find("textarea", attrs={"name": "clinical_question"}).get_text().strip() == (
        "kept text"
    )
    assert html.find("input", attrs={"name": "submission_key"})["value"] == data["submission_key"]
    # Neither the requester nor contact details are offered.
    assert requester.full_name not in results.get_text()
    assert "@example.eu" not in response.content.decode()
    assert "555 01 23" not in response.content.decode()


@pytest.mark.django_db
def test_the_search_json_is_for_approved_clinicians_only(client, requester, make_clinician):
    response = client.get(SEARCH_URL, {"q": "doctor"})
    assert response.status_code == 403
    assert "people" not in response.json()
    client.force_login(make_clinician("pending", status=Clinician.Status.AWAITING).user)
    assert client.get(SEARCH_URL, {"q": "doctor"}).status_code == 403
    client.force_login(requester.user)
    response = client.get(SEARCH_URL, {"q": "doctor"})
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]


@pytest.mark.django_db
def test_the_search_json_names_people_and_hospitals_never_contact_details(
    client, requester, colleague, make_clinician, hospitals
):
    make_clinician("kontakt", hospital="lodz", role=Clinician.Role.CONTACT_PERSON)
    make_clinician("hidden", hospital="pitie", status=Clinician.Status.SUSPENDED)
    client.force_login(requester.user)
    data = client.get(SEARCH_URL, {"q": "doctor"}).json()
    names = {p["name"] for p in data["people"]}
    assert names == {"Colleague Doctor", "Kontakt Doctor"}  # not the requester, not suspended
    person = next(p for p in data["people"] if p["name"] == "Colleague Doctor")
    assert person == {
        "id": colleague.pk,
        "name": "Colleague Doctor",
        "hospital": "Pitie-Salpetriere",
        "country": "France",
    }
    data = client.get(SEARCH_URL, {"q": "szpital"}).json()
    assert data["hospitals"] == [
        {
            "id": hospitals["lodz"].pk,
            "name": "Szpital Kopernika",
            "city": "Lodz",
            "country": "Poland",
        }
    ]
    body = client.get(SEARCH_URL, {"q": "o"}).content.decode()
    assert "@" not in body and "555" not in body
    # Hospitals without a contact person are not offered.
    assert "Clinique Vide" not in client.get(SEARCH_URL, {"q": "vide"}).content.decode()


@pytest.mark.django_db
def test_the_search_json_is_capped_and_rate_limited(client, requester, make_clinician):
    for n in range(service.SEARCH_LIMIT + 3):
        make_clinician(f"many{n}")
    client.force_login(requester.user)
    data = client.get(SEARCH_URL, {"q": "many"}).json()
    assert len(data["people"]) == service.SEARCH_LIMIT
    assert data["total_people"] == service.SEARCH_LIMIT + 3
    from events.views import conferences

    for _ in range(conferences.SEARCHES_PER_WINDOW):
        client.get(SEARCH_URL, {"q": "x"})
    assert client.get(SEARCH_URL, {"q": "many"}).status_code == 429


# -- the participants' view on /account/ ---------------------------------------------------


def scheduled(conference, link="https://webex.example/join/abc", booked=True):
    slot = conference.slots.first()
    conference.booking = WebexBooking.objects.create(
        title="Case conference",
        start=slot.start,
        end=slot.end,
        status=WebexBooking.Status.BOOKED if booked else WebexBooking.Status.PENDING,
        web_link=link,
    )
    conference.chosen_slot = slot
    conference.status = ConferenceRequest.Status.SCHEDULED
    conference.save()
    return slot


def make_request(requester, *invitees):
    start = datetime.datetime.combine(slot_day(), datetime.time(14, 0), tzinfo=BRUSSELS)
    return service.submit_request(
        requester,
        {
            "people": [i.pk for i in invitees],
            "hospitals": [],
            "slots": [start, start + datetime.timedelta(days=1)],
            "time_zone": "Europe/Brussels",
            "duration_minutes": 60,
            "language": "en",
            "urgency": "routine",
            "clinical_question": QUESTION,
            "submission_key": uuid.uuid4(),
        },
    )


def conference_section(client):
    response = client.get("/account/")
    assert response.status_code == 200
    return page(response).find(id="conferences-heading").find_parent("section")


@pytest.mark.django_db
def test_the_account_lists_the_requesters_and_invitees_conferences(
    client, requester, colleague, make_clinician
):
    conference = make_request(requester, colleague)
    stranger = make_clinician("stranger", hospital="lodz")
    client.force_login(requester.user)
    section = conference_section(client)
    text = section.get_text(" ", strip=True)
    assert "Asked for by you" in text
    assert "Submitted" in text
    # While nobody chose a time: the proposed slots, in the requester's zone.
    assert f"{slot_day():%A %-d %B %Y}, 14:00" in text and "Europe/Brussels" in text
    assert not section.find("a", href=lambda h: h and "webex" in h)
    # The colleague (Paris: same zone) sees it as an invitee.
    client.force_login(colleague.user)
    assert "You are invited" in conference_section(client).get_text(" ", strip=True)
    # Another clinician sees nothing of it.
    client.force_login(stranger.user)
    section = conference_section(client)
    assert "no case conference" in section.get_text(" ", strip=True)
    assert str(conference.pk) not in section.get_text()


@pytest.mark.django_db
def test_the_join_link_only_for_participants_once_booked(
    client, requester, colleague, make_clinician
):
    conference = make_request(requester, colleague)
    stranger = make_clinician("stranger", hospital="lodz", time_zone="Europe/Warsaw")
    link = "https://webex.example/join/abc"
    scheduled(conference, link, booked=False)
    client.force_login(requester.user)
    assert not conference_section(client).find("a", href=link)  # booking not done yet
    conference.booking.status = WebexBooking.Status.BOOKED
    conference.booking.save()
    for who in (requester, colleague):
        client.force_login(who.user)
        section = conference_section(client)
        assert section.find("a", href=link), who
        assert "Scheduled" in section.get_text()
    client.force_login(stranger.user)
    assert link not in client.get("/account/").content.decode()


@pytest.mark.django_db
def test_the_chosen_time_is_shown_in_each_participants_zone(client, requester, make_clinician):
    lisbon = make_clinician("lisbon", time_zone="Europe/Lisbon")
    conference = make_request(requester, lisbon)
    slot = scheduled(conference)
    client.force_login(lisbon.user)
    text = conference_section(client).get_text(" ", strip=True)
    local = slot.start.astimezone(zoneinfo.ZoneInfo("Europe/Lisbon"))
    assert f"{local:%H:%M}" == "13:00"
    assert f"{local:%A %-d %B %Y}, 13:00" in text and "Europe/Lisbon" in text


@pytest.mark.django_db
def test_an_erased_invitation_is_not_shown(client, requester, colleague):
    conference = make_request(requester, colleague)
    scheduled(conference)
    conference.invitees.update(erased=True)
    client.force_login(colleague.user)
    assert "no case conference" in conference_section(client).get_text(" ", strip=True)


def test_the_json_escapes_markup():
    from events.views.conferences import _json

    body = _json({"name": "<script>&"}).content.decode()
    assert "<" not in body and "&" not in body
    assert json.loads(body) == {"name": "<script>&"}


@pytest.mark.django_db
def test_find_with_an_empty_box_says_what_to_type(client, requester, colleague):
    client.force_login(requester.user)
    response = post(client, form_data(colleague, invitee_query="  ", find="1"))
    results = page(response).find(id="invitee-results")
    assert "Type part of a name" in results.get_text()
    assert not results.find("input")


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="a real race needs PostgreSQL's concurrent writers"
)
def test_two_simultaneous_submits_of_one_form_make_one_request(
    transactional_db, requester, colleague, monkeypatch
):
    """Both submits pass the "already made?" check before either stores (the barrier shows it:
    without the unique key, that is two requests); the key's UNIQUE index makes the second
    wait, fail, and answer with the first request."""
    both_checked = threading.Barrier(2, timeout=5)
    passed_together = []
    original = service.resolve_invitees

    def in_step(*args, **kwargs):
        both_checked.wait()
        passed_together.append(True)
        return original(*args, **kwargs)

    monkeypatch.setattr(service, "resolve_invitees", in_step)
    start = timezone.now() + datetime.timedelta(days=3)
    data = {
        "people": [colleague.pk],
        "hospitals": [],
        "slots": [start],
        "time_zone": "Europe/Brussels",
        "duration_minutes": 60,
        "language": "en",
        "urgency": "routine",
        "clinical_question": QUESTION,
        "submission_key": uuid.uuid4(),
    }
    made = []

    def submit():
        try:
            made.append(service.submit_request(requester, data).pk)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=submit) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)
    assert passed_together == [True, True]  # the race happened
    assert len(made) == 2 and made[0] == made[1]
    assert ConferenceRequest.objects.count() == 1
    assert OutgoingMessage.objects.filter(kind="conference_request").count() == 2
