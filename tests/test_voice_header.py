"""The header of every page: Sign in, or My account and Sign out; Hospitals; Directory for members;
Webinars and Case conferences once they exist. The page cache never keeps a signed-in header.
Home-page cards whose target does not exist are left out."""

import pytest
from bs4 import BeautifulSoup
from django.test import Client, override_settings

from directory.models import Clinician, Country, Hospital
from home.models import HomePageCallToAction

from .conftest import publish


def header(response):
    assert response.status_code == 200
    soup = BeautifulSoup(response.content, "html.parser")
    return soup.select_one("header.site-header")


def links(response):
    return {a.get_text(strip=True): a["href"] for a in header(response).select("a[href]")}


def sign_out_form(response):
    return header(response).select_one('form[method="post"]')


@pytest.fixture
def hospital(db):
    return Hospital.objects.create(
        name="Charité", city="Berlin", country=Country.objects.get(code="DE")
    )


@pytest.fixture
def make_clinician(hospital, django_user_model):
    def make(status, email="lena@charite.example.eu"):
        user = django_user_model.objects.create_user(username=f"u-{status}", email=email)
        Clinician.objects.create(
            first_name="Lena",
            last_name="Vogel",
            email=email,
            hospital=hospital,
            status=status,
            user=user,
        )
        return user

    return make


def test_anonymous_header_offers_sign_in_and_the_public_sections(client, home_page):
    found = links(client.get("/"))
    assert found["Sign in"] == "/accounts/login/"
    assert found["Hospitals"] == "/hospitals/"
    for hidden in ("Directory", "My account", "Webinars", "Case conferences"):
        assert hidden not in found
    assert sign_out_form(client.get("/")) is None


def test_approved_clinician_sees_account_sign_out_and_directory(client, home_page, make_clinician):
    client.force_login(make_clinician(Clinician.Status.APPROVED))
    response = client.get("/")
    found = links(response)
    assert found["My account"] == "/account/"
    assert found["Directory"] == "/directory/"
    assert "Sign in" not in found and "Admin" not in found
    form = sign_out_form(response)
    assert form["action"] == "/accounts/logout/"
    assert form.select_one('input[name="csrfmiddlewaretoken"]') is not None
    assert form.select_one("button[type=submit]").get_text(strip=True) == "Sign out"


def test_sign_out_button_signs_out(client, home_page, make_clinician):
    client.force_login(make_clinician(Clinician.Status.APPROVED))
    form = sign_out_form(client.get("/"))
    response = client.post(form["action"])
    assert response.status_code == 302
    assert "_auth_user_id" not in client.session
    assert "Sign in" in links(client.get("/"))


@pytest.mark.parametrize("status", [Clinician.Status.AWAITING, Clinician.Status.SUSPENDED])
def test_a_clinician_not_approved_gets_no_directory_link(client, home_page, make_clinician, status):
    client.force_login(make_clinician(status))
    found = links(client.get("/"))
    assert "My account" in found
    assert "Directory" not in found


def test_helpdesk_staff_get_the_directory_and_the_admin(client, home_page, make_staff):
    client.force_login(make_staff("hd", "Helpdesk"))
    response = client.get("/")
    found = links(response)
    assert found["Directory"] == "/directory/"
    # No clinician record, so no account page (it would answer 404): the admin is theirs.
    assert found["Admin"] == "/admin/"
    assert "My account" not in found
    assert sign_out_form(response) is not None


def test_the_header_is_on_allauth_and_directory_pages_too(client, home_page, make_clinician):
    assert "Sign in" in links(client.get("/accounts/login/"))
    assert "Sign in" in links(client.get("/hospitals/"))
    client.force_login(make_clinician(Clinician.Status.APPROVED))
    assert "Sign out" in header(client.get("/directory/")).get_text()


def test_webinars_appear_once_their_page_exists(client, home_page, make_standard_page):
    assert "Webinars" not in links(client.get("/"))
    make_standard_page(home_page, "Webinars", slug="webinars")
    assert links(client.get("/"))["Webinars"] == "/webinars/"


def test_case_conferences_appear_for_members_once_the_url_exists(client, home_page, make_clinician):
    client.force_login(make_clinician(Clinician.Status.APPROVED))
    assert links(client.get("/"))["Case conferences"] == "/conferences/request/"
    with override_settings(ROOT_URLCONF="tests.urls_voice"):
        # Control: a site without the address shows no link to a 404.
        assert "Case conferences" not in links(client.get("/"))
    client.logout()
    assert "Case conferences" not in links(client.get("/"))  # members only


def test_the_cached_public_page_never_holds_a_signed_in_header(home_page, make_clinician):
    member = Client()
    member.force_login(make_clinician(Clinician.Status.APPROVED))
    anonymous = Client()

    first = anonymous.get("/")
    assert first["X-Page-Cache"] == "miss"
    signed_in = member.get("/")
    # Control: the signed-in page does differ, so the check below could see a mix-up.
    assert "X-Page-Cache" not in signed_in
    assert "Sign out" in header(signed_in).get_text()
    for _ in range(2):
        again = anonymous.get("/")
        assert again["X-Page-Cache"] == "hit"
        assert "Sign out" not in again.content.decode()
        assert "Sign in" in links(again)
    # The member never gets the anonymous copy either.
    assert "Sign out" in header(member.get("/")).get_text()


def test_a_card_whose_target_does_not_exist_is_left_out(client, home_page, make_standard_page):
    for position, (label, url) in enumerate(
        [("Enrol", "/enrol/"), ("Webinars", "/webinars/"), ("Elsewhere", "https://example.eu/")]
    ):
        home_page.calls_to_action.add(
            HomePageCallToAction(sort_order=position, label=label, link_url=url)
        )
    publish(home_page)

    def cards():
        soup = BeautifulSoup(client.get("/").content, "html.parser")
        return [a.get_text(strip=True) for a in soup.select("a.cta__link")]

    assert cards() == ["Enrol", "Elsewhere"]
    make_standard_page(home_page, "Webinars", slug="webinars")  # publishing drops the cache
    assert cards() == ["Enrol", "Webinars", "Elsewhere"]
