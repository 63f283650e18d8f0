"""The Health Security Committee (issue 12, point 5): its members sign in as staff (second factor
included), read the directory (/directory/, the admin's lists and their export) and change
nothing; every page of contact details they open and every export is in the audit log, and the
helpdesk sees those records."""

import time

import pytest
from allauth.account.internal.flows.login import (
    _AUTHENTICATION_METHODS_USER_SESSION_KEY,
    AUTHENTICATION_METHODS_SESSION_KEY,
)
from allauth.account.internal.userkit import user_id_to_str
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from bs4 import BeautifulSoup
from django.contrib.auth.models import Group
from django.test import Client
from wagtail.models import ModelLogEntry

from directory.admin_access import committee_history_url
from directory.committee import HEALTH_SECURITY_COMMITTEE, VIEW_ACTION
from directory.models import Clinician, Country, DirectoryImportRun, Hospital
from directory.services.exports import EXPORT_ACTION

CLINICIANS = "/admin/snippets/directory/clinician/"
HOSPITALS = "/admin/snippets/directory/hospital/"


@pytest.fixture
def people(db):
    made = {}
    for code, name in (("BE", "Peeters"), ("FR", "Durand"), ("MT", "Borg")):
        country = Country.objects.get(code=code)
        hospital = Hospital.objects.create(name=f"Hospital {code}", city="C", country=country)
        made[code] = Clinician.objects.create(
            hospital=hospital,
            first_name="Dr",
            last_name=name,
            email=f"{name.lower()}@example.eu",
            phone="+32 2 555 01 01",
            status=Clinician.Status.APPROVED,
        )
    made["awaiting"] = Clinician.objects.create(
        hospital=made["BE"].hospital,
        first_name="Waiting",
        last_name="Person",
        email="waiting@example.eu",
        status=Clinician.Status.AWAITING,
    )
    return made


def staff_client(user, *, second_factor=True):
    EmailAddress.objects.get_or_create(user=user, email=user.email, primary=True, verified=True)
    Authenticator.objects.get_or_create(
        user=user, type=Authenticator.Type.TOTP, defaults={"data": {"secret": "JBSWY3DPEHPK3PXP"}}
    )
    client = Client()
    client.force_login(user)
    session = client.session
    session[_AUTHENTICATION_METHODS_USER_SESSION_KEY] = user_id_to_str(user)
    methods = [{"method": "code", "email": user.email, "at": time.time()}]
    if second_factor:
        methods.append({"method": "mfa", "type": "totp", "at": time.time()})
    session[AUTHENTICATION_METHODS_SESSION_KEY] = methods
    session.save()
    return client


@pytest.fixture
def strict(settings):
    settings.CMSS_DEMO_RELAX_STAFF_MFA = False


@pytest.fixture
def member(make_staff, strict):
    return make_staff("committee", group=HEALTH_SECURITY_COMMITTEE)


@pytest.fixture
def committee(member):
    return staff_client(member)


def test_the_group_may_reach_the_admin_and_view_the_directory_only(db):
    group = Group.objects.get(name=HEALTH_SECURITY_COMMITTEE)
    codenames = {
        f"{p.content_type.app_label}.{p.codename}"
        for p in group.permissions.select_related("content_type")
    }
    assert codenames == {
        "wagtailadmin.access_admin",
        "directory.view_clinician",
        "directory.view_hospital",
    }


def test_a_member_needs_the_second_factor_for_the_admin(member, people):
    client = staff_client(member, second_factor=False)
    response = client.get(CLINICIANS)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/2fa/reauthenticate/")
    assert not ModelLogEntry.objects.filter(action=VIEW_ACTION).exists()


def test_a_member_reads_the_whole_directory_and_each_view_is_logged(committee, member, people):
    response = committee.get("/directory/", {"q": "durand"})
    assert response.status_code == 200
    assert "durand@example.eu" in response.content.decode()
    assert "no-store" in response["Cache-Control"]
    every = committee.get("/directory/").content.decode()
    for code in ("BE", "FR", "MT"):
        assert people[code].email in every
    assert "waiting@example.eu" not in every  # the directory lists approved people only

    entries = ModelLogEntry.objects.filter(action=VIEW_ACTION, user=member).order_by("pk")
    assert entries.count() == 2
    assert entries[0].data["path"] == "/directory/"
    assert entries[0].data["filters"] == {"q": ["durand"]}


def test_a_member_reads_the_admin_lists_and_exports_and_both_are_logged(committee, member, people):
    listing = committee.get(CLINICIANS)
    assert listing.status_code == 200
    text = listing.content.decode()
    for code in ("BE", "FR", "MT"):
        assert people[code].email in text
    assert committee.get(HOSPITALS).status_code == 200
    view = ModelLogEntry.objects.get(action=VIEW_ACTION, user=member)
    assert view.data["page"] == "admin clinician list"

    export = committee.get(CLINICIANS, {"export": "csv"})
    assert export.status_code == 200
    body = b"".join(export.streaming_content).decode("utf-8-sig")
    assert "peeters@example.eu" in body and "borg@example.eu" in body
    logged = ModelLogEntry.objects.get(action=EXPORT_ACTION, user=member)
    assert logged.data["format"] == "csv" and logged.data["rows"] == 4
    # The export is not also counted as a page view.
    assert ModelLogEntry.objects.filter(action=VIEW_ACTION, user=member).count() == 1


