"""No link on the demo site leads to a 404 or a 500.

The demo is seeded as `make run` seeds it (`manage.py seed_demo`), then crawled three times: as an
anonymous visitor, as an approved clinician and as the helpdesk. Each crawl follows every same-site
<a href> (and redirects) from the home page; of the admin it visits the dashboard only. A control
plants a link to a page that does not exist and shows the crawl reports it.
"""

import io
from collections import deque
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client

from directory.models import Clinician, Country, Hospital
from home.models import StandardPage

from .conftest import publish

SAME_SITE_HOSTS = {"", "testserver", "localhost", "127.0.0.1", "127.0.0.1:8000"}
START = ["/", "/admin/"]
MAX_PAGES = 400


class Anchors(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.hrefs = []

    def handle_starttag(self, tag, attrs):
        if tag == "a" and dict(attrs).get("href"):
            self.hrefs.append(dict(attrs)["href"])


def same_site(base, href):
    """The path and query of a same-site link to follow, or None (other sites, mailto:, the
    admin's inner pages)."""
    parts = urlsplit(urljoin(f"http://testserver{base}", href.strip()))
    if parts.scheme not in ("http", "https") or parts.netloc not in SAME_SITE_HOSTS:
        return None
    path = parts.path or "/"
    if path.startswith("/admin/") and path != "/admin/":
        return None
    return f"{path}?{parts.query}" if parts.query else path


def crawl(client, start=START):
    """{url: status} of everything reached; {url: the page that linked to it}."""
    status, found_on = {}, {}
    queue, seen = deque(start), set(start)
    while queue:
        url = queue.popleft()
        assert len(status) < MAX_PAGES, f"the crawl passed {MAX_PAGES} URLs; last {url}"
        response = client.get(url)
        status[url] = response.status_code
        if 300 <= response.status_code < 400:
            hrefs = [response["Location"]]
        elif "html" in response.get("Content-Type", "") and not response.streaming:
            parser = Anchors()
            parser.feed(response.content.decode("utf-8", errors="replace"))
            hrefs = parser.hrefs
        else:
            hrefs = []
        for href in hrefs:
            target = same_site(url, href)
            if target and target not in seen:
                seen.add(target)
                found_on[target] = url
                queue.append(target)
    return status, found_on


def broken(status, found_on):
    return [(url, code, found_on.get(url)) for url, code in status.items() if code in (404, 500)]


@pytest.fixture
def demo(db):
    call_command("seed_demo", stdout=io.StringIO())
    hospital = Hospital.objects.create(
        name="Charité", city="Berlin", country=Country.objects.get(code="DE")
    )
    user = get_user_model().objects.create_user(username="lena", email="lena@charite.example.eu")
    Clinician.objects.create(
        first_name="Lena",
        last_name="Vogel",
        email=user.email,
        hospital=hospital,
        status=Clinician.Status.APPROVED,
        user=user,
    )
    return {"clinician": user, "helpdesk": get_user_model().objects.get(username="helpdesk")}


def visitor(user=None):
    client = Client(raise_request_exception=False)
    if user is not None:
        client.force_login(user)
    return client


@pytest.mark.parametrize("who", ["anonymous", "clinician", "helpdesk"])
def test_no_link_on_the_demo_leads_to_a_missing_page(demo, who):
    # Staff reach the dashboard without TOTP: CMSS_DEMO_RELAX_STAFF_MFA is on in test settings.
    status, found_on = crawl(visitor(demo.get(who)))
    assert broken(status, found_on) == []
    # The crawl really went round the site.
    assert status["/"] == 200
    assert status.get("/information-package/") == 200
    assert status.get("/information-package/requesting-a-case-conference/") == 200
    assert status.get("/hospitals/") == 200
    if who == "anonymous":
        assert status.get("/accounts/login/") == 200
        assert status["/admin/"] == 302
    else:
        assert status.get("/account/") == 200
        assert status.get("/directory/") == 200
    if who == "helpdesk":
        assert status["/admin/"] == 200


def test_the_crawl_finds_a_broken_link(demo):
    """Control: a page linking to a path that does not exist is reported, with where it was."""
    page = StandardPage.objects.get(slug="requesting-a-case-conference")
    page.body = [
        {"type": "paragraph", "value": '<p>Open the <a href="/conferences/archive/">list</a>.</p>'}
    ]
    publish(page)
    status, found_on = crawl(visitor())
    assert broken(status, found_on) == [
        ("/conferences/archive/", 404, "/information-package/requesting-a-case-conference/")
    ]
