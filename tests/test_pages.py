"""The content pages render what editors put in them, at the URLs DESIGN fixes."""

import datetime
from html.parser import HTMLParser

import pytest
from django.test import Client, override_settings

from home.models import InformationPackageDocument, PrivacyStatementPage

from .conftest import publish


class Outline(HTMLParser):
    """Collects the tags, attributes and text of a page, to assert on structure, not strings."""

    def __init__(self):
        super().__init__()
        self.tags = []
        self.text = []
        self.links = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tags.append((tag, attrs))
        if tag == "a":
            self.links.append(attrs.get("href"))

    def handle_data(self, data):
        if data.strip():
            self.text.append(data.strip())

    def find(self, tag, **attrs):
        return [
            a for t, a in self.tags if t == tag and all(a.get(k) == v for k, v in attrs.items())
        ]


def outline(response):
    parser = Outline()
    parser.feed(response.content.decode())
    return parser


@pytest.mark.django_db
def test_home_page_shows_introduction_and_webinar_slot(client, home_page):
    response = client.get("/")
    assert response.status_code == 200
    page = outline(response)
    assert "Hello clinicians." in page.text
    assert page.find("section", **{"aria-labelledby": "upcoming-webinars-heading"})


@pytest.mark.django_db
def test_home_page_calls_to_action_link_to_pages_and_urls(client, home_page, package_page):
    from home.models import HomePageCallToAction

    home_page.calls_to_action.add(
        HomePageCallToAction(label="Read the package", link_page=package_page)
    )
    home_page.calls_to_action.add(HomePageCallToAction(label="Enrol", link_url="/enrol/"))
    publish(home_page)
    links = outline(client.get("/")).links
    assert "/information-package/" in links
    assert "/enrol/" in links


@pytest.mark.django_db
def test_information_package_lists_child_pages_and_documents(
    client, package_page, privacy_page, make_standard_page, make_document
):
    make_standard_page(package_page, "Functionalities", summary="What Webex offers.")
    document = make_document("Helpdesk quick guide")
    package_page.package_documents.add(
        InformationPackageDocument(document=document, description="Two pages")
    )
    publish(package_page)

    response = client.get("/information-package/")
    assert response.status_code == 200
    page = outline(response)
    assert "/information-package/privacy-statement/" in page.links
    assert "/information-package/functionalities/" in page.links
    assert document.url in page.links
    assert "What Webex offers." in page.text


@pytest.mark.django_db
def test_unpublished_child_is_not_listed(client, package_page, make_standard_page):
    draft = make_standard_page(package_page, "Draft procedure")
    draft.unpublish()
    links = outline(client.get("/information-package/")).links
    assert "/information-package/draft-procedure/" not in links


@pytest.mark.django_db
def test_privacy_statement_shows_version_and_effective_date(client, privacy_page):
    response = client.get("/information-package/privacy-statement/")
    assert response.status_code == 200
    page = outline(response)
    assert page.find("time", datetime="2026-01-15")
    assert any("Version 1.0" in text for text in page.text)


@pytest.mark.django_db
def test_privacy_statement_in_force_is_the_latest_effective_live_version(
    package_page, privacy_page
):
    future = PrivacyStatementPage(
        title="Privacy statement (next)",
        slug="privacy-statement-next",
        version_label="2.0",
        effective_date=datetime.date(2099, 1, 1),
    )
    package_page.add_child(instance=future)
    publish(future)
    assert PrivacyStatementPage.in_force(datetime.date(2026, 6, 1)).version_label == "1.0"
    assert PrivacyStatementPage.in_force(datetime.date(2099, 6, 1)).version_label == "2.0"
    assert PrivacyStatementPage.in_force(datetime.date(2025, 1, 1)) is None


@pytest.mark.django_db
def test_standard_page_renders_every_block_type(
    client, package_page, make_standard_page, make_document
):
    document = make_document("Checklist")
    page = make_standard_page(
        package_page,
        "Procedures",
        body=[
            {"type": "heading", "value": {"text": "Before the call", "level": "h2"}},
            {"type": "paragraph", "value": "<p>Test your <b>audio</b>.</p>"},
            {
                "type": "callout",
                "value": {
                    "title": "No patient data",
                    "text": "<p>Never share names.</p>",
                    "tone": "important",
                },
            },
            {"type": "document", "value": {"document": document.pk, "label": "The checklist"}},
        ],
    )
    parsed = outline(client.get(page.url))
    assert parsed.find("h2")
    assert "Before the call" in parsed.text
    assert parsed.find("aside", **{"class": "callout callout--important"})
    assert document.url in parsed.links
    assert "The checklist" in parsed.text


@pytest.mark.django_db
def test_unknown_address_gets_the_styled_404(client, home_page):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    page = outline(response)
    assert "Page not found" in page.text
    assert page.find("a", **{"class": "skip-link"})


@pytest.mark.django_db
@override_settings(DEBUG=False, ROOT_URLCONF="tests.urls_failing")
def test_server_error_shows_the_styled_500_without_traceback(home_page):
    client = Client(raise_request_exception=False)
    response = client.get("/boom/")
    assert response.status_code == 500
    body = response.content.decode()
    assert "Something went wrong" in body
    assert "Traceback" not in body
    assert "ZeroDivisionError" not in body
