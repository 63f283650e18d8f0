"""The helpdesk's dashboard panels and the statistics page in Chromium (issue 12, point 9): no
axe-core WCAG 2.1 A/AA violation at 1280 and 320 px, and the charts readable without JavaScript
(the SVG is in the page as served, named by its title and description)."""

import pytest

from tests.test_dashboard import populate
from tests.test_statistics import clinicians

from ..conftest import publish
from .conftest import DESKTOP, NARROW
from .test_public_pages import axe_report, run_axe

pytestmark = pytest.mark.browser

DASHBOARD_PANELS = [
    "#event-queues-section",
    "#upcoming-webinars-section",
    "#recordings-announcements-section",
    "#failed-mail-section",
]


@pytest.fixture
def helpdesk_world(directory_site, home_page, make_staff):
    from events.models import WebinarIndexPage

    index = WebinarIndexPage(title="Webinars", slug="webinars")
    home_page.add_child(instance=index)
    publish(index)
    populate(index, 2)
    clinicians("BE", 6)
    clinicians("MT", 1)
    # An administrator: a live-server test flushes the groups that migrations made.
    return directory_site, make_staff("root", superuser=True)


def axe_on(page, selectors):
    """axe-core on the parts of the page CMSS renders (Wagtail's own chrome is Wagtail's)."""
    from axe_playwright_python.sync_playwright import Axe

    from .conftest import WCAG_TAGS

    options = {"runOnly": {"type": "tag", "values": WCAG_TAGS}, "resultTypes": ["violations"]}
    return Axe().run(page, context={"include": [[s] for s in selectors]}, options=options)


@pytest.mark.parametrize("viewport", [DESKTOP, NARROW], ids=["1280", "320"])
def test_the_dashboard_panels_pass_axe(signed_in_page, helpdesk_world, viewport):
    base, user = helpdesk_world
    page = signed_in_page(user, viewport=viewport, javascript=True)
    page.goto(f"{base}/admin/")
    for selector in DASHBOARD_PANELS:
        assert page.locator(selector).count() == 1, selector
    results = axe_on(page, DASHBOARD_PANELS)
    assert results.violations_count == 0, axe_report(results)


@pytest.mark.parametrize("viewport", [DESKTOP, NARROW], ids=["1280", "320"])
def test_the_statistics_page_passes_axe(signed_in_page, helpdesk_world, viewport):
    base, user = helpdesk_world
    page = signed_in_page(user, viewport=viewport, javascript=True)
    page.goto(f"{base}/admin/events/statistics/")
    assert page.get_by_role("heading", name="Approved clinicians per country").count() == 1
    results = run_axe(page)
    assert results.violations_count == 0, axe_report(results)


def test_the_charts_are_there_without_javascript(signed_in_page, helpdesk_world):
    base, user = helpdesk_world
    page = signed_in_page(user, javascript=False)
    page.goto(f"{base}/admin/events/statistics/")
    chart = page.get_by_role("img", name="Approved clinicians per country")
    assert chart.count() == 1
    assert chart.locator("rect").count() == 2  # Belgium, and the other countries added up
    table = page.get_by_role("table", name="Approved clinicians per country: the numbers")
    assert table.get_by_role("rowheader", name="Belgium").count() == 1
    assert page.get_by_text("Malta").count() == 0
