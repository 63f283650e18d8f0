"""Delivering one queued message: claimed with a conditional UPDATE so that a task run twice
sends once, then sent, retried with backoff after a transient error, or failed."""

import logging
import smtplib
from datetime import timedelta

from anymail.exceptions import AnymailAPIError, AnymailRecipientsRefused
from django.conf import settings
from django.db.models import F, Q
from django.utils import timezone

from cms.mail.models import OutgoingMessage
from cms.mail.services import handoff, transport
from cms.mail.services.one_time_codes import WITHOUT_SECRET
from cms.mail.services.suppression import held_reason, suppression_for
from cms.mail.services.transport import MayHaveBeenSent

logger = logging.getLogger(__name__)

Status = OutgoingMessage.Status


UNCONFIRMED = (
    "Not confirmed: the mail server stopped answering after the message had been handed to it "
    "({reason}). It may have been sent, so it is not sent again automatically: check with the "
    "recipient, and resend it if it is needed."
)


def retry_delays():
    """Seconds to wait before each retry after a transient error; its length is the retry limit."""
    return [float(d) for d in settings.CMSS_MAIL_RETRY_DELAYS]


def is_transient(error):
    """True for errors worth retrying: refused or dropped connections, timeouts, 4xx, a provider's 5xx."""
    if isinstance(error, AnymailRecipientsRefused):
        return False
    if isinstance(error, AnymailAPIError):
        status = getattr(error, "status_code", None)
        return status is None or status >= 500 or status == 429
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in error.recipients.values()]
        return bool(codes) and all(400 <= code < 500 for code in codes)
    if isinstance(error, smtplib.SMTPResponseException):
        return 400 <= error.smtp_code < 500
    if isinstance(error, smtplib.SMTPServerDisconnected):
        return True
    if isinstance(error, smtplib.SMTPException):
        return False
    return isinstance(error, OSError)  # connection refused or reset, timeouts


def deliver(message_id):
    """Send the queued message ``message_id`` once; called by the ``send_message`` task.

    Returns what happened: "sent", "retry", "failed", "held" or "skipped" (not queued, or
    not due yet: another run has it or had it). Raises nothing for mail errors: they are
    recorded on the row.
    """
    now = timezone.now()
    claimed = (
        OutgoingMessage.objects.filter(pk=message_id, status=Status.QUEUED)
        .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
        .update(status=Status.SENDING, claimed_at=now, attempts=F("attempts") + 1, updated_at=now)
    )
    if not claimed:
        return "skipped"
    message = OutgoingMessage.objects.get(pk=message_id)
    rows = OutgoingMessage.objects.filter(pk=message_id)
    # Once the message has gone (or will not go), a one-time code in it has no reason to stay.
    done = WITHOUT_SECRET if message.carries_secret else {}
    suppressed = suppression_for(message.recipient)
    if suppressed is not None:
        rows.update(status=Status.HELD, last_error=held_reason(suppressed), updated_at=now, **done)
        return "held"
    try:
        provider_id = transport.transmit(message)
    except MayHaveBeenSent as error:
        last_error = UNCONFIRMED.format(reason=str(error)[:1500])
        rows.update(status=Status.FAILED, last_error=last_error, updated_at=timezone.now(), **done)
        logger.error("Outgoing message %s may have been sent: %s", message_id, error)
        return "failed"
    except Exception as error:
        reason = f"{type(error).__name__}: {error}"[:2000]
        delays = retry_delays()
        if is_transient(error) and message.attempts <= len(delays):
            delay = delays[message.attempts - 1]
            rows.update(
                status=Status.QUEUED,
                next_attempt_at=timezone.now() + timedelta(seconds=delay),
                last_error=f"Attempt {message.attempts} failed, retrying: {reason}",
                updated_at=timezone.now(),
            )
            logger.warning("Outgoing message %s: %s; retry in %ss", message_id, reason, delay)
            handoff.enqueue(message_id, delay)
            return "retry"
        rows.update(status=Status.FAILED, last_error=reason, updated_at=timezone.now(), **done)
        logger.error("Outgoing message %s failed: %s", message_id, reason)
        return "failed"
    rows.update(
        status=Status.SENT,
        sent_at=timezone.now(),
        provider_message_id=provider_id[:300],
        last_error="",
        updated_at=timezone.now(),
        **done,
    )
    return "sent"
