"""The webinar catalogue and a webinar page in headless Chromium: no axe-core (WCAG 2.1 A and AA)
violation at desktop and phone widths, no sideways scrolling at 320 px, the filter form works
without JavaScript, and with it the times also show in the visitor's own zone."""

import datetime

import pytest
from playwright.sync_api import expect

from events.models import Topic, WebinarIndexPage, WebinarPage, WebinarSpeaker

from ..conftest import publish
from .conftest import CHROMIUM_ARGS, DESKTOP, NARROW  # noqa: F401
from .test_public_pages import axe_report, run_axe

pytestmark = pytest.mark.browser

VIEWPORTS = {"desktop": DESKTOP, "320px": NARROW}
START = datetime.datetime(2031, 6, 3, 12, 0, tzinfo=datetime.UTC)


@pytest.fixture
def catalogue_site(live_server, home_page):
    catalogue = WebinarIndexPage(
        title="Webinars", slug="webinars", introduction="<p>Learn from hard cases.</p>"
    )
    home_page.add_child(instance=catalogue)
    publish(catalogue)
    lungs = Topic.objects.create(name="Lungs", slug="lungs")
    heart = Topic.objects.create(name="Heart", slug="heart")
    specs = [
        ("Ventilation weaning", 0, "en", [lungs], {}),
        ("Cardiac arrest after COVID-19", 7, "fr", [heart], {"state": "cancelled"}),
        (
            "Lessons from the first wave",
            -4000,
            "en",
            [lungs, heart],
            {
                "state": "held",
                "speaker_consents_to_recording": True,
                "recorded": True,
                "recording_public": True,
                "recording_url": "https://rec.example.org/first-wave",
            },
        ),
    ]
    for title, days, language, topics, fields in specs:
        start = START + datetime.timedelta(days=days)
        page = WebinarPage(
            title=title,
            slug=title.lower().replace(" ", "-").replace(",", ""),
            summary=f"A session on {title.lower()}.",
            start=start,
            end=start + datetime.timedelta(minutes=90),
            time_zone="Europe/Madrid",
            language=language,
            capacity=40,
            body=[{"type": "paragraph", "value": "<p>Cases, then questions.</p>"}],
            **fields,
        )
        page.speakers.add(WebinarSpeaker(name="Dr Elena Ruiz", affiliation="Hospital La Paz"))
        page.topics = topics
        catalogue.add_child(instance=page)
        publish(page)
    return live_server.url


PAGES = {
    "home": ("/", "Welcome to CMSS"),  # with its list of upcoming webinars
    "catalogue": ("/webinars/", "Webinars"),
    "webinar": ("/webinars/ventilation-weaning/", "Ventilation weaning"),
    "cancelled": ("/webinars/cardiac-arrest-after-covid-19/", "Cardiac arrest after COVID-19"),
}


@pytest.mark.parametrize("viewport", VIEWPORTS, ids=list(VIEWPORTS))
@pytest.mark.parametrize("name", PAGES)
def test_axe_finds_no_violations(catalogue_site, open_page, name, viewport):
    path, heading = PAGES[name]
    page = open_page(VIEWPORTS[viewport], javascript=True)
    page.goto(catalogue_site + path)
    expect(page.get_by_role("heading", level=1)).to_have_text(heading)
    if name == "home":
        expect(page.locator("main")).to_contain_text("Ventilation weaning")

    results = run_axe(page)

    assert results.response["testEngine"]["name"] == "axe-core"
    assert results.violations_count == 0, axe_report(results)


@pytest.mark.parametrize("name", PAGES)
def test_no_horizontal_scrolling_at_320px(catalogue_site, open_page, name):
    page = open_page(NARROW)
    page.goto(catalogue_site + PAGES[name][0])
    widths = page.evaluate(
        "() => ({scroll: document.scrollingElement.scrollWidth, window: window.innerWidth})"
    )
    assert widths["scroll"] <= widths["window"], widths


def test_filter_form_works_without_javascript_and_by_keyboard(catalogue_site, open_page):
    page = open_page(DESKTOP, javascript=False)
    page.goto(catalogue_site + "/webinars/")
    page.get_by_label("Topic").select_option("heart")
    page.get_by_label("Language").focus()
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Show webinars")).to_be_focused()
    page.keyboard.press("Enter")
    page.wait_for_url("**/webinars/?topic=heart&language=")
    main = page.locator("main")
    expect(main).to_contain_text("2 webinars on Heart")
    expect(main).to_contain_text("Cardiac arrest after COVID-19")
    expect(main).not_to_contain_text("Ventilation weaning")
    expect(page.get_by_role("link", name="Watch the recording")).to_have_attribute(
        "href", "https://rec.example.org/first-wave"
    )


def test_times_in_the_visitors_zone_with_javascript(catalogue_site, browser):
    context = browser.new_context(viewport=DESKTOP, timezone_id="America/New_York")
    try:
        page = context.new_page()
        page.goto(catalogue_site + PAGES["webinar"][0])
        main = page.locator("main")
        # 12:00 UTC: 14:00 in Madrid (the webinar's zone), 08:00 in New York.
        expect(main).to_contain_text("Tuesday 3 June 2031, 14:00")
        visitor = page.locator("[data-visitor-time]")
        expect(visitor).to_be_visible()
        expect(visitor).to_contain_text("In your time zone (America/New_York)")
        expect(visitor).to_contain_text("Tuesday 3 June 2031, 08:00")
        expect(visitor).to_contain_text("09:30")
    finally:
        context.close()


def test_without_javascript_the_visitor_line_stays_hidden(catalogue_site, open_page):
    page = open_page(DESKTOP, javascript=False)
    page.goto(catalogue_site + PAGES["webinar"][0])
    expect(page.locator("[data-visitor-time]")).to_be_hidden()
    expect(page.locator("main")).to_contain_text("(Europe/Madrid)")
