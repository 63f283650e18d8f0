"""What the mail log holds about a person: exported with their data, erased with it."""

from cms.mail.models import OutgoingMessage, SuppressedAddress

Status = OutgoingMessage.Status


ERASED_UNSENT = (
    "Cancelled: the recipient's personal data was erased before this message was sent. "
    "It cannot be sent or resent."
)


def messages_to(address):
    """What the log holds about mail to ``address``, for a person's own-data download."""
    return [
        {
            "subject": message.subject,
            "kind": message.kind,
            "status": message.status,
            "created_at": message.created_at.isoformat(),
            "sent_at": message.sent_at.isoformat() if message.sent_at else None,
        }
        for message in OutgoingMessage.objects.filter(recipient__iexact=address).order_by("pk")
    ]


def forget_recipient(address):
    """Erase ``address`` from the mail log: recipient, name, subject, bodies and attachments of
    every message to it are blanked (the rows stay, so delivery counts still add up), and a
    flag on the address is lifted. Mail to it not sent yet (queued or held) is cancelled (status
    cancelled, ``ERASED_UNSENT``): the worker, ``recover_stalled`` and a resend all leave it. Returns how
    many messages were blanked."""
    messages = OutgoingMessage.objects.filter(recipient__iexact=address)
    count = 0
    for pk in messages.values_list("pk", flat=True):
        blank = {
            "recipient": f"erased-{pk}@erased.invalid",
            "recipient_name": "",
            "subject": "(erased)",
            "body_text": "",
            "body_html": "",
            "attachments": [],
            "last_error": "",
        }
        # Not sent yet: cancelled (a message being sent is left to finish).
        cancelled = OutgoingMessage.objects.filter(
            pk=pk, status__in=(Status.QUEUED, Status.HELD)
        ).update(**{**blank, "status": Status.CANCELLED, "last_error": ERASED_UNSENT})
        if not cancelled:
            OutgoingMessage.objects.filter(pk=pk).update(**blank)
        count += 1
    SuppressedAddress.objects.filter(email__iexact=address).delete()
    return count
