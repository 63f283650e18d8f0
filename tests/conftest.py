"""Shared fixtures: the smallest page tree a test needs, staff users per role, a clean cache."""

import datetime

import pytest
from django.conf import settings as django_settings
from django.contrib.auth.models import Group
from django.core.cache import cache
from django.core.files.base import ContentFile
from wagtail.documents import get_document_model
from wagtail.models import Page, Site

from home.models import (
    HomePage,
    InformationPackagePage,
    PrivacyStatementPage,
    SiteSettings,
    StandardPage,
)


@pytest.fixture(autouse=True)
def clean_cache():
    cache.clear()
    yield
    cache.clear()


def publish(page):
    page.save_revision().publish()
    return page


def wagtail_root():
    """Wagtail's root page and default locale, which its migrations make: a transactional test
    that ran before this one flushed them away with everything else."""
    from wagtail.models import Locale

    Locale.objects.get_or_create(language_code=django_settings.LANGUAGE_CODE)
    return Page.add_root(instance=Page(title="Root", slug="root"))


def country(code):
    """The country ``code`` as the migrations make it (made again when a transactional test
    before this one flushed the migrations' rows)."""
    from directory.countries import COUNTRIES
    from directory.models import Country

    for known, name, zone, membership in COUNTRIES:
        if known == code:
            return Country.objects.get_or_create(
                code=code, defaults={"name": name, "time_zone": zone, "membership": membership}
            )[0]
    raise LookupError(code)


def root_collection():
    """Wagtail's root collection (made again after a transactional test flushed it)."""
    from wagtail.models import Collection

    return Collection.get_first_root_node() or Collection.add_root(name="Root")


@pytest.fixture
def home_page(db):
    root = Page.get_first_root_node() or wagtail_root()
    # Wagtail's placeholder page holds the slug "home" in a fresh database.
    Page.objects.filter(depth=2).exclude(content_type__model="homepage").delete()
    home = HomePage(title="Welcome to CMSS", slug="home", introduction="<p>Hello clinicians.</p>")
    root.add_child(instance=home)
    publish(home)
    site, _ = Site.objects.update_or_create(
        is_default_site=True,
        defaults={"hostname": "localhost", "port": 80, "root_page": home, "site_name": "CMSS"},
    )
    SiteSettings.for_site(site)  # as seed_demo does; created lazily otherwise
    return home


@pytest.fixture
def package_page(home_page):
    package = InformationPackagePage(
        title="Information package",
        slug="information-package",
        introduction="<p>What every member receives.</p>",
        show_in_menus=True,
    )
    home_page.add_child(instance=package)
    return publish(package)


@pytest.fixture
def privacy_page(package_page):
    page = PrivacyStatementPage(
        title="Privacy statement",
        slug="privacy-statement",
        version_label="1.0",
        effective_date=datetime.date(2026, 1, 15),
        summary="How we handle your data.",
        body=[{"type": "paragraph", "value": "<p>The controller is the CMSS unit.</p>"}],
    )
    package_page.add_child(instance=page)
    return publish(page)


@pytest.fixture
def make_standard_page():
    def make(parent, title, slug=None, **fields):
        page = StandardPage(title=title, slug=slug or title.lower().replace(" ", "-"), **fields)
        parent.add_child(instance=page)
        return publish(page)

    return make


@pytest.fixture
def make_document(db):
    def make(title, content=b"%PDF-1.4\n%demo\n", filename=None):
        Document = get_document_model()
        document = Document(title=title)
        document.file.save(
            filename or f"{title.lower().replace(' ', '-')}.pdf", ContentFile(content), save=False
        )
        document.save()
        return document

    return make


@pytest.fixture
def make_staff(db, django_user_model):
    def make(username, group=None, superuser=False):
        user = django_user_model.objects.create_user(
            username=username,
            email=f"{username}@example.eu",
            password="pw-for-tests",
            is_superuser=superuser,
            is_staff=superuser,
        )
        if group:
            user.groups.add(Group.objects.get(name=group))
        return user

    return make


@pytest.fixture
def smtp_server(settings):
    """A real SMTP server on loopback (aiosmtpd) that Django's SMTP backend sends to."""
    from cms.mail import services
    from tests.mail_support import SMTPServer

    services.close_connection()
    with SMTPServer() as server:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST = "127.0.0.1"
        settings.EMAIL_PORT = server.port
        settings.EMAIL_TIMEOUT = 0.5
        yield server
    services.close_connection()


@pytest.fixture(autouse=True)
def fresh_vobject_timezones():
    """vobject keeps every VTIMEZONE it has read in a global map keyed by TZID, so a zone trimmed
    to one event's dates would be reused for the next calendar. A mail client reads each
    invitation on its own: so does each test."""
    import sys

    module = sys.modules.get("vobject.icalendar")
    if module is not None:
        module.__dict__["__tzidMap"].clear()
    yield
