"""The hospital combobox of /enrol/ (WAI-ARIA 1.2 combobox, list autocomplete) by keyboard alone
and under axe-core at 1280 and 320 px, and the same form without JavaScript in two steps."""

import re

import pytest
from playwright.sync_api import expect

from directory.models import Clinician, Hospital

from .conftest import DESKTOP, NARROW
from .test_directory_pages import focused, next_field, tab_to
from .test_public_pages import axe_report, run_axe

pytestmark = pytest.mark.browser

VIEWPORTS = {"desktop": DESKTOP, "320px": NARROW}


@pytest.fixture
def belgian_hospitals(hospitals, countries):
    """Enough Belgian hospitals for a list: 24 in Liège (more than the 20 the combobox shows)."""
    Hospital.objects.bulk_create(
        Hospital(
            name=f"Clinique Saint-Joseph {n:02}",
            city="Liège",
            country=countries["BE"],
            match_name=f"clinique saint-joseph {n:02}",
            match_city="liège",
            search_text=f"clinique saint-joseph {n:02} liege belgium be",
        )
        for n in range(24)
    )
    return hospitals


def combobox_state(page):
    return page.evaluate(
        """() => {
            const input = document.getElementById("id_hospital_query");
            const active = input.getAttribute("aria-activedescendant");
            const option = active && document.getElementById(active);
            return {
                role: input.getAttribute("role"),
                expanded: input.getAttribute("aria-expanded"),
                controls: input.getAttribute("aria-controls"),
                autocomplete: input.getAttribute("aria-autocomplete"),
                active: option ? option.textContent : null,
                activeSelected: option ? option.getAttribute("aria-selected") : null,
                activeInListbox: option ? option.closest("[role=listbox]")?.id : null,
                value: input.value,
            };
        }"""
    )


def open_enrolment(page, base):
    page.goto(base + "/enrol/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Enrol as a clinician")


@pytest.mark.parametrize("viewport", VIEWPORTS, ids=list(VIEWPORTS))
def test_combobox_with_the_keyboard_alone(
    directory_site, open_page, belgian_hospitals, privacy_page, viewport
):
    page = open_page(VIEWPORTS[viewport], javascript=True)
    open_enrolment(page, directory_site)
    keyboard = page.keyboard
    # Without JavaScript's need for it, the Find button is out of the way.
    expect(page.get_by_role("button", name="Find my hospital")).to_be_hidden()

    tab_to(page, "id_first_name")
    keyboard.type("Sofie")
    next_field(page, "id_last_name")
    keyboard.type("Peeters")
    next_field(page, "id_email")
    keyboard.type("sofie.peeters@erasme.example.eu")
    next_field(page, "id_phone")
    keyboard.type("02 555 01 01")  # Belgian, without +32
    next_field(page, "id_specialty")
    keyboard.type("Haematology")
    next_field(page, "id_languages")
    next_field(page, "id_country")
    keyboard.type("Belg")
    assert focused(page)["value"] == "BE"
    next_field(page, "id_hospital_query")

    state = combobox_state(page)
    assert state["role"] == "combobox" and state["expanded"] == "false", state
    assert state["autocomplete"] == "list" and state["controls"] == "hospital-listbox", state
    listbox = page.locator("#hospital-listbox")
    assert listbox.get_attribute("role") == "listbox"

    # Typing searches (accents and capitals aside); a live region says how many were found.
    keyboard.type("LIEGE")
    status = page.get_by_role("status").filter(has_text="hospitals found")
    expect(status).to_have_text(
        "24 hospitals found; the first 20 are shown. Type more of the name or the city to "
        "narrow the list."
    )
    expect(listbox).to_be_visible()
    expect(listbox.get_by_role("option")).to_have_count(20)
    assert combobox_state(page)["expanded"] == "true"

    # The arrow keys move through the options while focus stays in the box.
    keyboard.press("ArrowDown")
    state = combobox_state(page)
    assert state["active"] == "Clinique Saint-Joseph 00, Liège", state
    assert state["activeSelected"] == "true" and state["activeInListbox"] == "hospital-listbox"
    keyboard.press("ArrowDown")
    assert combobox_state(page)["active"] == "Clinique Saint-Joseph 01, Liège"
    keyboard.press("ArrowUp")
    assert combobox_state(page)["active"] == "Clinique Saint-Joseph 00, Liège"
    assert focused(page)["id"] == "id_hospital_query"

    # Escape closes the list and keeps what was typed.
    keyboard.press("Escape")
    state = combobox_state(page)
    assert (state["expanded"], state["active"], state["value"]) == ("false", None, "LIEGE")
    expect(listbox).to_be_hidden()

    # Another search; Enter chooses the active option (and does not send the form).
    keyboard.press("Control+A")
    keyboard.type("erasme brus")
    expect(page.get_by_role("status").filter(has_text="found")).to_have_text("1 hospital found.")
    keyboard.press("ArrowDown")
    keyboard.press("Enter")
    state = combobox_state(page)
    assert (state["expanded"], state["value"]) == ("false", "Hôpital Erasme, Brussels"), state
    expect(page).to_have_url(directory_site + "/enrol/")
    chosen = page.get_by_role("radio", name="Hôpital Erasme, Brussels")
    expect(chosen).to_be_checked()
    expect(page.get_by_role("status").filter(has_text="chose")).to_have_text(
        "You chose Hôpital Erasme, Brussels."
    )

    # On through the rest of the form.
    tab_to(page, "id_role_0")
    keyboard.press("ArrowDown")
    assert focused(page)["id"] == "id_role_1"
    tab_to(page, "id_consent")
    keyboard.press("Space")
    keyboard.press("Tab")
    assert focused(page)["tag"] == "button"
    keyboard.press("Enter")

    expect(page.get_by_role("heading", level=1)).to_have_text("Check your inbox")
    clinician = Clinician.objects.get(email="sofie.peeters@erasme.example.eu")
    assert clinician.hospital == belgian_hospitals["erasme"]
    assert clinician.phone == "+3225550101"


