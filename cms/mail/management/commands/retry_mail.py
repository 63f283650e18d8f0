"""Mend the outgoing-mail queue after a stopped worker: `manage.py retry_mail` (cron, or at start-up)."""

from django.core.management.base import BaseCommand

from cms.mail import services


class Command(BaseCommand):
    help = (
        "Mark messages interrupted mid-send as failed (never resent automatically) and hand "
        "queued messages whose task was lost to the worker again."
    )

    def handle(self, *args, **options):
        interrupted, requeued = services.recover_stalled()
        self.stdout.write(
            f"{interrupted} interrupted message(s) marked failed; "
            f"{requeued} queued message(s) handed to the worker."
        )
