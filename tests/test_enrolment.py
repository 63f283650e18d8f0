"""Enrolment at /enrol/: consent version, email confirmation by allauth's code, no enumeration."""

import re

import pytest
from django.core import mail
from django.test import override_settings

from directory.models import Clinician, Country, Hospital
from directory.services.enrolment import send_welcome_email


@pytest.fixture
def hospital(db):
    return Hospital.objects.create(
        name="Charité", city="Berlin", country=Country.objects.get(code="DE")
    )


def form_data(chosen, **overrides):
    data = {
        "first_name": "Lena",
        "last_name": "Vogel",
        "email": "lena.vogel@charite.example.eu",
        "country": chosen.country.code if chosen.country_id else "",
        "hospital": str(chosen.pk),
        "specialty": "Infectious diseases",
        "role": "case_manager",
        "phone": "+49 30 1234",
        "languages": "German, English",
        "consent": "on",
    }
    data.update(overrides)
    return data


def code_from(message):
    return re.search(r"^\s*([A-Z0-9]{4}-[A-Z0-9]{4})\s*$", message.body, re.M).group(1)


def test_enrol_records_consent_and_confirmation_moves_to_awaiting(
    client, privacy_page, hospital, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/enrol/", form_data(hospital))
    assert response.status_code == 302
    clinician = Clinician.objects.get(email="lena.vogel@charite.example.eu")
    assert clinician.status == Clinician.Status.UNCONFIRMED
    assert clinician.source == Clinician.Source.ENROLMENT
    assert clinician.privacy_version == privacy_page.version_label
    assert clinician.consented_at is not None
    assert clinician.phone == "+49301234"  # E.164
    assert len(mail.outbox) == 1
    page = client.get(response["Location"])
    assert b"Check your inbox" in page.content
    done = client.post(response["Location"], {"code": code_from(mail.outbox[0])})
    assert done.status_code == 302
    assert done["Location"] == "/enrol/confirmed/"
    clinician.refresh_from_db()
    assert clinician.status == Clinician.Status.AWAITING


def test_already_enrolled_gets_same_response_and_another_email(
    client, privacy_page, hospital, django_capture_on_commit_callbacks
):
    Clinician.objects.create(first_name="A", last_name="B", email="known@charite.example.eu")
    with django_capture_on_commit_callbacks(execute=True):
        new = client.post("/enrol/", form_data(hospital, email="new@charite.example.eu"))
    new_page = client.get(new["Location"]).content.decode()
    client.cookies.clear()
    with django_capture_on_commit_callbacks(execute=True):
        known = client.post("/enrol/", form_data(hospital, email="known@charite.example.eu"))
    known_page = client.get(known["Location"]).content.decode()
    assert (new.status_code, new["Location"]) == (known.status_code, known["Location"])
    strip = lambda html: re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"|\S+@charite', "", html)  # noqa: E731
    assert strip(new_page) == strip(known_page)
    assert Clinician.objects.filter(email="known@charite.example.eu").count() == 1
    assert "already enrolled" in mail.outbox[1].subject
    assert "already enrolled" not in mail.outbox[0].subject


def test_third_contact_person_is_refused(client, privacy_page, hospital):
    for n in range(2):
        Clinician.objects.create(
            first_name="C", last_name=str(n), email=f"c{n}@x.eu", hospital=hospital, role="contact"
        )
    response = client.post("/enrol/", form_data(hospital, role="contact"))
    assert response.status_code == 200
    assert "a hospital names at most two" in response.content.decode()
    assert 'href="#id_role"' in response.content.decode()


def test_proposed_hospital_is_created_not_taking_part(client, privacy_page, db):
    country = Country.objects.get(code="FR")
    response = client.post(
        "/enrol/",
        form_data(
            Hospital(pk=0, country=country),
            hospital="propose",
            proposed_name="CHU de Nulle Part",
            proposed_city="Lyon",
        ),
    )
    assert response.status_code == 302
    hospital = Hospital.objects.get(name="CHU de Nulle Part")
    assert not hospital.taking_part
    assert "Proposed at enrolment" in hospital.staff_notes
    assert hospital.country == country  # the country chosen for the search
    assert Clinician.objects.get(email="lena.vogel@charite.example.eu").hospital == hospital


def test_missing_fields_are_named_in_error_summary(client, privacy_page, hospital):
    response = client.post("/enrol/", {"country": "FR", "hospital": "propose"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "There is a problem" in html
    assert 'href="#id_email"' in html
    assert "Enter the name of the hospital you propose" in html
    assert "Tick the box to agree to the privacy statement" in html


@override_settings(ACCOUNT_RATE_LIMITS={"enrol": "2/h/ip", "enrol_email": "3/h/key"})
def test_enrolment_is_rate_limited(client, privacy_page, hospital):
    for _ in range(2):
        assert client.post("/enrol/", {}).status_code == 200
    response = client.post("/enrol/", {})
    assert response.status_code == 429
    assert "Too many attempts" in response.content.decode()


def test_welcome_email_lists_information_package(db, hospital, django_capture_on_commit_callbacks):
    clinician = Clinician.objects.create(first_name="W", last_name="E", email="w@x.eu")
    with django_capture_on_commit_callbacks(execute=True):
        send_welcome_email(clinician)
    assert mail.outbox[0].to == ["w@x.eu"]
    assert "/information-package/" in mail.outbox[0].body
