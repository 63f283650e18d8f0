"""The helpdesk's registrations view of a webinar (issue 10, point 8): counts, registrations and the
waiting list, cancel and promote (POST, through the registration service), a formula-safe and
audit-logged CSV export, a message to all registrants; the helpdesk and superusers only."""

import csv
import datetime
import io

import pytest
from bs4 import BeautifulSoup
from django.core import mail
from django.test import Client
from django.utils import timezone
from wagtail.models import PageLogEntry

from cms.mail.models import OutgoingMessage
from events import registrations_admin, tasks
from events.models import Registration, WebinarIndexPage, WebinarPage, WebinarSpeaker

from .conftest import publish

Status = Registration.Status


@pytest.fixture(autouse=True)
def no_waiting_between_webex_retries(monkeypatch):
    # A promoted registrant is registered on Webex by a task; this webinar is not booked there,
    # so the task retries: without this, after real delays.
    monkeypatch.setattr(tasks, "wait", lambda seconds: None)


@pytest.fixture
def webinar(home_page):
    index = WebinarIndexPage(title="Webinars", slug="webinars")
    home_page.add_child(instance=index)
    publish(index)
    start = timezone.now() + datetime.timedelta(days=7)
    page = WebinarPage(
        title="Prone ventilation & ECMO",
        slug="ventilation",
        summary="When to turn, and when to cannulate.",
        start=start,
        end=start + datetime.timedelta(hours=1),
        time_zone="Europe/Athens",
        capacity=2,
    )
    index.add_child(instance=page)
    WebinarSpeaker.objects.create(page=page, name="Dr Eleni Georgiou")
    return publish(page)


def registrant(webinar, name, status=Status.CONFIRMED, minutes_ago=0, **fields):
    return Registration.objects.create(
        webinar=webinar,
        first_name=name,
        last_name=fields.pop("last_name", "Silva"),
        email=fields.pop("email", f"{name.lower()}@example.eu"),
        status=status,
        queued_at=timezone.now() - datetime.timedelta(minutes=minutes_ago),
        confirmed_at=timezone.now() if status == Status.CONFIRMED else None,
        **fields,
    )


@pytest.fixture
def people(webinar):
    return {
        "ana": registrant(webinar, "Ana"),
        "ben": registrant(webinar, "Ben"),
        "cleo": registrant(webinar, "Cleo", Status.WAITING, minutes_ago=30),
        "dan": registrant(webinar, "Dan", Status.WAITING, minutes_ago=10),
        "eve": registrant(webinar, "Eve", Status.UNCONFIRMED),
    }


@pytest.fixture
def helpdesk(make_staff):
    user = make_staff("hana", group="Helpdesk")
    client = Client()
    client.force_login(user)
    return client


def url(webinar, action=""):
    return f"/admin/events/webinars/{webinar.pk}/registrations/{action}"


def test_the_helpdesk_sees_counts_registrations_and_the_waiting_list_in_order(
    helpdesk, webinar, people
):
    response = helpdesk.get(url(webinar))
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    soup = BeautifulSoup(response.content, "html.parser")
    counts = dict(
        zip(
            [dt.get_text(strip=True) for dt in soup.select("dl.registration-counts dt")],
            [dd.get_text(strip=True) for dd in soup.select("dl.registration-counts dd")],
            strict=True,
        )
    )
    assert counts["Capacity"] == "2"
    assert counts["Registered (holding a place)"] == "2"
    assert counts["Places left"] == "0"
    assert counts["On the waiting list"] == "2"
    assert counts["Email not confirmed yet"] == "1"
    waiting = soup.find(id="waiting-heading").find_parent("section")
    rows = [
        [td.get_text(strip=True) for td in tr.find_all("td")[:2]]
        for tr in waiting.select("tbody tr")
    ]
    assert rows == [["1", "Cleo Silva"], ["2", "Dan Silva"]]
    confirmed = soup.find(id="confirmed-heading").find_parent("section").get_text()
    assert "ana@example.eu" in confirmed and "ben@example.eu" in confirmed


def test_the_webinar_edit_view_links_to_its_registrations(helpdesk, make_staff, webinar):
    admin = Client()
    admin.force_login(make_staff("root", superuser=True))
    response = admin.get(f"/admin/pages/{webinar.pk}/edit/")
    assert response.status_code == 200
    assert url(webinar).encode() in response.content


@pytest.mark.parametrize("group", ["Editors", "Moderators"])
def test_other_staff_are_refused_every_part(make_staff, webinar, people, group):
    client = Client()
    client.force_login(make_staff("other", group=group))
    assert client.get(url(webinar)).status_code == 403
    assert client.get(url(webinar, "export/")).status_code == 403
    assert client.post(url(webinar, f"{people['ana'].pk}/cancel/")).status_code == 403
    assert client.post(url(webinar, "promote/")).status_code == 403
    assert client.post(url(webinar, "message/"), {"subject": "x", "text": "y"}).status_code == 403
    assert Registration.objects.get(pk=people["ana"].pk).status == Status.CONFIRMED
    assert not PageLogEntry.objects.filter(action=registrations_admin.EXPORT_ACTION).exists()


def test_anonymous_visitors_are_sent_to_sign_in(client, webinar):
    response = client.get(url(webinar))
    assert response.status_code == 302
    assert "login" in response["Location"]


