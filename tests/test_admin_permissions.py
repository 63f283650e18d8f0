"""Every admin view checks permission, and each role sees the contact details its work needs
(issue 8, points 2 and 5).

- The mail log's and the Webex bookings' history pages (wagtail-modeladmin) are the helpdesk's,
  as the rest of those views are: editors, moderators and contact points get no page.
- A bulk action's confirmation page names only what the user may see: a contact point sees no
  other country's clinicians or hospitals, editors and moderators no clinician at all.
- The site history report (and its CSV/XLSX export) is the helpdesk's and the administrators':
  it names every user and every action, all countries together. Its menu item follows.
- /directory/: approved clinicians, the helpdesk and administrators see every country; a national
  contact point sees its own; editors and moderators (who edit content) do not see it at all.
  Someone who is two of these gets the larger right.
"""

import re

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import timezone

from cms.mail.models import OutgoingMessage
from directory.models import Clinician, Country, Hospital
from directory.services.approval import approve_clinician
from events.models import WebexBooking

FRENCH_NCP = "National contact point – France"
SECRET_EMAIL = "xaviera.geheim@erasme.example.be"
SECRET_NAME = "Geheim"
MAIL_SUBJECT = "Sign-in code for the boss"
MAIL_RECIPIENT = "boss-mailbox@cmss.example.eu"
HELPDESK_SURNAME = "Deskmann"


@pytest.fixture
def world(db, make_staff):
    belgium = Country.objects.get(code="BE")
    france = Country.objects.get(code="FR")
    erasme = Hospital.objects.create(name="Hôpital Erasme", city="Brussels", country=belgium)
    necker = Hospital.objects.create(name="Hôpital Necker", city="Paris", country=france)
    belgian = Clinician.objects.create(
        hospital=erasme,
        first_name="Xaviera",
        last_name=SECRET_NAME,
        email=SECRET_EMAIL,
        phone="+3225550199",
        status=Clinician.Status.AWAITING,
    )
    french = Clinician.objects.create(
        hospital=necker,
        first_name="Fanny",
        last_name="Voisine",
        email="fanny.voisine@necker.example.fr",
        status=Clinician.Status.APPROVED,
    )
    helpdesk = make_staff("helpdesk", "Helpdesk")
    helpdesk.first_name, helpdesk.last_name = "Helga", HELPDESK_SURNAME
    helpdesk.save()
    approve_clinician(belgian, helpdesk)  # a site-history entry that names both
    message = OutgoingMessage.objects.create(
        recipient=MAIL_RECIPIENT,
        from_email="helpdesk@cmss.example.eu",
        subject=MAIL_SUBJECT,
        body_text="(not stored)",
        status=OutgoingMessage.Status.SENT,
    )
    booking = WebexBooking.objects.create(
        title="Case conference on a rare case",
        start=timezone.now(),
        end=timezone.now() + timezone.timedelta(hours=1),
    )
    return {
        "belgian": belgian,
        "french": french,
        "erasme": erasme,
        "message": message,
        "booking": booking,
        "helpdesk": helpdesk,
        "ncp": make_staff("ncp-fr", FRENCH_NCP),
        "editor": make_staff("editor", "Editors"),
        "moderator": make_staff("moderator", "Moderators"),
        "admin": make_staff("admin", superuser=True),
    }


def as_user(client, user):
    client.force_login(user)  # the second factor is relaxed in test settings
    return client


def text(response):
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content).decode("utf-8", "replace")
    return response.content.decode("utf-8", "replace")


def header_links(client):
    """The hrefs of the header's main menu on /hospitals/."""
    body = text(client.get("/hospitals/"))
    menu = re.search(r'<nav class="main-menu".*?</nav>', body, re.S).group(0)
    return re.findall(r'href="([^"]+)"', menu)


def refused(response):
    """No page: 403, or Wagtail's redirect to the dashboard with "no permission"."""
    return response.status_code == 403 or (
        response.status_code == 302 and response["Location"] == reverse("wagtailadmin_home")
    )


# --- point 2: modeladmin history --------------------------------------------------------------


def history_urls(world):
    return [
        reverse("mail_outgoingmessage_modeladmin_history", args=[world["message"].pk]),
        reverse("events_webexbooking_modeladmin_history", args=[world["booking"].pk]),
    ]


@pytest.mark.parametrize("role", ["editor", "moderator", "ncp"])
def test_mail_and_booking_history_is_not_for_other_staff(client, world, role):
    as_user(client, world[role])
    for url in history_urls(world):
        response = client.get(url)
        assert refused(response), (role, url, response.status_code)
        assert MAIL_RECIPIENT not in text(response)
        assert MAIL_SUBJECT not in text(response)


def test_the_helpdesk_sees_mail_and_booking_history(client, world):
    as_user(client, world["helpdesk"])
    for url in history_urls(world):
        assert client.get(url).status_code == 200, url


# --- point 2: bulk actions --------------------------------------------------------------------


def bulk_url(model, action, *objects):
    ids = "&".join(f"id={obj.pk}" for obj in objects)
    return f"/admin/bulk/directory/{model}/{action}/?{ids}"


@pytest.mark.parametrize("role", ["editor", "moderator", "ncp"])
def test_bulk_delete_names_nothing_outside_the_users_countries(client, world, role):
    as_user(client, world[role])
    for url in (
        bulk_url("clinician", "delete", world["belgian"]),
        bulk_url("clinician", "delete", world["belgian"], world["french"]),
        bulk_url("hospital", "delete", world["erasme"]),
    ):
        response = client.get(url)
        body = text(response)
        assert SECRET_NAME not in body and SECRET_EMAIL not in body, (role, url)
        assert "Erasme" not in body, (role, url)
        if role != "ncp":
            assert "Voisine" not in body, (role, url)
            assert refused(response), (role, url, response.status_code)