@pytest.mark.parametrize("viewport", VIEWPORTS, ids=list(VIEWPORTS))
@pytest.mark.parametrize("state", ["open", "chosen", "nothing_found"])
def test_axe_finds_no_violation_in_the_combobox(
    directory_site, open_page, belgian_hospitals, privacy_page, viewport, state
):
    page = open_page(VIEWPORTS[viewport], javascript=True)
    open_enrolment(page, directory_site)
    page.get_by_label("Country of your hospital").select_option("BE")
    search = page.get_by_label("Name or city of your hospital")
    search.click()
    if state == "nothing_found":
        search.press_sequentially("zzzz")
        expect(page.get_by_role("status").filter(has_text="No hospital found")).to_be_visible()
    else:
        search.press_sequentially("clinique")
        expect(page.locator("#hospital-listbox").get_by_role("option").first).to_be_visible()
        search.press("ArrowDown")
        if state == "chosen":
            search.press("Enter")
            expect(page.get_by_role("radio", checked=True)).to_have_count(1)

    results = run_axe(page)

    assert results.violations_count == 0, axe_report(results)
    widths = page.evaluate(
        "() => ({scroll: document.scrollingElement.scrollWidth, window: window.innerWidth})"
    )
    assert widths["scroll"] <= widths["window"], widths


def test_without_javascript_in_two_steps(
    directory_site, open_page, belgian_hospitals, privacy_page
):
    page = open_page(NARROW, javascript=False)
    open_enrolment(page, directory_site)
    assert page.get_by_label("Name or city of your hospital").get_attribute("role") is None

    page.get_by_label("First name").fill("Sofie")
    page.get_by_label("Last name").fill("Peeters")
    page.get_by_label("Work email address").fill("sofie.peeters@erasme.example.eu")
    page.get_by_label("Specialty").fill("Haematology")
    page.get_by_label("Case manager").check()
    page.get_by_label("I have read the privacy statement").check()
    page.get_by_label("Country of your hospital").select_option(label="Belgium")

    # Nothing matches: says so, and how to search again.
    page.get_by_label("Name or city of your hospital").fill("Nowhere General")
    page.get_by_role("button", name="Find my hospital").click()
    expect(page).to_have_url(re.compile(r"#hospital-results$"))
    expect(page.locator("#id_hospital_helptext")).to_contain_text(
        "No hospital in Belgium matches “Nowhere General”"
    )
    page.get_by_role("link", name="search again").click()
    assert focused(page)["id"] == "id_hospital_query"

    # Found: radio buttons, everything typed still there.
    page.get_by_label("Name or city of your hospital").fill("hopital erasme")
    page.get_by_role("button", name="Find my hospital").click()
    expect(page.get_by_role("radio", name="Hôpital Erasme, Brussels")).to_be_visible()
    expect(page.get_by_label("First name")).to_have_value("Sofie")
    expect(page.get_by_label("Case manager")).to_be_checked()
    expect(page.get_by_label("I have read the privacy statement")).to_be_checked()

    # Enrol without choosing: the error names the list and says what to do.
    page.get_by_role("button", name="Enrol", exact=True).click()
    summary = page.locator(".error-summary")
    expect(summary.get_by_role("link")).to_have_text(
        [re.compile(r"^Your hospital: Choose your hospital from the hospitals found")]
    )
    summary.get_by_role("link").click()
    assert focused(page)["id"] == "id_hospital"

    page.get_by_role("radio", name="Hôpital Erasme, Brussels").check()
    page.get_by_role("button", name="Enrol", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your inbox")
    clinician = Clinician.objects.get(email="sofie.peeters@erasme.example.eu")
    assert clinician.hospital == belgian_hospitals["erasme"]
