"""The base layout: language, skip link, landmarks, no scripts, nothing from outside the site."""

from urllib.parse import urlsplit

import pytest

from .test_pages import outline

PUBLIC_PATHS = [
    "/",
    "/information-package/",
    "/information-package/privacy-statement/",
    "/information-package/procedures/",
    "/no-such-page/",
]


@pytest.fixture
def site(home_page, package_page, privacy_page, make_standard_page):
    make_standard_page(package_page, "Procedures")


@pytest.mark.django_db
@pytest.mark.parametrize("path", PUBLIC_PATHS)
def test_public_page_layout(client, site, path):
    response = client.get(path)
    assert response.status_code in (200, 404)
    page = outline(response)
    assert page.find("html", lang="en")
    skip = page.find("a", **{"class": "skip-link"})
    assert skip and skip[0]["href"] == "#main-content"
    assert page.find("main", id="main-content")
    assert page.find("header") and page.find("footer")
    assert page.find("nav", **{"aria-label": "Main"})
    assert page.find("meta", name="viewport")
    # Nothing public needs JavaScript, and nothing is loaded from elsewhere.
    assert not page.find("script")
    for tag, attrs in page.tags:
        for attribute in ("src", "srcset") + (("href",) if tag == "link" else ()):
            if attrs.get(attribute):
                assert not urlsplit(attrs[attribute]).netloc, (tag, attrs)
