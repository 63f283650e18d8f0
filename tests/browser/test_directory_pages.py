"""Enrolment, sign-in, the hospital list, the directory and the account pages in headless
Chromium: accessible (axe-core, WCAG 2.1 A and AA) at 1280 and 320 px, without horizontal
scrolling at 320 px, and enrolment done with the keyboard alone and without JavaScript.
"""

import re

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from playwright.sync_api import expect

from directory.models import Clinician

from .conftest import DESKTOP, NARROW
from .test_public_pages import axe_report, run_axe

pytestmark = pytest.mark.browser

VIEWPORTS = {"desktop": DESKTOP, "320px": NARROW}
EMAIL = "lena.vogel@charite.example.eu"


def login_code(message):
    return re.search(r"^\s*([A-Z0-9]{4}-[A-Z0-9]{4})\s*$", message.body, re.M).group(1)


@pytest.fixture
def members(make_clinician):
    """An approved clinician who signs in, two colleagues in the directory, one not approved."""
    lena = make_clinician(
        "Lena",
        "Vogel",
        EMAIL,
        specialty="Infectious diseases",
        phone="+49 30 450 50",
        languages="German, English",
    )
    make_clinician(
        "Marc",
        "Dubois",
        "marc.dubois@erasme.example.eu",
        hospital="erasme",
        user=False,
        role=Clinician.Role.CONTACT_PERSON,
        specialty="Paediatric nephrology",
        languages="French, Dutch",
    )
    make_clinician(
        "Astrid",
        "Lindqvist",
        "astrid.lindqvist@karolinska.example.eu",
        hospital="karolinska",
        user=False,
        specialty="Rare anaemias",
    )
    make_clinician(
        "Paul",
        "Waiting",
        "paul.waiting@charite.example.eu",
        user=False,
        status=Clinician.Status.AWAITING,
    )
    return lena


def many_members(hospital, count=30):
    """Enough approved clinicians at one hospital for the directory to show two pages."""
    Clinician.objects.bulk_create(
        Clinician(
            first_name=f"Member{n:02}",
            last_name="Example",
            email=f"member{n:02}@charite.example.eu",
            hospital=hospital,
            status=Clinician.Status.APPROVED,
        )
        for n in range(count)
    )


# --- How to reach each page in the state it is checked in. Each returns the h1 it must show.


def enrol(page, base):
    page.goto(base + "/enrol/")
    return "Enrol as a clinician"


def enrol_with_errors(page, base):
    enrol(page, base)
    page.get_by_role("button", name="Enrol").click()
    expect(page.locator(".error-summary")).to_be_visible()
    return "Enrol as a clinician"


def fill_enrolment(page, email="new.member@erasme.example.eu"):
    page.get_by_label("First name").fill("Sofie")
    page.get_by_label("Last name").fill("Peeters")
    page.get_by_label("Work email address").fill(email)
    page.get_by_label("Specialty").fill("Haematology")
    page.get_by_label("Country of your hospital").select_option(label="Belgium")
    search = page.get_by_label("Name or city of your hospital")
    search.fill("erasme")
    if search.get_attribute("role") == "combobox":  # with JavaScript
        page.get_by_role("option", name="Hôpital Erasme, Brussels").click()
    else:
        page.get_by_role("button", name="Find my hospital").click()
    page.get_by_label("Hôpital Erasme, Brussels").check()
    page.get_by_label("Case manager").check()
    page.get_by_label("I have read the privacy statement").check()


def check_inbox(page, base):
    enrol(page, base)
    fill_enrolment(page)
    page.get_by_role("button", name="Enrol").click()
    return "Check your inbox"


def sign_in(page, base):
    page.goto(base + "/accounts/login/")
    return "Sign in"


def request_code(page, base):
    page.goto(base + "/accounts/login/code/")
    return "Send me a sign-in code"


def enter_code(page, base):
    request_code(page, base)
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_role("button", name="Request Code").click()
    expect(page).to_have_url(re.compile(r"/accounts/login/code/confirm/"))
    return "Enter Sign-In Code"