def test_cancelling_needs_a_post_with_the_csrf_token(make_staff, webinar, people):
    client = Client(enforce_csrf_checks=True)
    client.force_login(make_staff("hana", group="Helpdesk"))
    assert client.get(url(webinar, f"{people['ana'].pk}/cancel/")).status_code == 405
    assert client.post(url(webinar, f"{people['ana'].pk}/cancel/")).status_code == 403
    assert Registration.objects.get(pk=people["ana"].pk).status == Status.CONFIRMED


def test_cancel_frees_the_place_for_the_first_in_line(
    helpdesk, webinar, people, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = helpdesk.post(url(webinar, f"{people['ana'].pk}/cancel/"))
    assert response.status_code == 302
    ana = Registration.objects.get(pk=people["ana"].pk)
    assert (ana.status, ana.cancelled_by) == (Status.CANCELLED, "helpdesk")
    assert Registration.objects.get(pk=people["cleo"].pk).status == Status.CONFIRMED
    assert Registration.objects.get(pk=people["dan"].pk).status == Status.WAITING
    assert {m.to[0] for m in mail.outbox} >= {"ana@example.eu", "cleo@example.eu"}
    assert PageLogEntry.objects.filter(
        page=webinar, action=registrations_admin.CANCEL_ACTION
    ).exists()


def test_a_registration_of_another_webinar_is_not_found(helpdesk, webinar, people, home_page):
    other = WebinarPage.objects.get(pk=webinar.pk)
    registration = people["ana"]
    assert helpdesk.post(url(other, "999999/cancel/")).status_code == 404
    assert helpdesk.get(f"/admin/events/webinars/{home_page.pk}/registrations/").status_code == 404
    assert Registration.objects.get(pk=registration.pk).status == Status.CONFIRMED


def test_promote_gives_a_free_place_to_the_first_in_line(helpdesk, webinar, people):
    WebinarPage.objects.filter(pk=webinar.pk).update(capacity=3)
    response = helpdesk.post(url(webinar, "promote/"), follow=True)
    assert "Cleo Silva has a place now" in response.content.decode()
    assert Registration.objects.get(pk=people["cleo"].pk).status == Status.CONFIRMED
    assert Registration.objects.get(pk=people["dan"].pk).status == Status.WAITING
    # No free place left: nobody else moves.
    response = helpdesk.post(url(webinar, "promote/"), follow=True)
    assert "Nobody was promoted" in response.content.decode()
    assert Registration.objects.get(pk=people["dan"].pk).status == Status.WAITING


def test_the_export_is_formula_safe_and_recorded(helpdesk, webinar, people):
    registrant(
        webinar,
        '=HYPERLINK("http://evil")',
        Status.WAITING,
        email="evil@example.eu",
        profession="+1 cmd",
    )
    registrant(webinar, "Gone", erased=True, email="gone@example.eu")
    response = helpdesk.get(url(webinar, "export/"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment;" in response["Content-Disposition"]
    text = response.content.decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == 6  # the erased one is not exported
    evil = next(r for r in rows if r["email"] == "evil@example.eu")
    assert evil["first_name"].startswith("'=")
    assert evil["profession"] == "'+1 cmd"
    assert not any(value.startswith(("=", "+", "-", "@")) for row in rows for value in row.values())
    entry = PageLogEntry.objects.get(page=webinar, action=registrations_admin.EXPORT_ACTION)
    assert entry.data == {"format": "csv", "rows": 6}
    assert entry.user.username == "hana"


def test_a_message_goes_to_every_registrant_through_the_mail_service(
    helpdesk, webinar, people, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = helpdesk.post(
            url(webinar, "message/"),
            {
                "audience": "confirmed_waiting",
                "subject": "New room\nBcc: x@evil",
                "text": "We moved <b>rooms</b>.",
            },
            follow=True,
        )
    assert "on its way to 4 registrant(s)" in response.content.decode()
    sent = OutgoingMessage.objects.filter(kind="webinar_message")
    assert sorted(sent.values_list("recipient", flat=True)) == [
        "ana@example.eu",
        "ben@example.eu",
        "cleo@example.eu",
        "dan@example.eu",
    ]
    assert all("\n" not in m.subject for m in mail.outbox)
    assert PageLogEntry.objects.filter(
        page=webinar, action=registrations_admin.MESSAGE_ACTION
    ).exists()


def test_a_message_without_a_subject_is_not_sent_and_says_why(helpdesk, webinar, people):
    response = helpdesk.post(
        url(webinar, "message/"),
        {"audience": "confirmed", "subject": "", "text": "Hi"},
        follow=True,
    )
    assert "The message was not sent. Subject: This field is required." in response.content.decode()
    assert not OutgoingMessage.objects.filter(kind="webinar_message").exists()


def test_attendance_shows_once_read(helpdesk, webinar, people):
    Registration.objects.filter(pk=people["ana"].pk).update(attended=True, minutes_attended=42)
    Registration.objects.filter(pk=people["ben"].pk).update(attended=False, minutes_attended=0)
    WebinarPage.objects.filter(pk=webinar.pk).update(attendance_read_at=timezone.now())
    soup = BeautifulSoup(helpdesk.get(url(webinar)).content, "html.parser")
    confirmed = soup.find(id="confirmed-heading").find_parent("section")
    rows = {
        tr.find_all("td")[1].get_text(strip=True): [
            td.get_text(strip=True) for td in tr.find_all("td")[5:7]
        ]
        for tr in confirmed.select("tbody tr")
    }
    assert rows == {"ana@example.eu": ["Yes", "42"], "ben@example.eu": ["No", "0"]}
