"""The public pages in headless Chromium: accessible (axe-core, WCAG 2.1 A and AA), usable from
320 px wide and by keyboard, one base layout with landmarks, and nothing from outside the site.
"""

from urllib.parse import urlsplit

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from .conftest import DESKTOP, NARROW, PUBLIC_PAGES, WCAG_TAGS

pytestmark = pytest.mark.browser

PAGE_NAMES = list(PUBLIC_PAGES)
VIEWPORTS = {"desktop": DESKTOP, "320px": NARROW}
SERVER_ERROR = ("/boom/", "Something went wrong")

# What each page shows of its own content, checked with JavaScript disabled.
PAGE_CONTENT = {
    "home": ["Hello clinicians.", "Read the package", "Enrol", "About the network"],
    "information_package": [
        "What every member receives.",
        "Procedures",
        "Privacy statement",
        "Helpdesk quick guide",
    ],
    "privacy_statement": ["Version 1.0", "The controller is the CMSS unit."],
    "standard": [
        "How a case conference is requested.",
        "Requesting a conference",
        "Remove names.",
        "Only pseudonymised data.",
        "The procedure",
        "Hospitals of the network.",
    ],
    "not_found": ["There is no page at this address."],
}


def axe_report(results):
    lines = []
    for violation in results.response["violations"]:
        lines.append(f"{violation['id']} ({violation['impact']}): {violation['help']}")
        for node in violation["nodes"]:
            lines.append(f"    {node['target']}: {node['failureSummary']}")
    return "\n".join(lines)


def run_axe(page):
    options = {"runOnly": {"type": "tag", "values": WCAG_TAGS}, "resultTypes": ["violations"]}
    return Axe().run(page, options=options)


def origin(url):
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def focus_indicator(page):
    """The focused element's tag, text and the outline/box-shadow it is drawn with."""
    return page.evaluate(
        """() => {
            const el = document.activeElement;
            const style = getComputedStyle(el);
            return {
                tag: el.tagName.toLowerCase(),
                text: (el.textContent || "").trim().slice(0, 60),
                outlineStyle: style.outlineStyle,
                outlineWidth: parseFloat(style.outlineWidth) || 0,
                boxShadow: style.boxShadow,
            };
        }"""
    )


@pytest.mark.parametrize("viewport", VIEWPORTS, ids=list(VIEWPORTS))
@pytest.mark.parametrize("name", PAGE_NAMES)
def test_axe_finds_no_wcag_a_or_aa_violations(site_pages, open_page, name, viewport):
    path, heading = PUBLIC_PAGES[name]
    page = open_page(VIEWPORTS[viewport], javascript=True)  # axe-core runs as JavaScript
    page.goto(site_pages + path)
    expect(page.get_by_role("heading", level=1)).to_have_text(heading)

    results = run_axe(page)

    assert results.response["testEngine"]["name"] == "axe-core"
    assert results.violations_count == 0, axe_report(results)


@pytest.mark.parametrize("viewport", VIEWPORTS, ids=list(VIEWPORTS))
def test_axe_finds_no_violations_on_the_500_page(site_pages, open_page, settings, viewport):
    settings.ROOT_URLCONF = "tests.urls_failing"
    page = open_page(VIEWPORTS[viewport], javascript=True)
    response = page.goto(site_pages + SERVER_ERROR[0])
    assert response.status == 500
    expect(page.get_by_role("heading", level=1)).to_have_text(SERVER_ERROR[1])

    results = run_axe(page)

    assert results.violations_count == 0, axe_report(results)


@pytest.mark.parametrize("name", PAGE_NAMES)
def test_no_horizontal_scrolling_at_320px(site_pages, open_page, name):
    page = open_page(NARROW)
    page.goto(site_pages + PUBLIC_PAGES[name][0])

    widths = page.evaluate(
        "() => ({scroll: document.scrollingElement.scrollWidth, window: window.innerWidth})"
    )

    assert widths["window"] == NARROW["width"]
    assert widths["scroll"] <= widths["window"], widths


@pytest.mark.parametrize("viewport", VIEWPORTS, ids=list(VIEWPORTS))
def test_skip_link_is_first_visible_on_focus_and_moves_to_main(site_pages, open_page, viewport):
    size = VIEWPORTS[viewport]
    page = open_page(size)
    page.goto(site_pages + PUBLIC_PAGES["standard"][0])
    skip = page.get_by_role("link", name="Skip to main content")

    hidden = skip.bounding_box()
    assert hidden["y"] + hidden["height"] <= 0, f"skip link shows before it has focus: {hidden}"

    page.keyboard.press("Tab")
    expect(skip).to_be_focused()
    box = skip.bounding_box()
    assert box["x"] >= 0 and box["y"] >= 0, box
    assert box["x"] + box["width"] <= size["width"], box
    assert box["y"] + box["height"] <= size["height"], box

    page.keyboard.press("Enter")
    expect(page.locator("main#main-content")).to_be_focused()
    assert page.url.endswith("#main-content")

    # The next Tab lands inside main, past the header's and the breadcrumbs' links.
    page.keyboard.press("Tab")
    focused = page.evaluate(
        "() => [document.activeElement.tagName, !!document.activeElement.closest('main')]"
    )
    assert focused == ["A", True]


