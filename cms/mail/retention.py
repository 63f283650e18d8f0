"""What the mail app keeps only for the retention period (see cms/retention.py)."""

from cms.mail.models import OutgoingMessage, ProcessedWebhookEvent
from cms.retention import register_purger

Status = OutgoingMessage.Status


@register_purger("bodies and attachments of old emails")
def purge_message_bodies(older_than, now):
    """Blank what old messages said; who they went to, when, and what became of them stay in the
    log. A message still queued or being sent keeps its body until it is done with."""
    return (
        OutgoingMessage.objects.filter(created_at__lt=older_than)
        .exclude(status__in=(Status.QUEUED, Status.SENDING))
        .exclude(body_text="", body_html="", attachments=[])
        .update(body_text="", body_html="", attachments=[], updated_at=now)
    )


@register_purger("tracking events already applied")
def purge_webhook_keys(older_than, now):
    """Forget old tracking events: a provider retries a call for hours, not for weeks."""
    return ProcessedWebhookEvent.objects.filter(received_at__lt=older_than).delete()[0]
