"""Erasure cancels queued mail; `manage.py purge_expired` applies the retention period (issue 9,
point 3)."""

import pytest
from django.core import mail

from cms.mail import services
from cms.mail.models import OutgoingMessage, SuppressedAddress
from cms.mail.services import handoff
from directory.services import personal_data

from .test_directory_pages import make_clinician, make_hospital

Status = OutgoingMessage.Status


@pytest.fixture
def held_back(monkeypatch):
    """Queued mail stays queued: the worker has not reached it yet."""
    queued = []
    monkeypatch.setattr(handoff, "enqueue", lambda pk, delay=0.0: queued.append(pk))
    return queued


@pytest.fixture
def clinician(db):
    hospital = make_hospital("Rigshospitalet", "København", "DK")
    return make_clinician("Mette", "Hansen", hospital, email="mette.hansen@example.eu")


def test_erasure_cancels_queued_and_held_mail(clinician, held_back):
    queued = services.queue_message(
        "mette.hansen@example.eu", "Welcome, Mette", "Dear Mette", kind="welcome"
    )
    SuppressedAddress.objects.create(email="mette.hansen@example.eu", reason="bounced")
    held = services.queue_message(
        "mette.hansen@example.eu", "Your webinar", "Dear Mette", kind="invitation"
    )
    assert held.status == Status.HELD
    personal_data.erase_clinician(clinician)
    assert services.deliver(queued.pk) == "skipped"  # the worker reaches it after the erasure
    assert mail.outbox == []
    for message in (queued, held):
        message.refresh_from_db()
        assert message.status == Status.CANCELLED
        assert "erased" in message.last_error
        assert (message.subject, message.body_text, message.body_html) == ("(erased)", "", "")
        assert message.recipient.endswith("@erased.invalid")
    with pytest.raises(services.CannotResend):
        services.check_resendable(queued)


def test_erasure_leaves_mail_already_sent_as_sent(clinician, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        sent = services.queue_message(
            "mette.hansen@example.eu", "Welcome, Mette", "Dear Mette", kind="welcome"
        )
    sent.refresh_from_db()
    assert sent.status == Status.SENT
    personal_data.erase_clinician(clinician)
    sent.refresh_from_db()
    assert (sent.status, sent.subject, sent.body_text) == (Status.SENT, "(erased)", "")


# manage.py purge_expired


@pytest.fixture
def retention(db):
    from wagtail.models import Site

    from home.models import SiteSettings

    settings = SiteSettings.for_site(Site.objects.get(is_default_site=True))
    settings.retention_days = 30
    settings.save()
    return settings


def days_ago(days, now=None):
    from datetime import timedelta

    from django.utils import timezone

    return (now or timezone.now()) - timedelta(days=days)


def purge():
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("purge_expired", stdout=out)
    return out.getvalue()


def test_old_mail_bodies_and_webhook_keys_go_recent_ones_stay(retention, held_back):
    from cms.mail.models import ProcessedWebhookEvent

    old = services.queue_message(
        "a@example.eu",
        "Old",
        "Old body",
        kind="t",
        html="<p>x</p>",
        attachments=[("a.txt", "x", "text/plain")],
    )
    still_queued = services.queue_message("b@example.eu", "Queued", "Keep me", kind="t")
    recent = services.queue_message("c@example.eu", "Recent", "Recent body", kind="t")
    OutgoingMessage.objects.filter(pk=old.pk).update(status=Status.SENT, created_at=days_ago(31))
    OutgoingMessage.objects.filter(pk=still_queued.pk).update(created_at=days_ago(31))
    OutgoingMessage.objects.filter(pk=recent.pk).update(status=Status.SENT, created_at=days_ago(29))
    ProcessedWebhookEvent.objects.create(
        esp_name="mailgun", event_key="old", event_type="bounced", received_at=days_ago(31)
    )
    ProcessedWebhookEvent.objects.create(esp_name="mailgun", event_key="new", event_type="bounced")

    output = purge()
    assert "bodies and attachments of old emails: 1 deleted" in output
    assert "tracking events already applied: 1 deleted" in output
    old.refresh_from_db()
    assert (old.subject, old.recipient, old.status) == ("Old", "a@example.eu", Status.SENT)
    assert (old.body_text, old.body_html, old.attachments) == ("", "", [])
    with pytest.raises(services.CannotResend):
        services.check_resendable(old)
    still_queued.refresh_from_db()
    recent.refresh_from_db()
    assert still_queued.body_text == "Keep me" and recent.body_text == "Recent body"
    assert list(ProcessedWebhookEvent.objects.values_list("event_key", flat=True)) == ["new"]

    # Twice is harmless: nothing left to delete, nothing else touched.
    again = purge()
    assert "bodies and attachments of old emails: 0 deleted" in again
    assert "tracking events already applied: 0 deleted" in again
    recent.refresh_from_db()
    assert recent.body_text == "Recent body"


def test_the_retention_period_comes_from_site_settings(retention):
    from cms.mail.models import ProcessedWebhookEvent

    ProcessedWebhookEvent.objects.create(
        esp_name="mailgun", event_key="k", event_type="bounced", received_at=days_ago(10)
    )
    purge()
    assert ProcessedWebhookEvent.objects.count() == 1
    retention.retention_days = 7
    retention.save()
    assert "older than 7 days" in purge()
    assert ProcessedWebhookEvent.objects.count() == 0


def test_abandoned_uploads_go_files_of_a_running_import_stay(retention, settings, tmp_path):
    import os
    import time

    from directory.models import DirectoryImportRun

    settings.DIRECTORY_IMPORT_DIR = tmp_path

    def upload(name, hours_old, *suffixes):
        when = time.time() - hours_old * 3600
        for suffix in ("", *suffixes):
            path = tmp_path / f"{name}{suffix}"
            path.write_text("x")
            os.utime(path, (when, when))

    upload("abandoned.xlsx", 2, ".report.jsonl")  # preview whose one-hour token expired
    upload("fresh.xlsx", 0.5, ".report.jsonl", ".progress.json")  # preview still usable
    upload("running.xlsx", 24 * 40, ".progress.json")  # an import running (however long)
    upload("failed.xlsx", 24 * 5)  # a failed run, kept to be restarted
    upload("old-failed.xlsx", 24 * 31)  # a failed run past the retention period
    for name, status in [
        ("running.xlsx", DirectoryImportRun.Status.RUNNING),
        ("failed.xlsx", DirectoryImportRun.Status.FAILED),
        ("old-failed.xlsx", DirectoryImportRun.Status.FAILED),
    ]:
        DirectoryImportRun.objects.create(filename=name, stored_name=name, status=status)

    assert "uploaded directory spreadsheets: 3 deleted" in purge()
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "failed.xlsx",
        "fresh.xlsx",
        "fresh.xlsx.progress.json",
        "fresh.xlsx.report.jsonl",
        "running.xlsx",
        "running.xlsx.progress.json",
    ]
    assert "uploaded directory spreadsheets: 0 deleted" in purge()
    assert len(list(tmp_path.iterdir())) == 6


def test_a_later_feature_registers_what_to_purge(retention):
    from cms import retention as registry

    seen = []
    registry.register_purger("test holdings")(
        lambda older_than, now: seen.append(now - older_than) or 2
    )
    try:
        assert "test holdings: 2 deleted (older than 30 days)" in purge()
    finally:
        registry._purgers.pop("test holdings")
    assert [d.days for d in seen] == [30]
