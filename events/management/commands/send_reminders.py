"""Send the webinar reminders that are due (a day and an hour before): `manage.py send_reminders`
(cron, or the periodic task in events/periodic.py, which `--schedule` starts)."""

from django.core.management.base import BaseCommand

from events import periodic
from events.services import reminders


class Command(BaseCommand):
    help = (
        "Send each confirmed registrant of a scheduled, published webinar its reminder 24 hours "
        "and 1 hour before, with the current join link; each reminder goes out once, even when "
        "two runs meet. With --schedule, queue the periodic webinar task instead (reminders, "
        "recordings, attendance every few minutes on the task worker), unless it is queued."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--schedule",
            action="store_true",
            help="Queue the periodic webinar task on the worker (once); send nothing now.",
        )

    def handle(self, *args, schedule=False, **options):
        if schedule:
            if periodic.start():
                self.stdout.write("The periodic webinar task is queued.")
            else:
                self.stdout.write("The periodic webinar task was already queued.")
            return
        sent = reminders.send_reminders()
        self.stdout.write(f"{sent} reminder(s) sent.")
