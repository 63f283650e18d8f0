"""Mending what a stopped worker or a lost task left behind (``manage.py retry_mail``)."""

from datetime import timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from cms.mail.models import OutgoingMessage
from cms.mail.services import handoff
from cms.mail.services.one_time_codes import WITHOUT_SECRET

Status = OutgoingMessage.Status


INTERRUPTED = (
    "Interrupted while sending (the worker stopped before the result was recorded). It may or "
    "may not have gone out, so it is not sent again automatically: resend it if it is needed."
)


def recover_stalled(now=None):
    """Mend what a stopped worker or a lost task left behind; returns (interrupted, requeued).

    A message left "sending" longer than ``CMSS_MAIL_SENDING_LEASE_SECONDS`` is marked failed
    (see ``INTERRUPTED``), never resent. A queued message that is due and older than a minute
    is handed to the task again (a duplicate task is harmless: only one run can claim it).
    """
    now = now or timezone.now()
    lease = timedelta(seconds=settings.CMSS_MAIL_SENDING_LEASE_SECONDS)
    stalled = OutgoingMessage.objects.filter(status=Status.SENDING, claimed_at__lt=now - lease)
    interrupted = stalled.filter(carries_secret=True).update(
        status=Status.FAILED, last_error=INTERRUPTED, updated_at=now, **WITHOUT_SECRET
    ) + stalled.update(status=Status.FAILED, last_error=INTERRUPTED, updated_at=now)
    grace = now - timedelta(seconds=settings.CMSS_MAIL_REQUEUE_AFTER_SECONDS)
    stale = OutgoingMessage.objects.filter(status=Status.QUEUED).filter(
        Q(next_attempt_at__isnull=True, created_at__lte=grace) | Q(next_attempt_at__lte=grace)
    )
    ids = list(stale.values_list("pk", flat=True))
    for pk in ids:
        handoff.enqueue(pk)
    return interrupted, len(ids)
