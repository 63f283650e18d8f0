"""The helpdesk's dashboard (issue 12, point 7): panels on the Wagtail admin home for the
helpdesk and the administrators, each figure linking to the filtered list, in a fixed number of
queries whatever the amount of data."""

import datetime
import itertools

import pytest
from bs4 import BeautifulSoup
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cms.mail.models import OutgoingMessage, SuppressedAddress
from directory.models import Announcement, AnnouncementRecipient, Clinician, Country, Hospital
from events.models import (
    ConferenceRequest,
    Registration,
    WebexBooking,
    WebinarIndexPage,
    WebinarPage,
    WebinarProposal,
)

from .conftest import publish

counter = itertools.count()


@pytest.fixture
def catalogue(home_page):
    index = WebinarIndexPage(title="Webinars", slug="webinars")
    home_page.add_child(instance=index)
    return publish(index)


def webinar(catalogue, *, starts_in, capacity=10, **fields):
    n = next(counter)
    start = timezone.now() + starts_in
    page = WebinarPage(
        title=fields.pop("title", f"Webinar {n}"),
        slug=f"webinar-{n}",
        summary="About it.",
        start=start,
        end=start + datetime.timedelta(hours=1),
        capacity=capacity,
        **fields,
    )
    catalogue.add_child(instance=page)
    return publish(page)


def booking(**fields):
    now = timezone.now()
    return WebexBooking.objects.create(
        title=fields.pop("title", "Booking"),
        start=now + datetime.timedelta(days=2),
        end=now + datetime.timedelta(days=2, hours=1),
        **fields,
    )


def populate(catalogue, size):
    """``size`` rows of each thing the dashboard counts, and as many that it must not count."""
    belgium = Country.objects.get(code="BE")
    hospital, _ = Hospital.objects.get_or_create(name="Erasme", city="Brussels", country=belgium)
    for i in range(size):
        n = next(counter)
        Clinician.objects.create(
            first_name="Awaiting",
            last_name=f"Person {n}",
            email=f"awaiting{n}@example.eu",
            hospital=hospital,
            status=Clinician.Status.AWAITING,
        )
        status = ConferenceRequest.Status.SUBMITTED if i % 2 else ConferenceRequest.Status.POLLING
        ConferenceRequest.objects.create(status=status, clinical_question="Q")
        ConferenceRequest.objects.create(status=ConferenceRequest.Status.HELD)
        WebinarProposal.objects.create(title=f"Proposal {n}", abstract="A")
        WebinarProposal.objects.create(
            title=f"Declined {n}", abstract="A", status=WebinarProposal.Status.DECLINED
        )
        booking(status=WebexBooking.Status.PENDING, last_error="Webex answered 503")
        booking(status=WebexBooking.Status.CANCELLING, last_error="Webex answered 500")
        booking(status=WebexBooking.Status.PENDING)  # not tried yet: no failure
        booking(status=WebexBooking.Status.BOOKED)
        soon = webinar(catalogue, starts_in=datetime.timedelta(days=1 + i % 5), capacity=4)
        for k, status in enumerate(
            [Registration.Status.CONFIRMED] * 3 + [Registration.Status.WAITING]
        ):
            Registration.objects.create(
                webinar=soon,
                first_name="R",
                last_name=str(k),
                email=f"r{n}-{k}@example.eu",
                status=status,
            )
        webinar(catalogue, starts_in=datetime.timedelta(days=30))
        ended = webinar(
            catalogue,
            starts_in=-datetime.timedelta(days=2),
            speaker_consents_to_recording=True,
            recorded=True,
        )
        ended.booking = booking(status=WebexBooking.Status.BOOKED, webex_meeting_id=f"m{n}")
        ended.save()
        for status in ("failed", "bounced", "sent", "held"):
            OutgoingMessage.objects.create(
                recipient=f"{status}{n}@example.eu",
                from_email="helpdesk@cmss.example.eu",
                subject=f"Subject {n}",
                body_text="Hello.",
                status=status,
                last_error="550 no such user" if status != "sent" else "",
            )
        SuppressedAddress.objects.create(email=f"bounced{n}@example.eu", reason="bounced")
        announcement = Announcement.objects.create(
            subject=f"News {n}", body="<p>News</p>", status=Announcement.Status.SENDING
        )
        for k in range(3):
            AnnouncementRecipient.objects.create(
                announcement=announcement, email=f"m{n}-{k}@example.eu", member_key=f"u:{k}"
            )
        announcement.recipients_total = 3
        announcement.save()


@pytest.fixture
def helpdesk(make_staff):
    client = Client()
    client.session_user = make_staff("hana", group="Helpdesk")
    client.force_login(client.session_user)
    return client


def panel(soup, panel_id):
    """A panel by the id given to Wagtail's {% panel %} tag (it renders "<id>-section")."""
    return soup.find(id=f"{panel_id}-section")


def dashboard(client):
    response = client.get("/admin/")
    assert response.status_code == 200
    return BeautifulSoup(response.content, "html.parser")


def panel_rows(soup, panel_id):
    found = panel(soup, panel_id)
    assert found is not None, panel_id
    return {
        (row.th.a or row.th).get_text(" ", strip=True): (
            row.td.get_text(" ", strip=True),
            row.th.a["href"] if row.th.a else None,
        )
        for row in found.select("tbody tr")
    }


