"""The public pages work under the enforced Content-Security-Policy: nothing is blocked.

Each page is loaded in Chromium with JavaScript on; every `securitypolicyviolation` event and
every console message about the policy fails the test. The enrolment's hospital combobox (a
static script that fetches /enrol/hospitals/) is used, so a blocked script or fetch shows.
"""

import pytest
from playwright.sync_api import expect

from .conftest import DESKTOP, PUBLIC_PAGES

pytestmark = pytest.mark.browser

# Runs in every page before the page's own scripts (Playwright's init scripts are not subject
# to the page's policy): keeps what the browser reports.
RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
    window.__cspViolations.push(
        `${event.effectiveDirective} blocked ${event.blockedURI || "inline"} ` +
        `(${event.sourceFile || "?"}:${event.lineNumber})`
    );
});
"""


@pytest.fixture
def watched_page(open_page):
    """A page with JavaScript that records policy violations and the console's complaints."""
    page = open_page(DESKTOP, javascript=True)
    page.context.add_init_script(RECORD_VIOLATIONS)
    complaints = []
    page.on(
        "console",
        lambda message: (
            complaints.append(message.text)
            if "Content Security Policy" in message.text
            or "Content-Security-Policy" in message.text
            else None
        ),
    )
    page.csp_complaints = complaints
    return page


def violations(page):
    return page.evaluate("() => window.__cspViolations") + page.csp_complaints


def visit(page, url):
    response = page.goto(url)
    policy = response.headers.get("content-security-policy", "")
    assert "script-src 'self'" in policy, (url, policy)
    assert "content-security-policy-report-only" not in response.headers
    return response


def test_public_pages_break_no_rule_of_the_policy(site_pages, hospitals, watched_page):
    page = watched_page
    paths = [path for path, _ in PUBLIC_PAGES.values()]
    paths += ["/hospitals/", "/hospitals/?q=erasme", "/accounts/login/", "/enrol/confirmed/"]
    for path in paths:
        visit(page, site_pages + path)
        page.wait_for_load_state("load")
        assert violations(page) == [], path


def test_enrolment_combobox_works_under_the_policy(site_pages, hospitals, watched_page):
    page = watched_page
    visit(page, site_pages + "/enrol/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Enrol as a clinician")
    page.get_by_label("Country of your hospital").select_option("BE")
    search = page.get_by_label("Name or city of your hospital")
    search.click()
    search.press_sequentially("erasme")
    listbox = page.locator("#hospital-listbox")
    expect(listbox.get_by_role("option")).to_have_count(1)
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    expect(page.get_by_role("radio", name="Hôpital Erasme, Brussels")).to_be_checked()
    assert violations(page) == []


def test_an_inline_script_would_be_caught(site_pages, watched_page):
    """Control: the same watch reports an inline script the policy blocks."""
    page = watched_page
    visit(page, site_pages + "/")
    page.evaluate(
        """() => {
            const script = document.createElement("script");
            script.textContent = "window.__ran = true;";
            document.body.appendChild(script);
        }"""
    )
    page.wait_for_function("() => window.__cspViolations.length > 0")
    assert page.evaluate("() => window.__ran") is None
    assert any("script-src" in line for line in violations(page))
