"""Clinicians who came in by import sign in by code like everyone else."""

import re

import pytest
from allauth.account.models import EmailAddress
from django.test import override_settings

from directory.models import Clinician
from directory.services.accounts import ensure_account_for

from .test_directory_pages import make_clinician, make_hospital

FORMS = {
    "login": "directory.signin_forms.MemberLoginForm",
    "request_login_code": "directory.signin_forms.MemberLoginCodeForm",
}


def request_code(client, email, capture_on_commit):
    """Ask for a sign-in code; it is mailed once the request's transaction commits."""
    with capture_on_commit(execute=True):
        return client.post("/accounts/login/code/", {"email": email})


def code_from(mailoutbox, email):
    message = next(m for m in reversed(mailoutbox) if email in m.to)
    return re.search(r"^\s*([A-Z0-9]{4}-[A-Z0-9]{4})\s*$", message.body, re.MULTILINE).group(1)


@pytest.mark.django_db
@override_settings(ACCOUNT_FORMS=FORMS)
def test_imported_clinician_gets_a_code_and_signs_in(
    client, mailoutbox, django_capture_on_commit_callbacks
):
    clinician = make_clinician(
        "Ilse",
        "Imported",
        make_hospital("AKH", "Wien", "AT"),
        email="ilse@example.eu",
        source=Clinician.Source.IMPORT,
    )
    response = request_code(client, "ILSE@example.eu", django_capture_on_commit_callbacks)
    assert response.status_code == 302
    code = code_from(mailoutbox, "ilse@example.eu")
    confirm = client.post(response["Location"], {"code": code})
    assert confirm.status_code == 302
    clinician.refresh_from_db()
    assert clinician.user is not None
    assert client.get("/directory/").status_code == 200
    assert EmailAddress.objects.get(user=clinician.user).verified


@pytest.mark.django_db
@override_settings(ACCOUNT_FORMS=FORMS)
def test_imported_clinician_signs_in_from_the_sign_in_page_too(
    client, mailoutbox, django_capture_on_commit_callbacks
):
    make_clinician("Ilse", "Imported", email="ilse@example.eu", source=Clinician.Source.IMPORT)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/accounts/login/", {"login": "ilse@example.eu"})
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/code/confirm/")
    confirm = client.post(response["Location"], {"code": code_from(mailoutbox, "ilse@example.eu")})
    assert confirm.status_code == 302
    assert Clinician.objects.get(email="ilse@example.eu").user is not None


@pytest.mark.django_db
@override_settings(ACCOUNT_FORMS={})
def test_without_provisioning_an_imported_clinician_gets_no_code(
    client, mailoutbox, django_capture_on_commit_callbacks
):
    """Control: allauth alone knows no account for an imported clinician."""
    make_clinician("Ilse", "Imported", email="ilse@example.eu", source=Clinician.Source.IMPORT)
    request_code(client, "ilse@example.eu", django_capture_on_commit_callbacks)
    assert not any(re.search(r"^\s*[A-Z0-9]{4}-[A-Z0-9]{4}\s*$", m.body, re.M) for m in mailoutbox)


@pytest.mark.django_db
@pytest.mark.parametrize("status", ["unconfirmed", "awaiting", "suspended"])
def test_only_approved_clinicians_are_provisioned(status):
    make_clinician("Paul", "Pending", email="paul@example.eu", status=status)
    assert ensure_account_for("paul@example.eu") is None


@pytest.mark.django_db
def test_provisioning_twice_makes_one_account():
    clinician = make_clinician("Ilse", "Imported", email="ilse@example.eu")
    first = ensure_account_for("ilse@example.eu")
    assert first is not None
    assert ensure_account_for("ilse@example.eu") is None  # already has one: nothing to do
    clinician.refresh_from_db()
    assert clinician.user == first
    assert not first.has_usable_password()
