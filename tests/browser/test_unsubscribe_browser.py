"""The mailing list's unsubscribe page in headless Chromium (issue 12, point 9): no axe-core
(WCAG 2.1 A and AA) violation at desktop and 320 px, before and after leaving, no sideways
scrolling at 320 px, and leaving then rejoining with the keyboard alone, without JavaScript."""

import pytest
from playwright.sync_api import expect

from directory import mailing_list
from directory.models import Clinician, Country, Hospital

from .conftest import DESKTOP, NARROW
from .test_public_pages import axe_report, run_axe

pytestmark = pytest.mark.browser

VIEWPORTS = {"desktop": DESKTOP, "320px": NARROW}


@pytest.fixture
def unsubscribe_url(live_server, home_page, countries):
    hospital = Hospital.objects.create(
        name="Hôpital Érasme", city="Brussels", country=Country.objects.get(code="BE")
    )
    clinician = Clinician.objects.create(
        first_name="Jan",
        last_name="Peeters",
        email="jan.peeters@example.eu",
        hospital=hospital,
        status=Clinician.Status.APPROVED,
    )
    token = mailing_list.unsubscribe_token(f"c:{clinician.pk}")
    return clinician, f"{live_server.url}/mailing-list/leave/{token}/"


@pytest.mark.parametrize("viewport", VIEWPORTS, ids=list(VIEWPORTS))
def test_axe_finds_no_violations_on_the_unsubscribe_page(unsubscribe_url, open_page, viewport):
    _clinician, url = unsubscribe_url
    page = open_page(VIEWPORTS[viewport], javascript=True)
    page.goto(url)
    expect(page.get_by_role("heading", level=1)).to_have_text("The network's mailing list")
    results = run_axe(page)
    assert results.response["testEngine"]["name"] == "axe-core"
    assert results.violations_count == 0, axe_report(results)
    page.get_by_role("button", name="Leave the mailing list").click()
    expect(page.get_by_role("status")).to_contain_text("has left the mailing list")
    results = run_axe(page)
    assert results.violations_count == 0, axe_report(results)
    widths = page.evaluate(
        "() => ({scroll: document.scrollingElement.scrollWidth, window: window.innerWidth})"
    )
    assert widths["scroll"] <= widths["window"], widths


def test_leave_and_rejoin_with_the_keyboard_alone(unsubscribe_url, open_page):
    clinician, url = unsubscribe_url
    page = open_page(DESKTOP, javascript=False)
    page.goto(url)
    for _ in range(60):
        page.keyboard.press("Tab")
        if page.evaluate("() => document.activeElement.textContent.trim()") == (
            "Leave the mailing list"
        ):
            break
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_contain_text("has left the mailing list")
    clinician.refresh_from_db()
    assert clinician.mailing_opt_out is True
    for _ in range(60):
        page.keyboard.press("Tab")
        if "keep me on the list" in page.evaluate("() => document.activeElement.textContent"):
            break
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_contain_text("is on the mailing list again")
    clinician.refresh_from_db()
    assert clinician.mailing_opt_out is False
