"""Fixtures for the browser tests: one headless Chromium per session and a full public page tree.

A live-server test flushes the database afterwards, so Wagtail's root page, root collection,
default locale and site vanish between tests: every test rebuilds the tree it reads.
"""

import io
import os

import pytest
from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.test import Client
from PIL import Image as PILImage
from playwright.sync_api import sync_playwright
from wagtail.images import get_image_model
from wagtail.models import Collection, Locale, Page

from directory.countries import COUNTRIES
from directory.models import Clinician, Country, Hospital
from home.models import HomePageCallToAction, InformationPackageDocument

from ..conftest import publish

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
DESKTOP = {"width": 1280, "height": 800}
NARROW = {"width": 320, "height": 640}
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]

# Every public page type, by the path it is served at and the heading it must show.
PUBLIC_PAGES = {
    "home": ("/", "Welcome to CMSS"),
    "information_package": ("/information-package/", "Information package"),
    "privacy_statement": ("/information-package/privacy-statement/", "Privacy statement"),
    "standard": ("/information-package/procedures/", "Procedures"),
    "not_found": ("/no-such-page/", "Page not found"),
}


@pytest.fixture(scope="session")
def browser():
    # Playwright's sync API keeps an asyncio loop on the main thread, which Django takes for an
    # async context and so refuses the ORM calls the fixtures make. Nothing here is async: allow
    # them, for the browser tests only (this fixture runs only when a browser test is selected).
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    playwright = sync_playwright().start()
    chromium = playwright.chromium.launch(
        executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
    )
    yield chromium
    chromium.close()
    playwright.stop()
    if previous is None:
        del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]
    else:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


def _new_page(browser, viewport, javascript):
    context = browser.new_context(viewport=viewport, java_script_enabled=javascript)
    context.set_default_timeout(10_000)
    return context, context.new_page()


@pytest.fixture
def open_page(browser):
    """open_page(viewport=DESKTOP, javascript=False) -> a fresh Playwright page, closed after."""
    contexts = []

    def make(viewport=DESKTOP, javascript=False):
        context, page = _new_page(browser, viewport, javascript)
        contexts.append(context)
        return page

    yield make
    for context in contexts:
        context.close()


@pytest.fixture(autouse=True)
def wagtail_root(transactional_db):
    """What Wagtail's migrations create and a flush removes: locale, root page, root collection."""
    Locale.objects.get_or_create(language_code="en")
    if Page.get_first_root_node() is None:
        Page.add_root(instance=Page(title="Root", slug="root"))
    if Collection.get_first_root_node() is None:
        Collection.add_root(name="Root")


def png_bytes(width=1200, height=600):
    buffer = io.BytesIO()
    PILImage.new("RGB", (width, height), (0, 63, 125)).save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.fixture
def make_image(wagtail_root):
    def make(title):
        Image = get_image_model()
        image = Image(title=title, file=ContentFile(png_bytes(), name="diagram.png"))
        image.save()
        return image

    return make


