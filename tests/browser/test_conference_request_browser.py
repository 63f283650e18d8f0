"""The case conference request in headless Chromium (issue 11, point 7): no axe-core (WCAG 2.1 A
and AA) violation on the form (empty, and with errors) and on the participants' view of
/account/ at 1280, 375 and 320 px; and a request made with the keyboard alone, the invitee
chosen with the picker (a combobox) by keyboard."""

import datetime
import zoneinfo

import pytest
from playwright.sync_api import expect

from directory.models import Clinician
from events.models import ConferenceRequest, WebexBooking
from events.services import conference_requests as service

from .conftest import DESKTOP, NARROW
from .test_directory_pages import focused, tab_to
from .test_public_pages import axe_report, run_axe

pytestmark = pytest.mark.browser

PHONE = {"width": 375, "height": 740}
VIEWPORTS = {"desktop": DESKTOP, "375px": PHONE, "320px": NARROW}
BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")
JOIN = "https://webex.example/join/conference"


@pytest.fixture
def people(directory_site, make_clinician):
    requester = make_clinician(
        "Rosa", "Requester", "rosa@charite.example.eu", time_zone="Europe/Berlin"
    )
    colleague = make_clinician("Émile", "Dubois", "emile@erasme.example.eu", hospital="erasme")
    contact = make_clinician(
        "Sara",
        "Lind",
        "sara@karolinska.example.eu",
        hospital="karolinska",
        role=Clinician.Role.CONTACT_PERSON,
    )
    return {"requester": requester, "colleague": colleague, "contact": contact}


def a_request(people, booked=True):
    day = datetime.date.today() + datetime.timedelta(days=10)
    start = datetime.datetime.combine(day, datetime.time(15, 0), tzinfo=BERLIN)
    conference = service.submit_request(
        people["requester"],
        {
            "people": [people["colleague"].pk],
            "hospitals": [people["contact"].hospital_id],
            "slots": [start, start + datetime.timedelta(days=1)],
            "time_zone": "Europe/Berlin",
            "duration_minutes": 45,
            "language": "en",
            "urgency": "routine",
            "clinical_question": "Woman, 61 years, fever on day 3 of admission.",
            "submission_key": None,
        },
    )
    if booked:
        slot = conference.slots.first()
        conference.booking = WebexBooking.objects.create(
            title="Case conference",
            start=slot.start,
            end=slot.end,
            status=WebexBooking.Status.BOOKED,
            web_link=JOIN,
        )
        conference.chosen_slot = slot
        conference.status = ConferenceRequest.Status.SCHEDULED
        conference.save()
    return conference


def open_form(signed_in_page, people, base, viewport=DESKTOP, javascript=True):
    page = signed_in_page(people["requester"].user, viewport, javascript)
    page.goto(base + "/conferences/request/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Request a case conference")
    return page


def assert_accessible(page):
    results = run_axe(page)
    assert results.violations_count == 0, axe_report(results)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_the_empty_form_passes_axe(signed_in_page, people, directory_site, viewport):
    page = open_form(signed_in_page, people, directory_site, VIEWPORTS[viewport])
    assert_accessible(page)


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_the_form_with_errors_passes_axe(signed_in_page, people, directory_site, viewport):
    page = open_form(signed_in_page, people, directory_site, VIEWPORTS[viewport])
    page.fill("#id_slot_1_date", "2001-01-01")
    page.fill("#id_slot_1_time", "10:00")
    page.fill("#id_clinical_question", "Patient John Smith, born 12/03/1961.")
    page.get_by_role("button", name="Send the request", exact=True).last.click()
    expect(page.locator(".error-summary")).to_be_visible()
    expect(page.locator("#id_people_error")).to_contain_text("at least one")
    expect(page.locator("#id_slot_1_date_error")).to_contain_text("past")
    expect(page.locator("#id_clinical_question_error")).to_contain_text("John Smith")
    assert_accessible(page)


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_the_account_view_passes_axe(signed_in_page, people, directory_site, viewport):
    a_request(people)
    page = signed_in_page(people["colleague"].user, VIEWPORTS[viewport], True)
    page.goto(directory_site + "/account/")
    section = page.locator("section", has=page.locator("#conferences-heading"))
    expect(section.get_by_role("link", name="Join case conference")).to_have_attribute("href", JOIN)
    assert_accessible(page)


def test_a_request_with_the_keyboard_alone(signed_in_page, people, directory_site):
    page = open_form(signed_in_page, people, directory_site)
    keyboard = page.keyboard
    # The picker: type, the list opens; the arrow key and Enter choose.
    tab_to(page, "id_invitee_query")
    keyboard.type("dubois")
    expect(page.locator("#invitee-listbox [role=option]").first).to_have_text(
        "Émile Dubois, Hôpital Erasme (Belgium)"
    )
    keyboard.press("ArrowDown")
    assert page.locator("#id_invitee_query").get_attribute("aria-activedescendant")
    keyboard.press("Enter")
    chosen = page.locator(f"#chosen-person-{people['colleague'].pk}")
    expect(chosen).to_be_checked()
    assert focused(page)["id"] == "id_invitee_query"
    # A hospital too, meaning its contact persons: listed after the people who work there.
    keyboard.type("karolinska")
    expect(page.locator("#invitee-listbox [role=option]").last).to_have_text(
        "Karolinska University Hospital, Stockholm (Sweden): its contact persons"
    )
    for _ in range(page.locator("#invitee-listbox [role=option]").count()):
        keyboard.press("ArrowDown")
    keyboard.press("Enter")
    expect(page.locator(f"#chosen-hospital-{people['contact'].hospital_id}")).to_be_checked()

    # A slot: the date and time inputs take typed digits (en-US: month, day, year; 12-hour).
    day = datetime.date.today() + datetime.timedelta(days=7)
    tab_to(page, "id_slot_1_date")
    keyboard.type(day.strftime("%m%d%Y"))
    tab_to(page, "id_slot_1_time")
    keyboard.type("0930AM")
    assert page.input_value("#id_slot_1_date") == day.isoformat()
    assert page.input_value("#id_slot_1_time") == "09:30"
    tab_to(page, "id_clinical_question")
    keyboard.type("Man, 47 years, ARDS on day 6 of admission; prone positioning?")
    # To the send button, and Enter.
    passed = 0
    while page.evaluate("document.activeElement.textContent.trim()") != "Send the request":
        keyboard.press("Tab")
        passed += 1
        assert passed < 10, focused(page)
    keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Your request has been sent")

    conference = ConferenceRequest.objects.get()
    assert conference.requester == people["requester"]
    assert {i.clinician for i in conference.invitees.all()} == {
        people["colleague"],
        people["contact"],
    }
    start = conference.slots.get().start.astimezone(BERLIN)
    assert (start.date(), start.hour, start.minute) == (day, 9, 30)
