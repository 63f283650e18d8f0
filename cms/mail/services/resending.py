"""Resending a logged message deliberately (the helpdesk's Resend), and what may not be resent."""

from cms.mail.models import OutgoingMessage
from cms.mail.services.composing import queue_message

Status = OutgoingMessage.Status


class CannotResend(Exception):
    """The message carried a one-time code or key, which is not kept and must not be sent twice."""


def check_resendable(message):
    """Raise ``CannotResend`` if ``message`` must not be sent again."""
    if message.status == Status.CANCELLED:
        raise CannotResend(
            f"“{message.subject}” cannot be resent: it was cancelled because its recipient's "
            "data was erased."
        )
    if message.carries_secret:
        raise CannotResend(
            f"“{message.subject}” to {message.recipient} cannot be resent: it carried a one-time "
            "code, which is not kept. The person can ask for a new code on the sign-in page."
        )
    if not message.body_text and not message.body_html:
        raise CannotResend(
            f"“{message.subject}” cannot be resent: what it said is no longer kept (its "
            "recipient's data was erased, or it is older than the retention period)."
        )


def resend(message):
    """Queue a new copy of ``message`` (same bodies and attachments); returns the copy.

    The original keeps its status: the log shows both. Raises ``CannotResend`` for a message
    that carried a one-time code and ``InvalidRecipient``.
    """
    check_resendable(message)
    return queue_message(
        message.recipient,
        message.subject,
        message.body_text,
        html=message.body_html,
        to_name=message.recipient_name,
        kind=message.kind,
        related=message.related_object if message.content_type_id else None,
        attachments=message.attachment_files(),
        from_email=message.from_email,
        reply_to=message.reply_to,
        resent_from=message,
        headers=message.headers,
    )