def wrong_code(page, base):
    enter_code(page, base)
    page.get_by_label("Code").fill("AAAA-AAAA")
    page.get_by_role("button", name="Confirm").click()
    expect(page.locator("#id_code_error")).to_be_visible()
    return "Enter Sign-In Code"


def hospitals(page, base):
    page.goto(base + "/hospitals/")
    return "Hospitals taking part"


def directory(page, base):
    page.goto(base + "/directory/")
    expect(page.locator(".person")).to_have_count(3)
    return "Directory"


def directory_found(page, base):
    page.goto(base + "/directory/?q=nephrology")
    expect(page.locator(".person")).to_have_count(1)
    return "Directory"


def directory_none(page, base):
    page.goto(base + "/directory/?q=nobody+at+all&country=IT")
    expect(page.get_by_text("No clinician matches.")).to_be_visible()
    return "Directory"


def directory_paged(page, base):
    page.goto(base + "/directory/?country=DE&page=2")
    expect(page.get_by_role("navigation", name="Pages")).to_be_visible()
    return "Directory"


def not_approved(page, base):
    page.goto(base + "/directory/")
    return "The directory is for approved members"


def account(page, base):
    page.goto(base + "/account/")
    return "Your account"


def erase(page, base):
    page.goto(base + "/account/erase/")
    return "Erase your data"


def erase_unconfirmed(page, base):
    erase(page, base)
    page.get_by_role("button", name="Erase my data").click()
    expect(page.locator(".error-summary")).to_be_visible()
    return "Erase your data"


def erased(page, base):
    erase(page, base)
    page.get_by_label("I understand that my record").check()
    page.get_by_role("button", name="Erase my data").click()
    return "Your data has been erased"


PUBLIC = {
    "enrol": enrol,
    "enrol_errors": enrol_with_errors,
    "check_inbox": check_inbox,
    "sign_in": sign_in,
    "request_code": request_code,
    "enter_code": enter_code,
    "wrong_code": wrong_code,
    "hospitals": hospitals,
}
MEMBERS_ONLY = {
    "directory": directory,
    "directory_found": directory_found,
    "directory_none": directory_none,
    "directory_paged": directory_paged,
    "not_approved": not_approved,
    "account": account,
    "erase": erase,
    "erase_unconfirmed": erase_unconfirmed,
    "erased": erased,
}
PAGES = {**PUBLIC, **MEMBERS_ONLY}


@pytest.fixture
def reach(request, directory_site, members, open_page, signed_in_page):
    """reach(name, viewport, javascript) -> a page showing `name`, signed in if it must be."""

    def go(name, viewport=DESKTOP, javascript=False):
        if name == "directory_paged":
            many_members(request.getfixturevalue("hospitals")["charite"])
        if name == "not_approved":
            waiting = Clinician.objects.get(status=Clinician.Status.AWAITING)
            waiting.user = get_user_model().objects.create_user("paul", email=waiting.email)
            waiting.save()
            page = signed_in_page(waiting.user, viewport, javascript)
        elif name in MEMBERS_ONLY:
            page = signed_in_page(members.user, viewport, javascript)
        else:
            page = open_page(viewport, javascript)
        heading = PAGES[name](page, directory_site)
        expect(page.get_by_role("heading", level=1)).to_have_text(heading)
        return page

    return go


@pytest.mark.parametrize("viewport", VIEWPORTS, ids=list(VIEWPORTS))
@pytest.mark.parametrize("name", PAGES)
def test_axe_finds_no_wcag_a_or_aa_violations(reach, name, viewport):
    page = reach(name, VIEWPORTS[viewport], javascript=True)  # axe-core runs as JavaScript

    results = run_axe(page)

    assert results.response["testEngine"]["name"] == "axe-core"
    assert results.violations_count == 0, axe_report(results)


@pytest.mark.parametrize("name", PAGES)
def test_no_horizontal_scrolling_at_320px(reach, name):
    page = reach(name, NARROW)

    widths = page.evaluate(
        "() => ({scroll: document.scrollingElement.scrollWidth, window: window.innerWidth})"
    )

    assert widths["window"] == NARROW["width"]
    assert widths["scroll"] <= widths["window"], widths


