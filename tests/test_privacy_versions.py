"""A changed privacy statement needs a new version label, members are told what changed, and a
clinician who agreed to an older version accepts the new one when they next sign in (issue 12,
point 4)."""

import datetime

import pytest
from bs4 import BeautifulSoup
from django.core import mail as django_mail
from django.urls import reverse
from wagtail.models import ModelLogEntry
from wagtail.test.utils.form_data import nested_form_data, rich_text, streamfield

from directory.models import Clinician
from home.models import PrivacyStatementPage, PrivacyStatementVersion
from tests.conftest import publish


def post_statement(client, page, action, *, label, text, what_changed=""):
    data = nested_form_data(
        {
            "title": page.title,
            "slug": page.slug,
            "version_label": label,
            "effective_date": "2026-06-01",
            "what_changed": what_changed,
            "summary": page.summary,
            "body": streamfield([("paragraph", rich_text(text))]),
        }
    )
    data[action] = "1"
    return client.post(reverse("wagtailadmin_pages:edit", args=[page.pk]), data)


def version_error(response):
    html = BeautifulSoup(response.content, "html.parser")
    field = html.find(attrs={"name": "version_label"})
    wrapper = field.find_parent(attrs={"data-field-wrapper": True}) or field.parent.parent
    return wrapper.get_text(" ", strip=True)


@pytest.mark.parametrize(
    ("group", "action"), [("Moderators", "action-publish"), ("Editors", "action-submit")]
)
def test_changed_text_under_the_same_label_is_refused_in_the_edit_form(
    client, privacy_page, make_staff, group, action
):
    client.force_login(make_staff("someone", group))
    response = post_statement(client, privacy_page, action, label="1.0", text="We now keep more.")
    assert response.status_code == 200
    assert "needs a new version label" in version_error(response)
    privacy_page.refresh_from_db()
    assert privacy_page.live_revision.as_object().body.raw_data[0]["value"] == (
        "<p>The controller is the CMSS unit.</p>"
    )
    assert not privacy_page.workflow_states.filter(status="in_progress").exists()


def test_a_new_label_may_be_published_and_a_draft_may_be_saved(client, privacy_page, make_staff):
    client.force_login(make_staff("mo", "Moderators"))
    # Saving a draft is not refused: the editor may still be writing.
    response = post_statement(client, privacy_page, "action-save", label="1.0", text="Draft.")
    assert response.status_code == 302
    response = post_statement(
        client, privacy_page, "action-publish", label="2.0", text="We now keep more."
    )
    assert response.status_code == 302
    privacy_page.refresh_from_db()
    assert privacy_page.version_label == "2.0"


def test_same_text_same_label_passes(client, privacy_page, make_staff):
    client.force_login(make_staff("mo", "Moderators"))
    response = post_statement(
        client,
        privacy_page,
        "action-publish",
        label="1.0",
        text="The controller is the CMSS unit.",
    )
    assert response.status_code == 302


@pytest.fixture
def consented(db, django_user_model, privacy_page):
    user = django_user_model.objects.create_user(username="ana", email="ana@example.eu")
    return Clinician.objects.create(
        first_name="Ana",
        last_name="Silva",
        email="ana@example.eu",
        status=Clinician.Status.APPROVED,
        privacy_version="1.0",
        user=user,
    )


def publish_new_version(privacy_page, label="2.0", what_changed="We keep call logs 30 days."):
    page = PrivacyStatementPage.objects.get(pk=privacy_page.pk)
    page.version_label = label
    page.what_changed = what_changed
    page.effective_date = datetime.date(2026, 2, 1)
    page.body = [{"type": "paragraph", "value": "<p>We keep call logs.</p>"}]
    return publish(page)


def test_members_are_told_what_changed_once(
    consented, privacy_page, django_capture_on_commit_callbacks
):
    assert PrivacyStatementVersion.objects.filter(label="1.0").exists()
    with django_capture_on_commit_callbacks(execute=True):
        publish_new_version(privacy_page)
    notices = [m for m in django_mail.outbox if "privacy statement" in m.subject]
    assert [m.to for m in notices] == [["ana@example.eu"]]
    assert "We keep call logs 30 days." in notices[0].body
    assert PrivacyStatementVersion.objects.get(label="2.0").members_told_at is not None
    # Published again under the same label: nobody is told twice.
    with django_capture_on_commit_callbacks(execute=True):
        publish(PrivacyStatementPage.objects.get(pk=privacy_page.pk))
    assert len([m for m in django_mail.outbox if "privacy statement" in m.subject]) == 1


def test_clinician_on_an_older_version_accepts_the_new_one(client, consented, privacy_page):
    client.force_login(consented.user)
    assert client.get("/account/").status_code == 200  # up to date: no question
    publish_new_version(privacy_page)
    response = client.get("/account/")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("privacy_consent"))
    page = client.get(response["Location"])
    html = BeautifulSoup(page.content, "html.parser")
    assert "We keep call logs 30 days." in html.get_text()
    assert html.find("button", string=lambda s: s and "accept version 2.0" in s)
    response = client.post(reverse("privacy_consent"), {"next": "/account/"})
    assert response.status_code == 302 and response["Location"] == "/account/"
    consented.refresh_from_db()
    assert consented.privacy_version == "2.0" and consented.consented_at is not None
    entry = ModelLogEntry.objects.get(action="cmss.privacy.accept")
    assert entry.object_id == str(consented.pk) and entry.data["version"] == "2.0"
    assert client.get("/account/").status_code == 200


def test_staff_and_anonymous_visitors_are_left_alone(client, privacy_page, make_staff):
    publish_new_version(privacy_page)
    assert client.get("/").status_code == 200
    client.force_login(make_staff("help", "Helpdesk"))
    response = client.get("/account/")
    assert not response.get("Location", "").startswith(reverse("privacy_consent"))
