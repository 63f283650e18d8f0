"""/webinars/feed.ics: every published webinar with its stable UID, cancelled ones marked, and
nothing a registrant or a speaker would not want public (no join link, no personal data).
Parsed with icalendar and with vobject, as calendar clients read it."""

import datetime

import pytest
import vobject
from django.utils import timezone
from icalendar import Calendar

from directory.models import Clinician, Country, Hospital
from events.models import Registration, WebexBooking

from .conftest import publish
from .test_webinar_pages import catalogue, make_webinar  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db

JOIN_LINK = "https://cmss.webex.com/cmss/j.php?MTID=secret"


def feed_events(client):
    response = client.get("/webinars/feed.ics")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    calendar = Calendar.from_ical(response.content)
    assert str(calendar["METHOD"]) == "PUBLISH"
    return response.content.decode(), {str(e["UID"]): e for e in calendar.walk("VEVENT")}


@pytest.fixture
def webinars(make_webinar):  # noqa: F811
    hospital = Hospital.objects.create(
        name="Karolinska", city="Stockholm", country=Country.objects.get(code="SE")
    )
    speaker = Clinician.objects.create(
        first_name="Sven",
        last_name="Lind",
        email="sven.lind@karolinska.example.se",
        phone="+46 8 555 0100",
        hospital=hospital,
        status=Clinician.Status.APPROVED,
    )
    booked = make_webinar("Booked one", days=3, speakers=[{"clinician": speaker}])
    booking = WebexBooking.objects.create(
        kind="webinar",
        title="Booked one",
        start=booked.start,
        end=booked.end,
        status="booked",
        web_link=JOIN_LINK,
        password="s3cret-pass",
    )
    type(booked).objects.filter(pk=booked.pk).update(booking=booking)
    Registration.objects.create(
        webinar=booked,
        first_name="Rita",
        last_name="Registrant",
        email="rita@example.org",
        status="confirmed",
        join_link=JOIN_LINK + "&personal=1",
    )
    return {
        "booked": booked,
        "cancelled": make_webinar("Called off", days=5, state="cancelled"),
        "past": make_webinar("Long ago", days=-30, state="held"),
        "draft": make_webinar("Draft", days=8).unpublish() or None,
    }


def test_every_published_webinar_once_with_its_uid(client, webinars):
    _, events = feed_events(client)
    booked, cancelled, past = webinars["booked"], webinars["cancelled"], webinars["past"]
    assert set(events) == {booked.calendar_uid, cancelled.calendar_uid, past.calendar_uid}
    event = events[booked.calendar_uid]
    assert str(event["SUMMARY"]) == "Booked one"
    assert event.decoded("DTSTART") == booked.start
    assert event.decoded("DTEND") == booked.end
    assert str(event["URL"]).endswith("/webinars/booked-one/")
    assert str(event["STATUS"]) == "CONFIRMED"


def test_cancelled_webinars_are_marked(client, webinars):
    _, events = feed_events(client)
    assert str(events[webinars["cancelled"].calendar_uid]["STATUS"]) == "CANCELLED"


def test_uids_stay_the_same_when_a_webinar_changes(client, webinars):
    booked = webinars["booked"]
    _, before = feed_events(client)
    booked.title = "Booked one, renamed"
    booked.start += datetime.timedelta(hours=2)
    booked.end += datetime.timedelta(hours=2)
    publish(booked)
    _, after = feed_events(client)
    assert set(after) == set(before)
    assert str(after[booked.calendar_uid]["SUMMARY"]) == "Booked one, renamed"


def test_no_join_link_and_no_personal_data(client, webinars):
    text, events = feed_events(client)
    for secret in [
        "webex",
        "s3cret-pass",
        "rita",
        "Registrant",
        "sven.lind",
        "555 0100",
        "Sven",
        "Lind",
    ]:
        assert secret.lower() not in text.lower(), secret
    for event in events.values():
        assert "ATTENDEE" not in event
        assert str(event["ORGANIZER"]) == "mailto:helpdesk@cmss.example.eu"


def test_vobject_reads_the_feed(client, webinars):
    response = client.get("/webinars/feed.ics")
    calendar = vobject.readOne(response.content.decode())
    uids = {event.uid.value for event in calendar.vevent_list}
    assert webinars["booked"].calendar_uid in uids
    starts = {event.uid.value: event.dtstart.value for event in calendar.vevent_list}
    assert starts[webinars["booked"].calendar_uid] == webinars["booked"].start


def test_the_feed_follows_publication(client, webinars, make_webinar):  # noqa: F811
    _, events = feed_events(client)
    new = make_webinar("Fresh one", days=10)
    _, events = feed_events(client)
    assert new.calendar_uid in events
    assert "@" in new.calendar_uid and "fresh" not in new.calendar_uid
    assert timezone.now() < new.start