# --- The keyboard alone, without JavaScript.


def focused(page):
    """What has focus: its id, name, type, href and whether it shows a focus indicator."""
    return page.evaluate(
        """() => {
            const el = document.activeElement;
            const style = getComputedStyle(el);
            const outline = style.outlineStyle !== "none" && parseFloat(style.outlineWidth) > 0;
            return {
                id: el.id,
                tag: el.tagName.toLowerCase(),
                href: el.getAttribute("href"),
                value: "value" in el ? el.value : null,
                checked: !!el.checked,
                visible: outline || style.boxShadow !== "none",
            };
        }"""
    )


def tab_to(page, element_id=None, href=None, key="Tab", limit=40):
    """Press Tab (or Shift+Tab) until the element with this id, or the link to this href, has
    focus; returns what got focus on the way (ids, or hrefs for links)."""
    passed = []
    for _ in range(limit):
        page.keyboard.press(key)
        now = focused(page)
        if (element_id and now["id"] == element_id) or (href and now["href"] == href):
            assert now["visible"], f"no visible focus indicator on {now}"
            return passed
        passed.append(now["id"] or now["href"] or now["tag"])
    raise AssertionError(f"{element_id or href} never got focus; the keyboard reached {passed}")


def next_field(page, expected_id, key="Tab"):
    page.keyboard.press(key)
    now = focused(page)
    assert now["id"] == expected_id, now
    assert now["visible"], f"no visible focus indicator on {now}"
    return now


def test_enrolment_with_the_keyboard_alone(directory_site, open_page, hospitals, privacy_page):
    page = open_page(DESKTOP, javascript=False)
    page.goto(directory_site + "/enrol/")
    keyboard = page.keyboard

    # Through the skip link and the header into the form, in the order the page reads.
    passed = tab_to(page, "id_first_name")
    assert passed[0] == "#main-content" and len(passed) <= 6, passed
    keyboard.type("Sofie")
    next_field(page, "id_last_name")
    keyboard.type("Peeters")
    next_field(page, "id_email")
    keyboard.type("sofie.peeters@charite.example.eu")
    next_field(page, "id_phone")
    keyboard.type("+49 30 450 51")
    # Back to check the address, then on again.
    assert next_field(page, "id_email", key="Shift+Tab")["value"] == (
        "sofie.peeters@charite.example.eu"
    )
    next_field(page, "id_phone")
    next_field(page, "id_specialty")
    keyboard.type("Haematology")
    next_field(page, "id_languages")
    keyboard.type("Dutch, English")

    # The country: a select, where typing the start of an option chooses it.
    next_field(page, "id_country")
    # (ASCII only: Playwright inserts other characters as text, into the last text field.)
    keyboard.type("Germ")
    assert focused(page)["value"] == "DE"
    next_field(page, "id_hospital_query")
    keyboard.type("charite berlin")  # without its accent
    keyboard.press("Tab")
    find = focused(page)
    assert find["tag"] == "button" and find["visible"], find
    keyboard.press("Enter")  # step 2: the same form again, with the hospitals found

    expect(page).to_have_url(re.compile(r"/enrol/#hospital-results$"))
    assert page.get_by_label("First name").input_value() == "Sofie"
    assert page.get_by_label("Languages for case conferences").input_value() == "Dutch, English"
    # On from the hospitals found: a link to search again, then the radio buttons.
    tab_to(page, "id_hospital_0")
    keyboard.press("Space")
    now = focused(page)
    assert now["checked"] and now["value"] == str(hospitals["charite"].pk), now

    # The proposed hospital's fields stay empty.
    next_field(page, "id_proposed_name")
    next_field(page, "id_proposed_city")

    # A radio group is one Tab stop; the arrow keys choose within it.
    next_field(page, "id_role_0")
    keyboard.press("ArrowDown")
    now = focused(page)
    assert (now["id"], now["checked"]) == ("id_role_1", True)

    keyboard.press("Tab")
    assert focused(page)["href"] == "/information-package/privacy-statement/"
    next_field(page, "id_consent")
    keyboard.press("Space")
    assert focused(page)["checked"] is True

    keyboard.press("Tab")
    button = focused(page)
    assert button["tag"] == "button" and button["visible"], button
    keyboard.press("Enter")

    expect(page.get_by_role("heading", level=1)).to_have_text("Check your inbox")
    expect(page.get_by_role("main")).to_contain_text("sofie.peeters@charite.example.eu")
    clinician = Clinician.objects.get(email="sofie.peeters@charite.example.eu")
    assert clinician.status == Clinician.Status.UNCONFIRMED
    assert clinician.privacy_version == privacy_page.version_label == "1.0"
    assert clinician.consented_at is not None
    assert (clinician.first_name, clinician.last_name) == ("Sofie", "Peeters")
    assert clinician.hospital == hospitals["charite"]
    assert clinician.role == Clinician.Role.CASE_MANAGER
    assert (clinician.phone, clinician.languages) == ("+493045051", "Dutch, English")
    assert mail.outbox[-1].to == ["sofie.peeters@charite.example.eu"]


