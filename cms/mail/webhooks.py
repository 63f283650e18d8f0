"""anymail's tracking webhook (/anymail/<provider>/tracking/) applied to the outgoing-mail log.

anymail checks the call (basic auth from ANYMAIL_WEBHOOK_SECRET, and the provider's signature
where it has one) and answers 400 when that fails; this receiver applies each event once: a
replayed event finds its key already stored and changes nothing. A bounce or complaint flags
the address, so that later mail to it is held.
"""

import hashlib
import logging

from anymail.signals import EventType
from django.db import IntegrityError, transaction
from django.utils import timezone

from cms.mail.models import OutgoingMessage, ProcessedWebhookEvent, SuppressedAddress

logger = logging.getLogger(__name__)
Status = OutgoingMessage.Status

FLAGGING = {EventType.BOUNCED, EventType.COMPLAINED}
FAILING = {EventType.REJECTED, EventType.FAILED}


def event_key(event):
    """The provider's event id, or a digest of what identifies the event when it has none."""
    if event.event_id:
        return str(event.event_id)[:300]
    parts = [event.message_id, event.event_type, event.recipient, event.timestamp]
    return "sha256:" + hashlib.sha256("|".join(str(p) for p in parts).encode()).hexdigest()


def find_message(event):
    if event.message_id:
        message = OutgoingMessage.objects.filter(provider_message_id=event.message_id).first()
        if message is not None:
            return message
    pk = (event.metadata or {}).get("outgoing_message")
    if pk and str(pk).isdigit():
        return OutgoingMessage.objects.filter(pk=int(pk)).first()
    return None


def event_reason(event):
    detail = event.mta_response or event.description or event.reject_reason or ""
    return f"{event.event_type}: {detail}".strip(": ")[:500]


def apply_event(event, esp_name):
    """Apply one tracking event; returns False if it had been applied before."""
    with transaction.atomic():
        try:
            with transaction.atomic():
                ProcessedWebhookEvent.objects.create(
                    esp_name=esp_name[:50], event_key=event_key(event), event_type=event.event_type
                )
        except IntegrityError:
            return False
        message = find_message(event)
        now = timezone.now()
        if message is not None:
            if event.event_type in FLAGGING:
                message.status = Status.BOUNCED
                message.last_error = event_reason(event)
            elif event.event_type in FAILING and message.status != Status.BOUNCED:
                message.status = Status.FAILED
                message.last_error = event_reason(event)
            message.updated_at = now
            message.save(update_fields=["status", "last_error", "updated_at"])
        recipient = event.recipient or (message.recipient if message else None)
        if event.event_type in FLAGGING and recipient:
            SuppressedAddress.objects.get_or_create(
                email=recipient.strip().lower(),
                defaults={"reason": event_reason(event), "source_message": message},
            )
    return True


def on_tracking_event(sender, event, esp_name, **kwargs):
    """Receiver of anymail's ``tracking`` signal (connected in MailConfig.ready)."""
    if not apply_event(event, esp_name):
        logger.info("Ignored a replayed %s event from %s", event.event_type, esp_name)
