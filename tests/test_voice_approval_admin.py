"""The helpdesk hears of new enrolments: a dashboard panel with the count, for those who may approve
(a national contact point: its own country only); approve and suspend ask first (GET changes
nothing), then say what happened."""

import pytest
from bs4 import BeautifulSoup
from django.core import mail
from django.urls import reverse
from wagtail.models import ModelLogEntry

from directory.models import Clinician, Country, Hospital

CLINICIANS = "wagtailsnippets_directory_clinician"
BELGIUM_NCP = "National contact point – Belgium"


@pytest.fixture
def brussels(db):
    return Hospital.objects.create(
        name="Hôpital Erasme", city="Brussels", country=Country.objects.get(code="BE")
    )


@pytest.fixture
def paris(db):
    return Hospital.objects.create(
        name="Hôpital Necker", city="Paris", country=Country.objects.get(code="FR")
    )


def enrol(hospital, first, last, status=Clinician.Status.AWAITING, **fields):
    return Clinician.objects.create(
        first_name=first,
        last_name=last,
        email=f"{first}.{last}@example.eu".lower(),
        hospital=hospital,
        status=status,
        **fields,
    )


def panel(response):
    assert response.status_code == 200
    return BeautifulSoup(response.content, "html.parser").select_one("#awaiting-approval-section")


def sidebar_label(client):
    """The clinicians menu item's label, as the admin's sidebar (JSON props) carries it."""
    import json

    soup = BeautifulSoup(client.get(reverse("wagtailadmin_home")).content, "html.parser")
    props = soup.select_one("#wagtail-sidebar-props").get_text()
    labels = []

    def walk(node):
        if isinstance(node, dict):
            if node.get("name") == "clinicians" or "/snippets/directory/clinician/" in str(
                node.get("url", "")
            ):
                labels.append(node.get("label"))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(json.loads(props))
    return labels


def messages_of(response):
    return [str(m).strip() for m in response.context["messages"]] if response.context else []


# --- the dashboard panel ----------------------------------------------------------------------


def test_helpdesk_sees_every_country_and_the_queue_link(client, make_staff, brussels, paris):
    enrol(brussels, "Ana", "Silva")
    enrol(paris, "Jean", "Dupont")
    enrol(paris, "Old", "Hand", status=Clinician.Status.APPROVED)
    client.force_login(make_staff("hd", "Helpdesk"))
    found = panel(client.get(reverse("wagtailadmin_home")))
    text = found.get_text(" ", strip=True)
    assert "2 enrolments are waiting" in text
    assert "Ana Silva" in text and "Jean Dupont" in text and "Old Hand" not in text
    link = found.find("a", string=lambda s: s and s.startswith("See all"))
    assert link["href"] == reverse(f"{CLINICIANS}:list") + "?status=awaiting"
    listing = client.get(link["href"]).content.decode()
    assert "Ana Silva" in listing and "Old Hand" not in listing


def test_a_contact_point_counts_its_own_country_only(client, make_staff, brussels, paris):
    enrol(brussels, "Ana", "Silva")
    enrol(paris, "Jean", "Dupont")
    enrol(paris, "Marie", "Curie")
    client.force_login(make_staff("ncp-be", BELGIUM_NCP))
    text = panel(client.get(reverse("wagtailadmin_home"))).get_text(" ", strip=True)
    assert "1 enrolment is waiting" in text
    assert "Ana Silva" in text and "Dupont" not in text


def test_no_enrolments_waiting_says_so(client, make_staff, paris):
    enrol(paris, "Old", "Hand", status=Clinician.Status.APPROVED)
    client.force_login(make_staff("hd", "Helpdesk"))
    text = panel(client.get(reverse("wagtailadmin_home"))).get_text(" ", strip=True)
    assert "No enrolments are waiting." in text


def test_an_editor_gets_no_panel_and_cannot_approve(
    client, make_staff, brussels, django_capture_on_commit_callbacks
):
    ana = enrol(brussels, "Ana", "Silva")
    client.force_login(make_staff("ed", "Editors"))
    assert panel(client.get(reverse("wagtailadmin_home"))) is None
    url = reverse(f"{CLINICIANS}:approve", args=[ana.pk])
    with django_capture_on_commit_callbacks(execute=True):
        responses = (client.get(url), client.post(url))
    for response in responses:
        # An editor sees no clinician at all: as for another country's row, a 404.
        assert response.status_code == 404
    ana.refresh_from_db()
    assert ana.status == Clinician.Status.AWAITING
    assert mail.outbox == []


