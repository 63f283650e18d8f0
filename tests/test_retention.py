"""Erasure cancels queued mail; `manage.py purge_expired` applies the retention period (issue 9,
point 3)."""

import pytest
from django.core import mail

from cms.mail import services
from cms.mail.models import OutgoingMessage, SuppressedAddress
from directory.services import personal_data

from .test_directory_pages import make_clinician, make_hospital

Status = OutgoingMessage.Status


@pytest.fixture
def held_back(monkeypatch):
    """Queued mail stays queued: the worker has not reached it yet."""
    queued = []
    monkeypatch.setattr(services, "enqueue", lambda pk, delay=0.0: queued.append(pk))
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
        assert message.status == Status.FAILED
        assert "erased" in message.last_error
        assert (message.subject, message.body_text, message.body_html) == ("(erased)", "", "")
        assert message.recipient.endswith("@erased.invalid")
    with pytest.raises(services.CannotResend):
        services.check_resendable(queued)


def test_erasure_leaves_mail_already_sent_as_sent(clinician):
    sent = services.queue_message(
        "mette.hansen@example.eu", "Welcome, Mette", "Dear Mette", kind="welcome"
    )
    sent.refresh_from_db()
    assert sent.status == Status.SENT
    personal_data.erase_clinician(clinician)
    sent.refresh_from_db()
    assert (sent.status, sent.subject, sent.body_text) == (Status.SENT, "(erased)", "")