def test_error_summary_links_take_the_keyboard_to_each_field(directory_site, open_page):
    page = open_page(DESKTOP, javascript=False)
    page.goto(directory_site + "/enrol/")
    tab_to(page, "id_first_name")
    page.keyboard.press("Enter")  # submits the empty form

    summary = page.locator(".error-summary")
    expect(summary).to_be_visible()
    expect(summary.get_by_role("heading", level=2)).to_have_text("There is a problem")
    assert page.title().startswith("Error: ")
    links = summary.get_by_role("link")
    expect(links).to_have_count(7)

    # The summary's first link is the first thing in main the keyboard reaches.
    passed = tab_to(page, href="#id_first_name")
    assert passed[0] == "#main-content" and len(passed) <= 6, passed
    page.keyboard.press("Enter")
    now = focused(page)
    assert now["id"] == "id_first_name" and now["visible"], now
    page.keyboard.type("Sofie")
    assert focused(page)["value"] == "Sofie"

    # Back into the summary: its last link goes to the consent checkbox.
    page.keyboard.press("Shift+Tab")
    assert focused(page)["href"] == "#id_consent"
    page.keyboard.press("Enter")
    now = focused(page)
    assert now["id"] == "id_consent" and now["visible"], now
    page.keyboard.press("Space")
    assert focused(page)["checked"] is True

    # The role's link goes to its group of radio buttons; Tab then reaches one of them (the
    # browser picks which while none is chosen) and an arrow key chooses.
    tab_to(page, href="#id_role", key="Shift+Tab")
    page.keyboard.press("Enter")
    now = focused(page)
    assert (now["id"], now["tag"]) == ("id_role", "fieldset") and now["visible"], now
    page.keyboard.press("Tab")
    assert focused(page)["id"].startswith("id_role_")
    page.keyboard.press("ArrowUp")
    now = focused(page)
    assert now["id"].startswith("id_role_") and now["checked"] and now["visible"], now

    # The hospital's link goes to the select of its country, where the search starts.
    tab_to(page, href="#id_country", key="Shift+Tab")
    page.keyboard.press("Enter")
    now = focused(page)
    assert (now["id"], now["tag"]) == ("id_country", "select") and now["visible"], now


def test_clinician_signs_in_with_the_emailed_code_and_sees_the_directory(
    directory_site, members, open_page
):
    page = open_page(NARROW)  # without JavaScript
    page.goto(directory_site + "/directory/?q=nephrology")
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next="))
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")

    page.get_by_label("Email").fill(EMAIL)
    page.get_by_role("button", name="Email me a sign-in code").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Enter Sign-In Code")
    assert mail.outbox[-1].to == [EMAIL]
    page.get_by_label("Code").fill(login_code(mail.outbox[-1]))
    page.get_by_role("button", name="Confirm").click()

    expect(page).to_have_url(directory_site + "/directory/?q=nephrology")
    expect(page.get_by_role("heading", level=1)).to_have_text("Directory")
    expect(page.locator(".person")).to_have_count(1)
    expect(page.get_by_role("link", name="marc.dubois@erasme.example.eu")).to_be_visible()