def test_a_member_changes_nothing(committee, people):
    belgian, awaiting = people["BE"], people["awaiting"]
    hospital = belgian.hospital
    refused_gets = [
        f"{CLINICIANS}add/",
        f"{CLINICIANS}edit/{belgian.pk}/",
        f"{CLINICIANS}delete/{belgian.pk}/",
        f"{CLINICIANS}copy/{belgian.pk}/",
        f"{CLINICIANS}approve/{awaiting.pk}/",
        f"{CLINICIANS}suspend/{belgian.pk}/",
        f"{HOSPITALS}add/",
        f"{HOSPITALS}edit/{hospital.pk}/",
        f"{HOSPITALS}delete/{hospital.pk}/",
        "/admin/directory/import/",
        f"/admin/bulk/directory/clinician/delete/?id={belgian.pk}",
    ]
    for url in refused_gets:
        response = committee.get(url)
        assert response.status_code in (302, 403, 404), url
        if response.status_code == 302:
            assert response["Location"] == "/admin/", url

    posts = [
        (f"{CLINICIANS}add/", {"first_name": "New", "last_name": "One", "email": "n@example.eu"}),
        (f"{CLINICIANS}edit/{belgian.pk}/", {"first_name": "Changed", "email": belgian.email}),
        (f"{CLINICIANS}delete/{belgian.pk}/", {}),
        (f"{CLINICIANS}approve/{awaiting.pk}/", {}),
        (f"{CLINICIANS}suspend/{belgian.pk}/", {}),
        (f"{HOSPITALS}add/", {"name": "New", "city": "X", "country": hospital.country_id}),
        (f"{HOSPITALS}edit/{hospital.pk}/", {"name": "Renamed", "country": hospital.country_id}),
        (f"{HOSPITALS}delete/{hospital.pk}/", {}),
        (f"/admin/bulk/directory/clinician/delete/?id={belgian.pk}", {}),
        (f"/admin/bulk/directory/hospital/delete/?id={hospital.pk}", {}),
        ("/admin/directory/import/", {}),
    ]
    for url, data in posts:
        response = committee.post(url, data)
        assert response.status_code in (302, 403, 404, 405), url
        if response.status_code == 302:
            assert response["Location"] == "/admin/", url

    belgian.refresh_from_db()
    awaiting.refresh_from_db()
    hospital.refresh_from_db()
    assert belgian.first_name == "Dr" and belgian.status == Clinician.Status.APPROVED
    assert awaiting.status == Clinician.Status.AWAITING
    assert hospital.name == "Hospital BE"
    assert Clinician.objects.count() == 4 and Hospital.objects.count() == 3
    assert not DirectoryImportRun.objects.exists()


def test_a_member_sees_nothing_else_of_the_admin(committee, people):
    for url in (
        "/admin/mail/outgoingmessage/",
        "/admin/events/webexbooking/",
        "/admin/events/conferencerequest/",
        "/admin/reports/site-history/",
        "/admin/users/",
        "/admin/events/statistics/",
        "/admin/announcements/",
    ):
        response = committee.get(url)
        assert response.status_code in (302, 403, 404), url
        if response.status_code == 302:
            assert response["Location"] == "/admin/", url


def test_the_helpdesk_sees_the_committees_records(committee, member, make_staff, people):
    committee.get("/directory/")
    committee.get(CLINICIANS, {"export": "csv"})
    helpdesk = staff_client(make_staff("hana", group="Helpdesk"))
    helpdesk.get(CLINICIANS, {"export": "csv"})
    response = helpdesk.get(committee_history_url())
    assert response.status_code == 200
    rows = BeautifulSoup(response.content, "html.parser").select("table.listing tbody tr")
    texts = [row.get_text(" ", strip=True) for row in rows]
    assert len(texts) == 2, texts  # the helpdesk's own look at the directory is not listed
    assert "Viewed contact details" in texts[1] and "/directory/" in texts[1]
    assert "Exported the directory (csv)" in texts[0] and "committee@example.eu" in texts[0]
    assert committee_history_url() in helpdesk.get("/admin/").content.decode()
    # Nobody else gets the record.
    assert committee.get(committee_history_url()).status_code == 403
    editor = staff_client(make_staff("eddie", group="Editors"))
    assert editor.get(committee_history_url()).status_code == 403


def test_others_are_not_logged_as_the_committee(make_staff, strict, people):
    helpdesk = staff_client(make_staff("hana", group="Helpdesk"))
    assert helpdesk.get("/directory/").status_code == 200
    assert helpdesk.get(CLINICIANS).status_code == 200
    assert not ModelLogEntry.objects.filter(action=VIEW_ACTION).exists()


def test_an_editor_still_may_not_read_the_directory(make_staff, strict, people):
    editor = staff_client(make_staff("eddie", group="Editors"))
    assert editor.get("/directory/").status_code == 403
    listing = editor.get(CLINICIANS)
    assert listing.status_code == 302 or "peeters@example.eu" not in listing.content.decode()
