"""The header in headless Chromium: axe finds no WCAG 2.1 A/AA violation on the home page signed
out and signed in, at 1280 and 320 px; nothing scrolls sideways at 320 px; Sign out is a button
that the keyboard reaches and that signs out."""

import pytest
from axe_playwright_python.sync_playwright import Axe

from home.models import HomePageCallToAction

from ..conftest import publish
from .conftest import DESKTOP, NARROW, WCAG_TAGS
from .test_public_pages import axe_report

pytestmark = pytest.mark.browser

VIEWPORTS = {"desktop": DESKTOP, "320px": NARROW}


@pytest.fixture
def home(directory_site, home_page):
    home_page.calls_to_action.add(HomePageCallToAction(label="Enrol", link_url="/enrol/"))
    publish(home_page)
    return directory_site


@pytest.fixture
def visit(home, open_page, signed_in_page, make_clinician):
    def go(who, viewport):
        # JavaScript on: axe-core runs as JavaScript (the site itself needs none).
        if who == "signed in":
            clinician = make_clinician("Lena", "Vogel", "lena@charite.example.eu")
            page = signed_in_page(clinician.user, viewport, javascript=True)
        else:
            page = open_page(viewport, javascript=True)
        page.goto(home + "/")
        return page

    return go


@pytest.mark.parametrize("viewport", VIEWPORTS)
@pytest.mark.parametrize("who", ["signed out", "signed in"])
def test_home_page_header_passes_axe(visit, who, viewport):
    page = visit(who, VIEWPORTS[viewport])
    header = page.locator("header.site-header")
    if who == "signed in":
        assert header.get_by_role("link", name="My account").is_visible()
        assert header.get_by_role("button", name="Sign out").is_visible()
        assert header.get_by_role("link", name="Directory").is_visible()
    else:
        assert header.get_by_role("link", name="Sign in").is_visible()
    assert header.get_by_role("link", name="Hospitals").is_visible()

    options = {"runOnly": {"type": "tag", "values": WCAG_TAGS}, "resultTypes": ["violations"]}
    results = Axe().run(page, options=options)
    assert results.response["testEngine"]["name"] == "axe-core"
    assert results.violations_count == 0, axe_report(results)

    widths = page.evaluate(
        "() => ({scroll: document.scrollingElement.scrollWidth, window: window.innerWidth})"
    )
    assert widths["scroll"] <= widths["window"], widths


def test_sign_out_with_the_keyboard(visit):
    page = visit("signed in", DESKTOP)
    button = page.locator("header").get_by_role("button", name="Sign out")
    for _ in range(30):
        page.keyboard.press("Tab")
        if button.evaluate("el => el === document.activeElement"):
            break
    else:
        pytest.fail("Tab never reached the Sign out button")
    outline = button.evaluate("el => getComputedStyle(el).outlineStyle")
    assert outline != "none"  # a visible focus indicator
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.locator("header").get_by_role("link", name="Sign in").is_visible()
