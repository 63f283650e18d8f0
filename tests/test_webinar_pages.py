"""The webinar catalogue (/webinars/) and webinar pages: what they show and to whom, their
"add to calendar" file, a fixed number of queries however many webinars there are, and the page
cache, which a registration must not leave showing the wrong number of places."""

import datetime
from html.parser import HTMLParser

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from icalendar import Calendar

from directory.models import Clinician, Country, Hospital
from events.models import Registration, Topic, WebinarIndexPage, WebinarPage, WebinarSpeaker

from .conftest import publish

NOW = timezone.now().replace(microsecond=0)


@pytest.fixture
def catalogue(home_page):
    page = WebinarIndexPage(title="Webinars", slug="webinars")
    home_page.add_child(instance=page)
    return publish(page)


@pytest.fixture
def make_webinar(catalogue):
    """make_webinar(title, days=7, revision=True, speakers=(), topics=(), **fields)."""

    def make(title, days=7, revision=True, speakers=(), topics=(), **fields):
        fields.setdefault("start", NOW + datetime.timedelta(days=days))
        fields.setdefault("summary", f"About {title}.")
        fields.setdefault("end", fields["start"] + datetime.timedelta(hours=1))
        page = WebinarPage(title=title, **fields)
        page.slug = fields.get("slug") or title.lower().replace(" ", "-")
        for position, speaker in enumerate(speakers or [{"name": "Dr Ana Ruiz"}]):
            page.speakers.add(WebinarSpeaker(sort_order=position, **speaker))
        page.topics = list(topics)
        catalogue.add_child(instance=page)
        return publish(page) if revision else page

    return make


