"""`manage.py seed_demo` builds the demo site once; running it again creates nothing twice."""

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.test import override_settings
from django.utils import timezone
from wagtail.documents import get_document_model
from wagtail.models import Page, Site

from home.models import HomePage, InformationPackagePage, PrivacyStatementPage, StandardPage


def counts():
    return {
        "pages": Page.objects.count(),
        "documents": get_document_model().objects.count(),
        "users": get_user_model().objects.count(),
        "sites": Site.objects.count(),
        "package_documents": InformationPackagePage.objects.get().package_documents.count(),
        "revisions": sum(p.revisions.count() for p in Page.objects.all()),
    }


@pytest.mark.django_db
def test_seed_demo_is_idempotent(client, capsys):
    call_command("seed_demo")
    first = counts()
    call_command("seed_demo")
    assert counts() == first
    assert "nothing created" in capsys.readouterr().out


@pytest.mark.django_db
def test_seed_demo_builds_the_public_site_and_the_roles(client):
    call_command("seed_demo")
    assert Site.objects.get(is_default_site=True).root_page.specific_class is HomePage
    for path in ["/", "/information-package/", "/information-package/privacy-statement/"]:
        assert client.get(path).status_code == 200, path
    privacy = PrivacyStatementPage.in_force()
    assert privacy is not None and privacy.version_label
    assert StandardPage.objects.live().count() >= 3
    assert InformationPackagePage.objects.get().get_workflow().name == "Policy review"
    users = get_user_model().objects.in_bulk(field_name="username")
    assert users["admin"].is_superuser
    assert [g.name for g in users["helpdesk"].groups.all()] == ["Helpdesk"]
    assert [g.name for g in users["editor"].groups.all()] == ["Editors"]
    assert [g.name for g in users["moderator"].groups.all()] == ["Moderators"]
    from allauth.account.models import EmailAddress

    for username in ("admin", "helpdesk", "editor", "moderator"):
        address = EmailAddress.objects.get(user=users[username])
        assert address.verified and address.primary
    for document in get_document_model().objects.all():
        with document.file.open("rb") as handle:
            assert handle.read(5) == b"%PDF-"


@pytest.mark.django_db
def test_demo_content_pages_are_valid_stream_data():
    """The demo texts pass the same validation an editor's input does."""
    from home import demo_content
    from home.blocks import BodyBlock

    block = BodyBlock()
    for spec in [*demo_content.STANDARD_PAGES, demo_content.PRIVACY_STATEMENT]:
        block.clean(block.to_python(spec["body"]))


@pytest.mark.django_db
@override_settings(SETTINGS_MODULE="cms.settings.production")
def test_seed_demo_refuses_production():
    with pytest.raises(CommandError):
        call_command("seed_demo")


@pytest.mark.django_db
def test_the_demo_catalogue_shows_every_webinar_state(client):
    """Upcoming (one nearly full, one not open yet), cancelled, and held with a recording and with
    attendance read from the simulated Webex, so a newcomer sees each."""
    from events.models import Registration, WebinarPage
    from events.services.registrations import places_left

    call_command("seed_demo")
    webinars = WebinarPage.objects.live()
    states = set(webinars.values_list("state", flat=True))
    assert states == {"scheduled", "cancelled", "held"}
    upcoming = [w for w in webinars.filter(state="scheduled") if w.start > timezone.now()]
    assert any(0 < places_left(w) <= w.capacity // 10 for w in upcoming)  # nearly full
    assert any(w.registration_not_yet_open for w in upcoming)
    assert webinars.filter(state="held").exclude(recording_url="").exists()
    attended = Registration.objects.filter(webinar__state="held", attended=True)
    assert attended.exists() and all(r.minutes_attended > 0 for r in attended)
    assert client.get("/webinars/").status_code == 200
