"""anymail's tracking webhook (Mailgun's signed JSON here): authenticated, applied once, bounces flag."""

import base64
import hashlib
import hmac
import json
import time

import pytest
from django.core import mail

from cms.mail import services
from cms.mail.models import OutgoingMessage, ProcessedWebhookEvent, SuppressedAddress

URL = "/anymail/mailgun/tracking/"
AUTH = "Basic " + base64.b64encode(b"tracker:test-webhook-secret").decode()
SIGNING_KEY = b"test-signing-key"


def signed(event_data, key=SIGNING_KEY, token="a" * 50):
    timestamp = str(int(time.time()))
    signature = hmac.new(key, (timestamp + token).encode(), hashlib.sha256).hexdigest()
    return {
        "signature": {"timestamp": timestamp, "token": token, "signature": signature},
        "event-data": event_data,
    }


def bounce_of(message, token="b" * 50):
    return signed(
        {
            "event": "failed",
            "severity": "permanent",
            "id": "evt-1",
            "timestamp": time.time(),
            "recipient": message.recipient,
            "reason": "bounce",
            "message": {"headers": {"message-id": message.provider_message_id.strip("<>")}},
            "delivery-status": {"code": 550, "message": "5.1.1 mailbox unknown", "description": ""},
            "user-variables": {"outgoing_message": str(message.pk)},
        },
        token=token,
    )


def post(client, payload, auth=AUTH):
    headers = {"HTTP_AUTHORIZATION": auth} if auth else {}
    return client.post(URL, data=json.dumps(payload), content_type="application/json", **headers)


@pytest.fixture
def sent(db, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return services.queue_message("lena@charite.example.eu", "Hello", "Body", kind="test")


def test_unauthenticated_call_is_refused(client, sent):
    assert post(client, bounce_of(sent), auth=None).status_code == 400
    assert (
        post(client, bounce_of(sent), auth="Basic " + base64.b64encode(b"x:y").decode()).status_code
        == 400
    )
    assert SuppressedAddress.objects.count() == 0


def test_badly_signed_call_is_refused(client, sent):
    payload = bounce_of(sent)
    payload["signature"]["signature"] = "0" * 64
    assert post(client, payload).status_code == 400
    forged = signed(bounce_of(sent)["event-data"], key=b"someone-elses-key")
    assert post(client, forged).status_code == 400
    sent.refresh_from_db()
    assert sent.status == OutgoingMessage.Status.SENT


def test_without_a_configured_secret_every_call_is_refused(client, sent, settings):
    settings.ANYMAIL = {**settings.ANYMAIL, "WEBHOOK_SECRET": "random:nobody-knows"}
    assert post(client, bounce_of(sent)).status_code == 400


def test_bounce_is_applied_and_flags_the_address(client, sent, django_capture_on_commit_callbacks):
    assert post(client, bounce_of(sent)).status_code == 200
    sent.refresh_from_db()
    assert sent.status == OutgoingMessage.Status.BOUNCED
    assert "mailbox unknown" in sent.last_error
    flag = SuppressedAddress.objects.get(email="lena@charite.example.eu")
    assert flag.source_message == sent

    with django_capture_on_commit_callbacks(execute=True):
        later = services.queue_message("Lena@Charite.example.eu", "Again", "Body", kind="test")
    assert later.status == OutgoingMessage.Status.HELD
    assert "mailbox unknown" in later.last_error
    assert len(mail.outbox) == 1  # only the first


def test_replayed_event_is_applied_once(client, sent):
    payload = bounce_of(sent)
    assert post(client, payload).status_code == 200
    SuppressedAddress.objects.all().delete()  # the helpdesk lifts the flag
    assert post(client, payload).status_code == 200  # the same call again
    assert ProcessedWebhookEvent.objects.count() == 1
    assert not SuppressedAddress.objects.exists()


def test_a_new_event_is_still_applied_after_a_replay(client, sent):
    """Control: a different event (another token) is applied, so the replay test could fail."""
    assert post(client, bounce_of(sent, token="c" * 50)).status_code == 200
    SuppressedAddress.objects.all().delete()
    assert post(client, bounce_of(sent, token="d" * 50)).status_code == 200
    assert SuppressedAddress.objects.filter(email="lena@charite.example.eu").exists()


def test_delivery_event_changes_nothing_but_is_accepted(client, sent):
    payload = signed(
        {
            "event": "delivered",
            "id": "evt-2",
            "timestamp": time.time(),
            "recipient": sent.recipient,
            "message": {"headers": {"message-id": sent.provider_message_id.strip("<>")}},
        }
    )
    assert post(client, payload).status_code == 200
    sent.refresh_from_db()
    assert sent.status == OutgoingMessage.Status.SENT
    assert not SuppressedAddress.objects.exists()
