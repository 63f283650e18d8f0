"""Phone numbers in E.164 and canonical time zones in the forms a clinician fills in:
enrolment (/enrol/) and their own account (/account/); stored numbers shown the way people read them."""

import pytest
from bs4 import BeautifulSoup

from directory.countries import time_zone_choices
from directory.models import Clinician
from directory.phones import INVALID_PHONE_MESSAGE

from .test_directory_pages import make_clinician, make_hospital


@pytest.fixture
def member(db, django_user_model):
    hospital = make_hospital("Rigshospitalet", "København", "DK")
    user = django_user_model.objects.create_user("mette", "mette.hansen@example.eu")
    return make_clinician(
        "Mette", "Hansen", hospital, email="mette.hansen@example.eu", phone="+4535453545", user=user
    )


def account_data(**overrides):
    data = {
        "first_name": "Mette",
        "last_name": "Hansen",
        "phone": "+45 35 45 35 45",
        "specialty": "Infectious diseases",
        "languages": "Danish, English",
        "time_zone": "",
    }
    data.update(overrides)
    return data


def page(response):
    return BeautifulSoup(response.content, "html.parser")


def field_error(response, name):
    """The error shown beside a field, and whether the field points at it."""
    soup = page(response)
    error = soup.find(id=f"id_{name}_error")
    widget = soup.find(id=f"id_{name}")
    described = (widget.get("aria-describedby") or "").split() if widget else []
    return (error.get_text(" ", strip=True) if error else None), f"id_{name}_error" in described


@pytest.mark.django_db
def test_account_refuses_text_that_is_not_a_phone_number(client, member):
    client.force_login(member.user)
    response = client.post("/account/", account_data(phone="not a phone"))

    assert response.status_code == 200  # not "Your details have been saved."
    assert "Your details have been saved." not in response.content.decode()
    error, linked = field_error(response, "phone")
    assert error == f"Error: {INVALID_PHONE_MESSAGE}"
    assert linked
    summary = page(response).select(".error-summary a")
    assert [a["href"] for a in summary] == ["#id_phone"]
    assert "Phone" in summary[0].get_text()
    # What was typed is kept for correcting; nothing was saved.
    assert page(response).find(id="id_phone")["value"] == "not a phone"
    member.refresh_from_db()
    assert member.phone == "+4535453545"


@pytest.mark.django_db
def test_account_stores_e164_reading_a_national_number_in_the_hospitals_country(client, member):
    client.force_login(member.user)
    response = client.post("/account/", account_data(phone="35 45 00 00"))  # Danish, no +45
    assert response.status_code == 302
    member.refresh_from_db()
    assert member.phone == "+4535450000"


@pytest.mark.django_db
def test_account_shows_the_stored_number_as_people_read_it(client, member):
    client.force_login(member.user)
    response = client.get("/account/")
    assert page(response).find(id="id_phone")["value"] == "+45 35 45 35 45"


@pytest.mark.django_db
def test_account_time_zones_are_the_canonical_zones_of_the_countries_served(client, member):
    client.force_login(member.user)
    options = [o["value"] for o in page(client.get("/account/")).select("#id_time_zone option")]
    assert options == ["", *(zone for zone, _label in time_zone_choices())]
    assert "Europe/Belfast" not in options and "America/New_York" not in options


@pytest.mark.django_db
@pytest.mark.parametrize("zone", ["Europe/Belfast", "America/New_York", "GB", "Europe/Nicosia"])
def test_account_refuses_an_alias_or_a_zone_outside_the_network(client, member, zone):
    client.force_login(member.user)
    response = client.post("/account/", account_data(time_zone=zone))
    assert response.status_code == 200
    error, linked = field_error(response, "time_zone")
    assert error and "time zone" in error.lower() and linked
    member.refresh_from_db()
    assert member.time_zone == ""


@pytest.mark.django_db
def test_account_accepts_a_canonical_zone(client, member):
    client.force_login(member.user)
    assert client.post("/account/", account_data(time_zone="Atlantic/Canary")).status_code == 302
    member.refresh_from_db()
    assert member.time_zone == "Atlantic/Canary"


@pytest.mark.django_db
def test_directory_shows_numbers_as_people_read_them(client, member):
    member.status = Clinician.Status.APPROVED
    member.save()
    client.force_login(member.user)
    html = page(client.get("/directory/"))
    link = html.select_one('a[href^="tel:"]')
    assert link["href"] == "tel:+4535453545"
    assert link.get_text() == "+45 35 45 35 45"