def test_bulk_delete_by_a_contact_point_deletes_nothing(client, world):
    as_user(client, world["ncp"])
    client.post(bulk_url("clinician", "delete", world["belgian"], world["french"]))
    client.post(bulk_url("hospital", "delete", world["erasme"]))
    assert Clinician.objects.filter(pk__in=[world["belgian"].pk, world["french"].pk]).count() == 2
    assert Hospital.objects.filter(pk=world["erasme"].pk).exists()


def test_the_helpdesk_confirms_and_deletes_in_bulk(client, world):
    as_user(client, world["helpdesk"])
    url = bulk_url("clinician", "delete", world["belgian"], world["french"])
    body = text(client.get(url))
    assert SECRET_NAME in body and "Voisine" in body
    assert client.post(url).status_code == 302
    assert not Clinician.objects.filter(pk__in=[world["belgian"].pk, world["french"].pk]).exists()


# --- point 2: site history --------------------------------------------------------------------

SITE_HISTORY = [
    "/admin/reports/site-history/",
    "/admin/reports/site-history/results/",
    "/admin/reports/site-history/?export=csv",
    "/admin/reports/site-history/?export=xlsx",
]


@pytest.mark.parametrize("role", ["editor", "moderator", "ncp"])
def test_site_history_is_not_for_other_staff(client, world, role):
    as_user(client, world[role])
    for url in SITE_HISTORY:
        response = client.get(url)
        assert response.status_code == 403, (role, url, response.status_code)
        assert HELPDESK_SURNAME not in text(response) and SECRET_NAME not in text(response)
        assert "helga" not in text(response).lower()
    dashboard = text(client.get("/admin/"))
    assert "/admin/reports/site-history/" not in dashboard


@pytest.mark.parametrize("role", ["helpdesk", "admin"])
def test_site_history_is_for_the_helpdesk_and_administrators(client, world, role):
    as_user(client, world[role])
    response = client.get(SITE_HISTORY[0])
    assert response.status_code == 200
    assert SECRET_NAME in text(response)
    assert "/admin/reports/site-history/" in text(client.get("/admin/"))
    assert client.get(SITE_HISTORY[2]).status_code == 200


# --- point 5: the directory -------------------------------------------------------------------


def approve(clinician):
    clinician.status = Clinician.Status.APPROVED
    clinician.save()
    return clinician


def clinician_user(make_staff, world, username, groups=()):
    """A user with an approved clinician record at Necker (France), in ``groups``."""
    user = make_staff(username)
    for name in groups:
        user.groups.add(Group.objects.get(name=name))
    Clinician.objects.create(
        hospital=world["french"].hospital,
        first_name="Own",
        last_name=username.title(),
        email=user.email,
        status=Clinician.Status.APPROVED,
        user=user,
    )
    return user


@pytest.mark.parametrize("role", ["editor", "moderator"])
def test_editors_and_moderators_do_not_see_the_directory(client, world, role):
    approve(world["belgian"])
    as_user(client, world[role])
    response = client.get("/directory/")
    assert response.status_code == 403
    body = text(response)
    assert SECRET_EMAIL not in body and "fanny.voisine" not in body
    assert "helpdesk" in body.lower()  # says whom to ask
    assert "/directory/" not in header_links(client)


def test_a_contact_point_sees_its_own_countrys_people_only(client, world):
    approve(world["belgian"])
    as_user(client, world["ncp"])
    for url in ("/directory/", "/directory/?country=BE", "/directory/?q=geheim"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert SECRET_EMAIL not in text(response), url
        assert SECRET_NAME not in text(response), url
    assert "fanny.voisine@necker.example.fr" in text(client.get("/directory/"))
    assert "/directory/" in header_links(client)


@pytest.mark.parametrize("role", ["helpdesk", "admin"])
def test_the_helpdesk_and_administrators_see_every_country(client, world, role):
    approve(world["belgian"])
    as_user(client, world[role])
    body = text(client.get("/directory/"))
    assert SECRET_EMAIL in body and "fanny.voisine@necker.example.fr" in body


@pytest.mark.parametrize("groups", [(), ("Editors",), ("Moderators",), (FRENCH_NCP,)])
def test_an_approved_clinician_sees_every_country_whatever_else_they_are(
    client, world, make_staff, groups
):
    approve(world["belgian"])
    as_user(client, clinician_user(make_staff, world, "doctor", groups))
    body = text(client.get("/directory/"))
    assert SECRET_EMAIL in body and "fanny.voisine@necker.example.fr" in body


def test_a_suspended_clinician_who_is_a_contact_point_keeps_the_contact_points_view(
    client, world, make_staff
):
    approve(world["belgian"])
    user = clinician_user(make_staff, world, "doctor", (FRENCH_NCP,))
    Clinician.objects.filter(user=user).update(status=Clinician.Status.SUSPENDED)
    as_user(client, user)
    body = text(client.get("/directory/"))
    assert SECRET_EMAIL not in body and "fanny.voisine@necker.example.fr" in body


@pytest.mark.parametrize(
    "listing",
    [
        "/admin/mail/outgoingmessage/",
        "/admin/mail/suppressedaddress/",
        "/admin/events/webexbooking/",
    ],
)
def test_an_unknown_filter_on_a_log_listing_shows_the_list_not_a_500(client, make_staff, listing):
    client.force_login(make_staff("helpdesk", "Helpdesk"))

    response = client.get(listing, {"foo": "1", "status__nonsense": "x"})

    assert response.status_code == 302
    assert response["Location"] == listing
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert b"a filter this list does not have" in page.content
