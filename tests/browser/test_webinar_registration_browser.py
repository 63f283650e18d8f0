"""Webinar registration in headless Chromium (issue 10, point 11): the form, the code page and
the cancel page pass axe-core (WCAG 2.1 A and AA) at desktop and phone widths, and a person
registers with the keyboard alone, code included."""

import datetime
import re

import pytest
from django.core import mail
from django.utils import timezone
from playwright.sync_api import expect

from events.models import Registration, WebinarIndexPage
from events.services import registrations

from ..conftest import publish
from ..test_webinar_registration import make_webinar
from .conftest import DESKTOP, NARROW
from .test_public_pages import axe_report, run_axe

pytestmark = pytest.mark.browser

VIEWPORTS = {"desktop": DESKTOP, "320px": NARROW}


@pytest.fixture
def registration_site(live_server, home_page, privacy_page, countries, settings):
    settings.WEBEX_BOOKING_RETRY_DELAYS = []  # no Webex booking here: do not wait out retries
    catalogue = WebinarIndexPage(title="Webinars", slug="webinars")
    home_page.add_child(instance=catalogue)
    publish(catalogue)
    webinar = make_webinar(
        catalogue, capacity=40, start=timezone.now() + datetime.timedelta(days=10)
    )
    return live_server.url, webinar


def assert_accessible(page):
    results = run_axe(page)
    assert results.response["testEngine"]["name"] == "axe-core"
    assert results.violations_count == 0, axe_report(results)


def fill_in_the_form(page, email="ines.costa@example.eu"):
    page.get_by_label("First name").fill("Inês")
    page.get_by_label("Last name").fill("Costa")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Profession").fill("Nurse")
    page.get_by_label("Country where you work").select_option("PT")
    page.get_by_label("I have read the privacy statement").check()


def tab_to(page, locator, limit=60):
    """Press Tab from where the focus is until ``locator`` has it, as a keyboard user would."""
    for _ in range(limit):
        if locator.evaluate("element => element === document.activeElement"):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"Tab never reached {locator}")


def sent_code():
    return re.search(r"\b(\d{6})\b", mail.outbox[-1].body).group(1)


@pytest.mark.parametrize("viewport", VIEWPORTS, ids=list(VIEWPORTS))
def test_register_code_and_cancel_pages_pass_axe(registration_site, open_page, viewport):
    url, webinar = registration_site
    page = open_page(VIEWPORTS[viewport], javascript=True)
    page.goto(f"{url}/webinars/{webinar.slug}/register/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Register for the webinar")
    assert_accessible(page)

    # The form with its errors.
    page.get_by_role("button", name="Register and send me a code").click()
    expect(page.get_by_role("heading", name="There is a problem")).to_be_visible()
    assert_accessible(page)

    fill_in_the_form(page)
    page.get_by_role("button", name="Register and send me a code").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your email")
    assert_accessible(page)

    page.get_by_label("Code from the email").fill(sent_code())
    page.get_by_role("button", name="Confirm my registration").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("You are registered")
    assert_accessible(page)

    registration = Registration.objects.get()
    page.goto(f"{url}/webinars/cancel/{registration.cancel_token}/")
    expect(page.get_by_role("button", name="Cancel my place")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name="Cancel my place").click()
    expect(page.locator("main")).to_contain_text("Your registration is cancelled")
    assert_accessible(page)
    widths = page.evaluate(
        "() => ({scroll: document.scrollingElement.scrollWidth, window: window.innerWidth})"
    )
    assert widths["scroll"] <= widths["window"], widths


def test_registration_with_the_keyboard_alone(registration_site, open_page):
    url, webinar = registration_site
    page = open_page(DESKTOP, javascript=True)
    page.goto(f"{url}/webinars/{webinar.slug}/register/")
    tab_to(page, page.get_by_label("First name"))
    page.keyboard.type("Inês")
    for label, text in (
        ("Last name", "Costa"),
        ("Email address", "ines.costa@example.eu"),
        ("Profession", "Nurse"),
    ):
        page.keyboard.press("Tab")
        expect(page.get_by_label(label)).to_be_focused()
        page.keyboard.type(text)
    page.keyboard.press("Tab")
    expect(page.get_by_label("Country where you work")).to_be_focused()
    page.keyboard.type("Portugal")
    page.keyboard.press("Tab")  # the privacy statement's link
    page.keyboard.press("Tab")
    consent = page.get_by_label("I have read the privacy statement")
    expect(consent).to_be_focused()
    page.keyboard.press("Space")
    expect(consent).to_be_checked()
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Register and send me a code")).to_be_focused()
    page.keyboard.press("Enter")

    expect(page.get_by_role("heading", level=1)).to_have_text("Check your email")
    registration = Registration.objects.get()
    assert registration.country.code == "PT"
    tab_to(page, page.get_by_label("Code from the email"))
    page.keyboard.type(sent_code())
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("You are registered")
    registration.refresh_from_db()
    assert registration.status == Registration.Status.CONFIRMED
    assert registrations.cancel_url(registration) in mail.outbox[-1].body
