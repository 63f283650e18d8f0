"""The printable information package in headless Chromium: axe-core (WCAG 2.1 A and AA) on screen
and at 320 px; printed (print media), no navigation is shown, every page of the package starts a
new sheet and links show their address (issue 12, points 3 and 9)."""

import pytest
from axe_playwright_python.sync_playwright import Axe

from .conftest import DESKTOP, NARROW, WCAG_TAGS

pytestmark = pytest.mark.browser

PRINT_PATH = "/information-package/print/"


def violations(page):
    options = {"runOnly": {"type": "tag", "values": WCAG_TAGS}, "resultTypes": ["violations"]}
    found = Axe().run(page, options=options).response["violations"]
    return [f"{v['id']}: {v['help']} at {[node['target'] for node in v['nodes']]}" for v in found]


@pytest.mark.parametrize("viewport", [DESKTOP, NARROW], ids=["desktop", "320px"])
def test_printable_package_passes_axe(site_pages, open_page, viewport):
    page = open_page(viewport=viewport, javascript=True)
    response = page.goto(site_pages + PRINT_PATH)
    assert response.status == 200
    assert page.locator("h1").inner_text() == "Information package"
    assert page.locator("article.package-print__page").count() >= 2
    assert violations(page) == []
    page.emulate_media(media="print")
    assert violations(page) == []


def test_printed_package_hides_navigation_and_breaks_pages(site_pages, open_page):
    page = open_page(javascript=True)
    page.goto(site_pages + PRINT_PATH)
    assert page.locator("header.site-header").is_visible()
    page.emulate_media(media="print")
    assert not page.locator("header.site-header").is_visible()
    assert not page.locator("footer.site-footer").is_visible()
    breaks = page.eval_on_selector_all(
        "article.package-print__page",
        "nodes => nodes.map(n => getComputedStyle(n).breakBefore)",
    )
    assert breaks and set(breaks) == {"page"}
    link_after = page.eval_on_selector(
        "article.package-print__page a[href^='/'], article.package-print__page a[href^='http']",
        "a => getComputedStyle(a, '::after').content",
    )
    assert "(" in link_after
    pdf = page.pdf()
    assert pdf.startswith(b"%PDF-")