def test_the_menu_item_shows_the_count(client, make_staff, brussels):
    client.force_login(make_staff("hd", "Helpdesk"))
    assert sidebar_label(client) == ["Clinicians"]
    enrol(brussels, "Ana", "Silva")
    assert sidebar_label(client) == ["Clinicians (1 waiting)"]


# --- approve and suspend ask first ------------------------------------------------------------


def test_approve_asks_then_approves_and_says_so(
    client, make_staff, brussels, django_capture_on_commit_callbacks
):
    helpdesk = make_staff("hd", "Helpdesk")
    ana = enrol(brussels, "Ana", "Silva")
    client.force_login(helpdesk)
    url = reverse(f"{CLINICIANS}:approve", args=[ana.pk])

    page = client.get(url)
    assert page.status_code == 200
    soup = BeautifulSoup(page.content, "html.parser")
    text = soup.get_text(" ", strip=True)
    assert "Approve Ana Silva" in text
    assert "welcome email" in text and "mailing list" in text
    form = soup.select_one("main form[method=post]")
    assert form.select_one("button[type=submit]").get_text(strip=True) == "Yes, approve Ana Silva"
    ana.refresh_from_db()
    assert ana.status == Clinician.Status.AWAITING  # a GET changes nothing
    assert mail.outbox == [] and not ModelLogEntry.objects.filter(action="cmss.clinician_approve")

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, follow=True)
    ana.refresh_from_db()
    assert ana.status == Clinician.Status.APPROVED
    assert "Approved Ana Silva. A welcome email is on its way." in messages_of(response)
    assert [m.to for m in mail.outbox] == [["ana.silva@example.eu"]]

    with django_capture_on_commit_callbacks(execute=True):
        again = client.post(url, follow=True)
    assert "Ana Silva was already approved: nothing changed, no email was sent." in (
        messages_of(again)
    )
    assert len(mail.outbox) == 1


def test_suspend_asks_then_suspends_and_says_so(client, make_staff, brussels):
    ana = enrol(
        brussels,
        "Ana",
        "Silva",
        status=Clinician.Status.APPROVED,
        role=Clinician.Role.CONTACT_PERSON,
    )
    client.force_login(make_staff("hd", "Helpdesk"))
    url = reverse(f"{CLINICIANS}:suspend", args=[ana.pk])
    text = BeautifulSoup(client.get(url).content, "html.parser").get_text(" ", strip=True)
    assert "Suspend Ana Silva" in text
    assert "contact-person place at Hôpital Erasme becomes free" in text
    ana.refresh_from_db()
    assert ana.status == Clinician.Status.APPROVED

    response = client.post(url, follow=True)
    ana.refresh_from_db()
    assert ana.status == Clinician.Status.SUSPENDED
    assert "Suspended Ana Silva. They can no longer see the directory." in messages_of(response)


def test_a_contact_point_cannot_reach_another_countrys_confirmation(
    client, make_staff, brussels, paris
):
    jean = enrol(paris, "Jean", "Dupont")
    client.force_login(make_staff("ncp-be", BELGIUM_NCP))
    url = reverse(f"{CLINICIANS}:approve", args=[jean.pk])
    assert client.get(url).status_code == 404
    assert client.post(url).status_code == 404
    jean.refresh_from_db()
    assert jean.status == Clinician.Status.AWAITING


def test_listing_buttons_open_the_confirmation_and_come_back(client, make_staff, brussels):
    ana = enrol(brussels, "Ana", "Silva")
    client.force_login(make_staff("hd", "Helpdesk"))
    listing = client.get(reverse(f"{CLINICIANS}:list"))
    soup = BeautifulSoup(listing.content, "html.parser")
    approve_url = reverse(f"{CLINICIANS}:approve", args=[ana.pk])
    link = soup.find("a", href=lambda h: h and h.startswith(approve_url))
    assert link is not None, "the Approve button is a link to the confirmation page"
    response = client.post(link["href"])
    assert response.status_code == 302
    assert response["Location"].startswith(reverse(f"{CLINICIANS}:list"))
