"""Mend the outgoing-mail queue after a stopped worker and blank one-time codes left in the log:
`manage.py retry_mail` (cron, or at start-up)."""

from django.core.management.base import BaseCommand

from cms.mail import services
from cms.mail.tasks import resume_interrupted_event_chunks


class Command(BaseCommand):
    help = (
        "Mark messages interrupted mid-send as failed (never resent automatically) and hand "
        "queued messages whose task was lost to the worker again; blank the bodies of messages "
        "whose one-time code is sent or expired; queue again the batches of delivery events a stopped "
        "worker left half-applied."
    )

    def handle(self, *args, **options):
        # Expired codes first, so that a lost task's code is not handed to the worker too late.
        expired, blanked = services.purge_expired_secrets()
        interrupted, requeued = services.recover_stalled()
        chunks = resume_interrupted_event_chunks()
        self.stdout.write(
            f"{interrupted} interrupted message(s) marked failed; "
            f"{requeued} queued message(s) handed to the worker; "
            f"{expired} expired one-time code(s) not sent; "
            f"{blanked} message(s) with a one-time code blanked; "
            f"{chunks} interrupted batch(es) of delivery events queued again."
        )