@pytest.fixture
def site_pages(
    live_server,
    home_page,
    package_page,
    privacy_page,
    make_standard_page,
    make_document,
    make_image,
):
    """Every public page type, filled with what editors can put in it; returns the live server URL."""
    guide = make_document("Helpdesk quick guide")
    procedure = make_document("Signed procedure")
    diagram = make_image("Network diagram")

    home_page.calls_to_action.add(
        HomePageCallToAction(
            label="Read the package", description="What members receive.", link_page=package_page
        )
    )
    home_page.calls_to_action.add(
        HomePageCallToAction(label="Enrol", link_url="/information-package/privacy-statement/")
    )
    home_page.body = [
        {"type": "heading", "value": {"text": "About the network", "level": "h2"}},
        {"type": "paragraph", "value": "<p>Clinicians discuss <b>complex cases</b> together.</p>"},
    ]
    publish(home_page)

    make_standard_page(
        package_page,
        "Procedures",
        summary="How a case conference is requested.",
        body=[
            {"type": "heading", "value": {"text": "Requesting a conference", "level": "h2"}},
            {
                "type": "paragraph",
                "value": '<p>Read the <a href="/information-package/">package</a> first.</p>'
                "<ul><li>Collect the case notes.</li><li>Name the question.</li></ul>",
            },
            {"type": "heading", "value": {"text": "Before you start", "level": "h3"}},
            {
                "type": "callout",
                "value": {"title": "Reminder", "text": "<p>Remove names.</p>", "tone": "info"},
            },
            {
                "type": "callout",
                "value": {
                    "title": "Important",
                    "text": "<p>Only pseudonymised data.</p>",
                    "tone": "important",
                },
            },
            {"type": "document", "value": {"document": procedure.pk, "label": "The procedure"}},
            {
                "type": "image",
                "value": {
                    "image": {
                        "image": diagram.pk,
                        "alt_text": "Diagram of the network's hospitals",
                        "decorative": False,
                    },
                    "caption": "Hospitals of the network.",
                },
            },
        ],
    )

    package_page.package_documents.add(
        InformationPackageDocument(document=guide, description="Two pages")
    )
    publish(package_page)
    return live_server.url


@pytest.fixture
def countries(transactional_db):
    """The countries of the network: created by a data migration, gone after a flush."""
    for code, name, zone, membership in COUNTRIES:
        Country.objects.get_or_create(
            code=code, defaults={"name": name, "time_zone": zone, "membership": membership}
        )
    return {country.code: country for country in Country.objects.all()}


@pytest.fixture
def hospitals(countries):
    """Hospitals taking part in three countries, and one that no longer does."""
    made = {}
    for key, name, city, code in (
        ("charite", "Charité", "Berlin", "DE"),
        ("erasme", "Hôpital Erasme", "Brussels", "BE"),
        ("karolinska", "Karolinska University Hospital", "Stockholm", "SE"),
    ):
        made[key] = Hospital.objects.create(name=name, city=city, country=countries[code])
    made["former"] = Hospital.objects.create(
        name="Former Hospital", city="Lyon", country=countries["FR"], taking_part=False
    )
    return made


@pytest.fixture
def directory_site(live_server, privacy_page, hospitals):
    """The pages around the directory (home, information package, privacy statement in force)
    with hospitals to choose from; returns the live server URL."""
    return live_server.url


@pytest.fixture
def make_clinician(hospitals):
    """make_clinician(first, last, email, hospital="charite", user=True, **fields) -> Clinician,
    approved and with a verified, passwordless account unless told otherwise."""

    def make(first_name, last_name, email, hospital="charite", user=True, **fields):
        account = None
        if user:
            account = get_user_model().objects.create_user(
                username=email.split("@")[0], email=email
            )
            account.set_unusable_password()
            account.save()
            EmailAddress.objects.create(user=account, email=email, primary=True, verified=True)
        fields.setdefault("status", Clinician.Status.APPROVED)
        fields.setdefault("role", Clinician.Role.CASE_MANAGER)
        return Clinician.objects.create(
            first_name=first_name,
            last_name=last_name,
            email=email,
            hospital=hospitals[hospital] if hospital else None,
            user=account,
            **fields,
        )

    return make


@pytest.fixture
def signed_in_page(open_page, directory_site):
    """signed_in_page(user, viewport=DESKTOP, javascript=False) -> a page whose context holds
    the session cookie of `user` (made by Django's test client, not by the sign-in form)."""

    def make(user, viewport=DESKTOP, javascript=False):
        client = Client()
        client.force_login(user)
        page = open_page(viewport, javascript)
        page.context.add_cookies(
            [
                {
                    "name": settings.SESSION_COOKIE_NAME,
                    "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                    "url": directory_site,
                }
            ]
        )
        return page

    return make