def test_the_helpdesk_sees_what_waits_and_each_figure_opens_its_filtered_list(helpdesk, catalogue):
    helpdesk_user = helpdesk.session_user
    populate(catalogue, 2)
    soup = dashboard(helpdesk)

    queues = panel_rows(soup, "event-queues")
    conferences = queues["Case conference requests waiting (submitted or asking invitees)"]
    assert conferences[0] == "2"
    proposals = queues["Webinar proposals waiting (new)"]
    assert proposals[0].startswith("2")
    if not helpdesk_user.has_perm("events.view_webinarproposal"):
        # Without a right on the proposals list the figure shows without a link (it would only
        # lead back here).
        assert proposals[1] is None
    else:
        listing = BeautifulSoup(helpdesk.get(proposals[1]).content, "html.parser")
        assert len(listing.select("table.listing tbody tr")) == 2
    failed = queues["Webex bookings that failed (waiting for Webex after an error)"]
    assert failed[0] == "2"
    assert queues["Webex cancellations that failed"][0] == "2"

    # Each link opens the list showing exactly what was counted.
    for count, url in (conferences, failed, queues["Webex cancellations that failed"]):
        listing = helpdesk.get(url)
        assert listing.status_code == 200, url
        rows = BeautifulSoup(listing.content, "html.parser").select("table.listing tbody tr")
        assert len(rows) == int(count), url

    mail = panel_rows(soup, "failed-mail")
    assert mail["Failed to send"][0] == "2"
    assert mail["Bounced"][0] == "2"
    assert mail["Addresses flagged (bounced or complained)"][0] == "2"
    listing = helpdesk.get(mail["Bounced"][1])
    assert listing.status_code == 200
    recipients = [
        row.get_text(" ", strip=True)
        for row in BeautifulSoup(listing.content, "html.parser").select("table.listing tbody tr")
    ]
    assert len(recipients) == 2 and all("bounced" in row for row in recipients), recipients

    webinars = panel(soup, "upcoming-webinars")
    cells = [row.find_all("td") for row in webinars.select("tbody tr")]
    assert len(cells) == 2  # the ones in 30 days and the ended ones are not listed
    assert all(c[1].get_text(strip=True) == "3 / 4" for c in cells)
    assert all(c[2].get_text(strip=True) == "75%" for c in cells)
    assert all(c[3].get_text(strip=True) == "1" for c in cells)
    link = webinars.select_one("tbody a")["href"]
    assert helpdesk.get(link).status_code == 200

    recordings = panel(soup, "recordings-announcements")
    text = recordings.get_text(" ", strip=True)
    assert "No recordings are waiting" not in text
    assert len(recordings.select("ul")[0].find_all("li")) == 2
    assert "0 of 3 sent" in text


def test_an_empty_dashboard_says_nothing_waits(helpdesk, catalogue):
    soup = dashboard(helpdesk)
    assert all(count.startswith("0") for count, _ in panel_rows(soup, "event-queues").values())
    text = soup.get_text(" ", strip=True)
    assert "No webinars start in the next 7 days" in text
    assert "No recordings are waiting" in text
    assert "No announcement is being sent" in text


def queries_for_dashboard(client):
    with CaptureQueriesContext(connection) as captured:
        assert client.get("/admin/").status_code == 200
    return len(captured.captured_queries)


def test_the_dashboard_costs_the_same_queries_for_2_or_12_of_everything(
    helpdesk, catalogue, django_assert_max_num_queries
):
    populate(catalogue, 2)
    queries_for_dashboard(helpdesk)  # warm up (session, content types)
    small = queries_for_dashboard(helpdesk)
    populate(catalogue, 10)
    with django_assert_max_num_queries(small):
        assert helpdesk.get("/admin/").status_code == 200
    assert queries_for_dashboard(helpdesk) == small


@pytest.mark.parametrize(
    "group", ["Editors", "Moderators", "National contact point – France"], ids=str
)
def test_other_staff_do_not_get_the_helpdesk_panels(make_staff, catalogue, group):
    populate(catalogue, 1)
    client = Client()
    client.force_login(make_staff("someone", group=group))
    soup = dashboard(client)
    for panel_id in ("event-queues", "upcoming-webinars", "recordings-announcements"):
        assert panel(soup, panel_id) is None, panel_id
    assert panel(soup, "failed-mail") is None
    assert "failed0@" not in soup.get_text()


def test_an_administrator_gets_them_with_every_link(make_staff, catalogue):
    populate(catalogue, 1)
    client = Client()
    client.force_login(make_staff("root", superuser=True))
    soup = dashboard(client)
    for panel_id in (
        "event-queues",
        "upcoming-webinars",
        "recordings-announcements",
        "failed-mail",
    ):
        assert panel(soup, panel_id) is not None, panel_id
    count, url = panel_rows(soup, "event-queues")["Webinar proposals waiting (new)"]
    listing = BeautifulSoup(client.get(url).content, "html.parser")
    titles = [row.get_text(" ", strip=True) for row in listing.select("table.listing tbody tr")]
    assert count == "1" and len(titles) == 1
    assert "Proposal" in titles[0] and "Declined" not in titles[0]
