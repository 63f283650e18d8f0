"""Messages that carry a one-time code or key: kept only for the worker to send, then blanked;
a code still unsent when it has expired is not sent late."""

from datetime import timedelta

from allauth.account import app_settings as allauth_settings
from django.utils import timezone

from cms.mail.models import OutgoingMessage

Status = OutgoingMessage.Status


# The fields that hold what a message says: blanked when it carried a one-time code.
WITHOUT_SECRET = {"body_text": "", "body_html": "", "attachments": []}


EXPIRED = (
    "Not sent: the one-time code in it expired before it could go out. The person can ask for "
    "a new one on the sign-in page."
)


def secret_lifetime():
    """How long a one-time code that CMSS mails is valid: the longest of allauth's timeouts."""
    return timedelta(
        seconds=max(
            allauth_settings.LOGIN_BY_CODE_TIMEOUT,
            allauth_settings.EMAIL_VERIFICATION_BY_CODE_TIMEOUT,
            allauth_settings.PASSWORD_RESET_BY_CODE_TIMEOUT,
        )
    )


def purge_expired_secrets(now=None):
    """Blank what is left of one-time codes in the log; returns (expired, blanked).

    A message with a code still queued after the code expired is not sent (failed, see
    ``EXPIRED``); one already sent, held or failed keeps no body. A message being sent is left
    to ``deliver`` (or ``recover_stalled``), which blank it when they are done with it.
    """
    now = now or timezone.now()
    secrets = OutgoingMessage.objects.filter(carries_secret=True)
    expired = secrets.filter(status=Status.QUEUED, created_at__lt=now - secret_lifetime()).update(
        status=Status.FAILED, last_error=EXPIRED, updated_at=now, **WITHOUT_SECRET
    )
    blanked = (
        secrets.exclude(status__in=(Status.QUEUED, Status.SENDING))
        .exclude(body_text="", body_html="", attachments=[])
        .update(updated_at=now, **WITHOUT_SECRET)
    )
    return expired, blanked
