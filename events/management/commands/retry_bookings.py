"""Hand Webex bookings that are still waiting back to their tasks: `manage.py retry_bookings`
(cron, or at start-up), e.g. once Webex is back after an outage."""

from django.core.management.base import BaseCommand

from events import tasks


class Command(BaseCommand):
    help = (
        "Hand every Webex booking that still owes Webex something (pending, cancelling, or "
        "changed since booked) and has not been tried or changed for MINUTES back to its task."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--minutes",
            type=int,
            default=None,
            help=(
                "Only bookings with nothing done to them for this long (default: "
                "WEBEX_BOOKING_REQUEUE_AFTER_MINUTES, or "
                f"{tasks.DEFAULT_REQUEUE_AFTER_MINUTES})."
            ),
        )

    def handle(self, *args, minutes=None, **options):
        handed = tasks.requeue_stale(minutes)
        self.stdout.write(f"{handed} Webex booking(s) handed to the worker.")
