"""The case-conference poll page in headless Chromium (issue 11, point 7): no axe-core (WCAG 2.1
A and AA) violation at desktop and phone widths, with and without errors; no sideways
scrolling at 320 px; and the poll done with the keyboard alone, without JavaScript."""

import datetime
import zoneinfo

import pytest
from playwright.sync_api import expect

from directory.models import Clinician, Country, Hospital
from events.models import ConferenceInvitee, ConferenceRequest, ConferenceSlot, SlotAnswer

from .conftest import DESKTOP, NARROW
from .test_public_pages import axe_report, run_axe

pytestmark = pytest.mark.browser

PHONE = {"width": 375, "height": 720}
VIEWPORTS = {"desktop": DESKTOP, "375px": PHONE, "320px": NARROW}
BRUSSELS = zoneinfo.ZoneInfo("Europe/Brussels")


@pytest.fixture
def poll_site(live_server, home_page, countries):
    """A request with two slots and an invitee in Helsinki; returns the poll's URL."""

    def clinician(first, email, code):
        hospital = Hospital.objects.create(
            name=f"Hospital {first}", city=first, country=Country.objects.get(code=code)
        )
        return Clinician.objects.create(
            first_name=first,
            last_name="Example",
            email=email,
            hospital=hospital,
            status=Clinician.Status.APPROVED,
        )

    requester = clinician("Rea", "rea@example.eu", "BE")
    invited = clinician("Helmi", "helmi@example.eu", "FI")
    conference = ConferenceRequest.objects.create(
        requester=requester,
        requester_country=requester.hospital.country,
        clinical_question="Man, 54, fever for 3 weeks after travel; cultures negative.",
        time_zone="Europe/Brussels",
        status=ConferenceRequest.Status.POLLING,
    )
    day = datetime.date.today() + datetime.timedelta(days=14)
    for hour in (10, 15):
        ConferenceSlot.objects.create(
            request=conference, start=datetime.datetime.combine(day, datetime.time(hour), BRUSSELS)
        )
    invitee = ConferenceInvitee.objects.create(
        request=conference, clinician=invited, country=invited.hospital.country
    )
    return f"{live_server.url}/conferences/poll/{invitee.poll_token}/"


@pytest.mark.parametrize("viewport", VIEWPORTS, ids=list(VIEWPORTS))
def test_axe_finds_no_violations_on_the_poll(poll_site, open_page, viewport):
    page = open_page(VIEWPORTS[viewport], javascript=True)
    page.goto(poll_site)
    expect(page.get_by_role("heading", level=1)).to_have_text("Which times suit you?")
    results = run_axe(page)
    assert results.response["testEngine"]["name"] == "axe-core"
    assert results.violations_count == 0, axe_report(results)

    # With the errors of an empty answer shown.
    page.get_by_role("button", name="Save my answers").click()
    expect(page.get_by_role("alert")).to_contain_text("There is a problem")
    results = run_axe(page)
    assert results.violations_count == 0, axe_report(results)


def test_no_horizontal_scrolling_at_320px(poll_site, open_page):
    page = open_page(NARROW)
    page.goto(poll_site)
    widths = page.evaluate(
        "() => ({scroll: document.scrollingElement.scrollWidth, window: window.innerWidth})"
    )
    assert widths["scroll"] <= widths["window"], widths


def test_the_poll_is_done_with_the_keyboard_alone(poll_site, open_page):
    page = open_page(DESKTOP, javascript=False)
    page.goto(poll_site)
    # The slots in Helsinki's time: 10:00 and 15:00 in Brussels are 11:00 and 16:00 there.
    expect(page.locator("main")).to_contain_text("Europe/Helsinki")
    groups = page.get_by_role("group")
    expect(groups).to_have_count(2)
    expect(groups.nth(0)).to_contain_text("11:00–12:00")

    for _ in range(60):  # from the top of the page to the first radio button, by Tab
        page.keyboard.press("Tab")
        if page.evaluate("() => document.activeElement.type") == "radio":
            break
    first_group = groups.nth(0)
    expect(first_group.get_by_role("radio", name="Yes")).to_be_focused()
    page.keyboard.press("Space")  # yes for the first slot
    page.keyboard.press("Tab")  # one stop per group: the second slot's first choice
    second_group = groups.nth(1)
    expect(second_group.get_by_role("radio", name="Yes")).to_be_focused()
    page.keyboard.press("ArrowDown")  # "If need be", chosen by moving to it
    expect(second_group.get_by_role("radio", name="If need be")).to_be_checked()
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Save my answers")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_contain_text("your answers are saved")
    assert list(SlotAnswer.objects.order_by("slot__start").values_list("answer", flat=True)) == [
        "yes",
        "maybe",
    ]