@pytest.mark.parametrize("name", ["home", "standard", "not_found"])
def test_every_link_shows_a_visible_focus_indicator(site_pages, open_page, name):
    page = open_page()
    page.goto(site_pages + PUBLIC_PAGES[name][0])
    links = page.locator("a[href]").count()
    assert links >= 5

    seen = []
    for _ in range(links + 5):
        page.keyboard.press("Tab")
        indicator = focus_indicator(page)
        if indicator["tag"] == "body" or (seen and indicator == seen[0]):
            break  # past the last link, or round to the first again
        seen.append(indicator)

    assert len(seen) == links, [i["text"] for i in seen]
    invisible = [
        i
        for i in seen
        if (i["outlineStyle"] == "none" or i["outlineWidth"] == 0) and i["boxShadow"] == "none"
    ]
    assert invisible == []


@pytest.mark.parametrize("name", PAGE_NAMES)
def test_base_layout_has_language_and_landmarks(site_pages, open_page, name):
    page = open_page()
    page.goto(site_pages + PUBLIC_PAGES[name][0])

    assert page.locator("html").get_attribute("lang") == "en"
    assert page.title().endswith("| CMSS") and len(page.title()) > len("| CMSS")
    expect(page.get_by_role("main")).to_have_count(1)
    expect(page.get_by_role("banner")).to_have_count(1)
    expect(page.get_by_role("contentinfo")).to_have_count(1)
    expect(page.get_by_role("navigation", name="Main", exact=True)).to_have_count(1)
    expect(page.locator("nav:not([aria-label]):not([aria-labelledby])")).to_have_count(0)
    expect(page.get_by_role("heading", level=1)).to_have_count(1)
    # The skip link comes before everything else the keyboard reaches.
    first_link = page.locator("a[href]").first
    expect(first_link).to_have_attribute("href", "#main-content")


@pytest.mark.parametrize("name", [*PAGE_NAMES, "server_error"])
def test_nothing_loads_from_outside_the_site(site_pages, open_page, settings, name):
    if name == "server_error":
        settings.ROOT_URLCONF = "tests.urls_failing"
        path = SERVER_ERROR[0]
    else:
        path = PUBLIC_PAGES[name][0]
    page = open_page(javascript=True)  # scripts, were there any, could fetch more
    requests, failed, responses = [], [], []
    page.on("request", lambda request: requests.append(request.url))
    page.on("requestfailed", lambda request: failed.append(request.url))
    page.on("response", lambda response: responses.append((response.url, response.status)))

    page.goto(site_pages + path, wait_until="networkidle")

    outside = [url for url in requests if origin(url) != origin(site_pages)]
    assert outside == []
    assert failed == []
    stylesheet = site_pages + "/static/css/site.css"
    assert (stylesheet, 200) in responses
    subresources = [(url, status) for url, status in responses if url != site_pages + path]
    assert [r for r in subresources if r[1] >= 400] == []
    if name == "standard":
        assert any("/media/images/" in url for url in requests), requests


@pytest.mark.parametrize("name", PAGE_NAMES)
def test_pages_show_their_content_without_javascript(site_pages, open_page, name):
    path, heading = PUBLIC_PAGES[name]
    page = open_page()
    response = page.goto(site_pages + path)

    assert response.status == (404 if name == "not_found" else 200)
    expect(page.get_by_role("heading", level=1)).to_have_text(heading)
    main = page.get_by_role("main")
    for text in PAGE_CONTENT[name]:
        expect(main.get_by_text(text, exact=False).first).to_be_visible()
    expect(page.get_by_role("navigation", name="Main", exact=True)).to_be_visible()


def test_image_shows_with_its_alt_text_without_javascript(site_pages, open_page):
    page = open_page(NARROW)
    page.goto(site_pages + PUBLIC_PAGES["standard"][0])

    image = page.get_by_role("img", name="Diagram of the network's hospitals")
    expect(image).to_be_visible()
    assert image.evaluate("img => img.complete && img.naturalWidth") > 0
    assert image.bounding_box()["width"] <= NARROW["width"]


def test_navigation_works_without_javascript(site_pages, open_page):
    page = open_page(NARROW)
    page.goto(site_pages + "/")
    menu = page.get_by_role("navigation", name="Main", exact=True)

    menu.get_by_role("link", name="Information package").click()
    expect(page).to_have_url(site_pages + "/information-package/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Information package")
    expect(menu.get_by_role("link", name="Information package")).to_have_attribute(
        "aria-current", "page"
    )

    page.get_by_role("main").get_by_role("link", name="Procedures").click()
    expect(page).to_have_url(site_pages + "/information-package/procedures/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Procedures")

    page.get_by_role("navigation", name="Breadcrumb").get_by_role("link", name="Home").click()
    expect(page).to_have_url(site_pages + "/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Welcome to CMSS")
