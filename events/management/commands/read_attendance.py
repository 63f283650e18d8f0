"""Read who attended the webinars that have ended from Webex: `manage.py read_attendance`
(cron, or the periodic task in events/periodic.py)."""

from django.core.management.base import BaseCommand

from events.services import attendance


class Command(BaseCommand):
    help = (
        "For each published webinar that ended at least 20 minutes ago and whose attendance is not "
        "read yet, read its participants from Webex, store per confirmed registrant whether they "
        "joined and for how many minutes, and mark the webinar read."
    )

    def handle(self, *args, **options):
        counts = attendance.read_attendance()
        self.stdout.write(f"Attendance read for {counts['read']} webinar(s).")
        if counts["failed"]:
            self.stderr.write(
                f"{counts['failed']} webinar(s) could not be read from Webex (see the log); "
                "nothing was lost: they are tried again on the next run."
            )