class Text(HTMLParser):
    """The visible text of <main>, and the ids of labelled form controls."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts, self.depth, self.labels, self.controls = [], 0, set(), set()

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "main":
            self.depth = 1
        if tag == "label" and attrs.get("for"):
            self.labels.add(attrs["for"])
        if tag in ("select", "input") and attrs.get("type") != "hidden":
            self.controls.add(attrs.get("id"))

    def handle_endtag(self, tag):
        if tag == "main":
            self.depth = 0

    def handle_data(self, data):
        if self.depth:
            self.parts.append(data)

    @property
    def text(self):
        return " ".join(" ".join(self.parts).split())


def page_text(response):
    assert response.status_code == 200
    parser = Text()
    parser.feed(response.content.decode())
    return parser.text


def titles_in_order(text, titles):
    return sorted((title for title in titles if title in text), key=text.index)


# --- the catalogue --------------------------------------------------------------------------


@pytest.mark.django_db
def test_upcoming_soonest_first_then_past_newest_first(client, make_webinar):
    make_webinar("Later", days=20)
    make_webinar("Soon", days=2)
    make_webinar("Long ago", days=-60)
    make_webinar("Last week", days=-7)
    text = page_text(client.get("/webinars/"))
    assert titles_in_order(text, ["Later", "Soon", "Long ago", "Last week"]) == [
        "Soon",
        "Later",
        "Last week",
        "Long ago",
    ]
    assert text.index("Upcoming webinars") < text.index("Soon")
    assert text.index("Later") < text.index("Past webinars") < text.index("Last week")


@pytest.mark.django_db
def test_unpublished_and_private_webinars_are_not_listed(client, make_webinar):
    from wagtail.models import PageViewRestriction

    make_webinar("Draft one").unpublish()
    restricted = make_webinar("Members one")
    PageViewRestriction.objects.create(page=restricted, restriction_type="login")
    make_webinar("Public one")
    text = page_text(client.get("/webinars/"))
    assert "Public one" in text
    assert "Draft one" not in text and "Members one" not in text


@pytest.mark.django_db
def test_past_recording_shown_to_whom_it_may_be(client, django_user_model, make_webinar):
    recorded = {"speaker_consents_to_recording": True, "recorded": True, "state": "held"}
    make_webinar(
        "Open talk",
        days=-3,
        recording_url="https://rec.example.org/open",
        recording_public=True,
        **recorded,
    )
    closed = make_webinar(
        "Closed talk", days=-4, recording_url="https://rec.example.org/closed", **recorded
    )
    anonymous = client.get("/webinars/").content.decode()
    assert "https://rec.example.org/open" in anonymous
    assert "https://rec.example.org/closed" not in anonymous

    user = django_user_model.objects.create_user(username="reg", email="Reg@Example.org")
    Registration.objects.create(
        webinar=closed, first_name="R", last_name="G", email="reg@example.org", status="confirmed"
    )
    member = Client()
    member.force_login(user)
    assert "https://rec.example.org/closed" in member.get("/webinars/").content.decode()
    page = member.get(closed.url).content.decode()
    assert "https://rec.example.org/closed" in page
    assert "https://rec.example.org/closed" not in client.get(closed.url).content.decode()


@pytest.mark.django_db
def test_filter_by_topic_and_language_with_labelled_controls(client, make_webinar):
    lungs = Topic.objects.create(name="Lungs", slug="lungs")
    heart = Topic.objects.create(name="Heart", slug="heart")
    make_webinar("Lungs in English", topics=[lungs], language="en")
    make_webinar("Lungs in French", topics=[lungs], language="fr")
    make_webinar("Heart in French", topics=[heart], language="fr")

    response = client.get("/webinars/", {"topic": "lungs", "language": "fr"})
    text = page_text(response)
    assert "Lungs in French" in text
    assert "Lungs in English" not in text and "Heart in French" not in text
    assert "1 webinar on Lungs in French" in text

    parser = Text()
    parser.feed(response.content.decode())
    assert {"id_topic", "id_language"} <= parser.controls <= parser.labels
    # An unknown value shows everything rather than an error.
    text = page_text(client.get("/webinars/", {"topic": "nope", "language": "xx"}))
    assert all(t in text for t in ["Lungs in English", "Lungs in French", "Heart in French"])


@pytest.mark.django_db
def test_catalogue_is_paginated_and_pages_keep_the_filter(client, make_webinar):
    lungs = Topic.objects.create(name="Lungs", slug="lungs")
    for n in range(23):
        make_webinar(f"Session {n:02}", days=n + 1, topics=[lungs], revision=False)
    first = client.get("/webinars/", {"topic": "lungs"}).content.decode()
    assert "Session 19" in first and "Session 20" not in first
    assert "?topic=lungs&amp;page=2" in first
    second = page_text(client.get("/webinars/", {"topic": "lungs", "page": "2"}))
    assert "Session 20" in second and "Session 19" not in second
    assert "Page 2 of 2" in second


# --- a webinar page -------------------------------------------------------------------------


@pytest.fixture
def speaker_clinician(db):
    hospital = Hospital.objects.create(
        name="Hôpital Erasme", city="Brussels", country=Country.objects.get(code="BE")
    )
    return Clinician.objects.create(
        first_name="Marie",
        last_name="Dubois",
        email="marie.dubois@erasme.example.eu",
        phone="+32 2 555 01 23",
        hospital=hospital,
        status=Clinician.Status.APPROVED,
    )


@pytest.mark.django_db
def test_webinar_page_shows_what_the_public_may_know(client, make_webinar, speaker_clinician):
    topic = Topic.objects.create(name="Sepsis", slug="sepsis")
    start = datetime.datetime(2030, 3, 5, 13, 0, tzinfo=datetime.UTC)
    webinar = make_webinar(
        "Sepsis bundles",
        start=start,
        end=start + datetime.timedelta(minutes=90),
        time_zone="Europe/Athens",
        language="el",
        capacity=50,
        topics=[topic],
        speakers=[{"clinician": speaker_clinician}, {"name": "Dr Free Text", "affiliation": "X"}],
        speaker_consents_to_recording=True,
        recorded=True,
    )
    text = page_text(client.get(webinar.url))
    assert "Tuesday 5 March 2030, 15:00" in text  # 13:00 UTC in Athens
    assert "16:30 EET (Europe/Athens)" in text
    assert "Marie Dubois, Hôpital Erasme, Brussels" in text
    assert "Dr Free Text, X" in text
    assert "Greek" in text and "Sepsis" in text
    assert "50; 50 places left" in text
    assert "Scheduled" in text
    assert "It will be recorded; those registered may watch the recording." in text
    body = client.get(webinar.url).content.decode()
    assert "erasme.example.eu" not in body and "555 01 23" not in body
    assert f'href="{webinar.url}calendar.ics"' in body
    assert 'datetime="2030-03-05T13:00:00+00:00"' in body


@pytest.mark.django_db
def test_member_sees_the_times_in_their_own_zone(make_webinar, django_user_model):
    start = datetime.datetime(2030, 3, 5, 13, 0, tzinfo=datetime.UTC)
    webinar = make_webinar("Zones", start=start, time_zone="Europe/Lisbon")
    user = django_user_model.objects.create_user(username="fi", email="fi@example.fi")
    hospital = Hospital.objects.create(
        name="HUS", city="Helsinki", country=Country.objects.get(code="FI")
    )
    Clinician.objects.create(
        first_name="Aino",
        last_name="K",
        email=user.email,
        hospital=hospital,
        status=Clinician.Status.APPROVED,
        user=user,
    )
    member = Client()
    member.force_login(user)
    text = page_text(member.get(webinar.url))
    assert "13:00" in text and "(Europe/Lisbon)" in text
    assert "In your time zone: Tuesday 5 March 2030, 15:00" in text
    assert "(Europe/Helsinki)" in text


@pytest.mark.django_db
def test_states_and_registration_windows(client, make_webinar):
    cancelled = make_webinar("Called off", state="cancelled")
    text = page_text(client.get(cancelled.url))
    assert "Cancelled: this webinar will not take place." in text
    assert "register/" not in client.get(cancelled.url).content.decode()

    later = make_webinar(
        "Opens later", days=30, registration_opens=NOW + datetime.timedelta(days=5)
    )
    text = page_text(client.get(later.url))
    assert "Registration Opens" in text
    assert "register/" not in client.get(later.url).content.decode()

    held = make_webinar("Done", days=-2, state="held")
    assert "Held: this webinar has taken place." in page_text(client.get(held.url))


@pytest.mark.django_db
def test_register_link_only_while_registration_is_open(client, make_webinar):
    from django.urls import Resolver404, resolve

    webinar = make_webinar("Open one", days=3)
    try:
        served = resolve(f"{webinar.url}register/").namespace == "events"
    except Resolver404:
        served = False
    body = client.get(webinar.url).content.decode()
    assert (f'href="{webinar.url}register/"' in body) is served
    WebinarPage.objects.filter(pk=webinar.pk).update(
        registration_closes=NOW - datetime.timedelta(minutes=1),
        registration_opens=NOW - datetime.timedelta(days=1),
    )
    cache.clear()  # update() bypasses publishing, which would drop the cached copy
    assert f'href="{webinar.url}register/"' not in client.get(webinar.url).content.decode()


@pytest.mark.django_db
def test_add_to_calendar_has_no_join_details(client, make_webinar):
    webinar = make_webinar("Calendar me", days=4)
    response = client.get(f"{webinar.url}calendar.ics")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    calendar = Calendar.from_ical(response.content)
    (event,) = calendar.walk("VEVENT")
    assert str(event["UID"]) == webinar.calendar_uid
    assert str(event["SUMMARY"]) == "Calendar me"
    assert event.decoded("DTSTART") == webinar.start
    assert "ATTENDEE" not in event
    assert "webex" not in response.content.decode().lower()
    assert client.get("/webinars/no-such/calendar.ics").status_code == 404


@pytest.mark.django_db
def test_calendar_uid_is_given_once_and_survives_publishing_an_old_revision(make_webinar):
    webinar = make_webinar("Stable", revision=False)
    uid = webinar.calendar_uid
    assert "@" in uid and "stable" not in uid
    old_revision = webinar.save_revision()
    # Pretend the revision was saved before the UID existed (a draft from before this code).
    old_revision.content["calendar_uid"] = ""
    old_revision.save()
    old_revision.publish()
    assert WebinarPage.objects.get(pk=webinar.pk).calendar_uid == uid
    webinar.title = "Stable, renamed"
    publish(webinar)
    assert WebinarPage.objects.get(pk=webinar.pk).calendar_uid == uid


# --- the home page --------------------------------------------------------------------------


@pytest.mark.django_db
def test_home_page_lists_the_next_webinars(client, make_webinar):
    make_webinar("Fourth", days=4)
    make_webinar("First", days=1)
    make_webinar("Second", days=2)
    make_webinar("Third", days=3)
    make_webinar("Gone", days=-1)
    make_webinar("Off", days=1, state="cancelled")
    text = page_text(client.get("/"))
    assert titles_in_order(text, ["First", "Second", "Third", "Fourth", "Gone", "Off"]) == [
        "First",
        "Second",
        "Third",
    ]


# --- fast: a fixed number of queries, and the page cache ------------------------------------


def count_queries(client, url, **params):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, params)
    assert response.status_code == 200
    return len(queries)


def add_webinars(make_webinar, count, topic, start_at=0, clinician=None):
    for n in range(start_at, count):
        make_webinar(
            f"Bulk {n:04}",
            days=(n % 40) - 20,
            revision=False,
            topics=[topic],
            speakers=[{"name": f"Speaker {n}"}, {"clinician": clinician}],
            recording_url="https://rec.example.org/x" if n % 3 == 0 else "",
        )


def counts_for(clients, webinar):
    """Queries per view for each client, the page cache emptied first (a cached answer would
    hide the view's own queries)."""
    counts = {}
    for who, client in clients.items():
        for name, url, params in (
            ("index", "/webinars/", {}),
            ("filtered", "/webinars/", {"topic": "bulk", "language": "en", "page": "2"}),
            ("page", webinar.url, {}),
        ):
            cache.clear()
            counts[who, name] = count_queries(client, url, **params)
    return counts


@pytest.mark.django_db
def test_fixed_number_of_queries_with_10_and_1000_webinars(
    make_webinar, django_assert_max_num_queries, django_user_model, speaker_clinician
):
    topic = Topic.objects.create(name="Bulk", slug="bulk")
    member = Client()
    user = django_user_model.objects.create_user(username="m", email="m@x.eu")
    Clinician.objects.filter(pk=speaker_clinician.pk).update(user=user)
    member.force_login(user)
    clients = {"anonymous": Client(), "member": member}
    add_webinars(make_webinar, 10, topic, clinician=speaker_clinician)
    webinar = WebinarPage.objects.get(slug="bulk-0003")
    Registration.objects.create(
        webinar=webinar, first_name="M", last_name="X", email="m@x.eu", status="confirmed"
    )
    few = counts_for(clients, webinar)
    add_webinars(make_webinar, 1000, topic, start_at=10, clinician=speaker_clinician)
    assert WebinarPage.objects.live().count() == 1000
    many = counts_for(clients, webinar)
    assert many == few
    for (who, name), count in few.items():
        # A member's first request of a session also checks their privacy consent (one
        # clinician read, the session's note that it is up to date).
        assert count <= 27, (who, name, count)
    cache.clear()
    with django_assert_max_num_queries(few["anonymous", "index"]):
        clients["anonymous"].get("/webinars/")
    with django_assert_max_num_queries(few["member", "page"]):
        member.get(webinar.url)


@pytest.mark.django_db
def test_anonymous_visitors_get_cached_copies_per_filter(client, make_webinar):
    make_webinar("Cached one")
    assert client.get("/webinars/")["X-Page-Cache"] == "miss"
    assert client.get("/webinars/")["X-Page-Cache"] == "hit"
    assert client.get("/webinars/?utm_source=x")["X-Page-Cache"] == "hit"
    assert client.get("/webinars/?language=en")["X-Page-Cache"] == "miss"
    assert client.get("/webinars/?language=en")["X-Page-Cache"] == "hit"


@pytest.mark.django_db
def test_a_registration_changes_what_the_next_anonymous_visitor_sees(
    client, make_webinar, django_capture_on_commit_callbacks
):
    webinar = make_webinar("Two places", capacity=2)
    assert "2 places left" in page_text(client.get(webinar.url))
    assert client.get(webinar.url)["X-Page-Cache"] == "hit"
    with django_capture_on_commit_callbacks(execute=True):
        registration = Registration.objects.create(
            webinar=webinar, first_name="A", last_name="B", email="a@b.eu", status="confirmed"
        )
    response = client.get(webinar.url)
    assert response["X-Page-Cache"] == "miss"
    assert "1 place left" in page_text(response)
    # A registrant who only joins the waiting list changes nothing shown: the copy stays.
    client.get(webinar.url)
    with django_capture_on_commit_callbacks(execute=True):
        Registration.objects.create(
            webinar=webinar, first_name="C", last_name="D", email="c@d.eu", status="unconfirmed"
        )
    assert client.get(webinar.url)["X-Page-Cache"] == "hit"
    # Giving the place up frees it again for the next visitor.
    with django_capture_on_commit_callbacks(execute=True):
        registration.status = "cancelled"
        registration.save()
    assert "2 places left" in page_text(client.get(webinar.url))


@pytest.mark.django_db
def test_preview_shows_the_speakers_being_edited(rf, make_webinar):
    """An editor's preview renders unsaved speakers and topics (held in memory)."""
    from django.contrib.auth.models import AnonymousUser

    webinar = make_webinar("Previewed", speakers=[{"name": "Dr Saved"}])
    webinar.speakers.add(WebinarSpeaker(sort_order=1, name="Dr Unsaved", affiliation="X"))
    webinar.topics = [Topic(name="Draft topic", slug="draft-topic")]
    request = rf.get(webinar.url)
    request.user = AnonymousUser()
    context = webinar.get_context(request)
    assert [s.display_name for s in context["speakers"]] == ["Dr Saved", "Dr Unsaved"]
    assert [t.name for t in context["topics"]] == ["Draft topic"]


@pytest.mark.django_db
def test_registering_through_the_service_updates_the_cached_page(client, make_webinar):
    # The page is dropped at once as well as after commit; the commit callbacks (mail, the
    # Webex registration task) are not run here.
    from events.services.registrations import register

    webinar = make_webinar("Three places", capacity=3)
    assert "3 places left" in page_text(client.get(webinar.url))
    assert client.get(webinar.url)["X-Page-Cache"] == "hit"
    register(webinar, first_name="Ana", last_name="Ruiz", email="ana@example.es", confirmed=True)
    assert "2 places left" in page_text(client.get(webinar.url))
