"""Find the recordings of ended webinars on Webex and send them to the registrants:
`manage.py sync_recordings` (cron, or the periodic task in events/periodic.py)."""

from django.core.management.base import BaseCommand

from events.services import recordings


class Command(BaseCommand):
    help = (
        "For each published webinar that asked to be recorded and has ended, look for its "
        "recording on Webex and store the playback link and password on the page; then email "
        "every recording not announced yet (found here, or pasted by the helpdesk) to the "
        "webinar's registrants, once."
    )

    def handle(self, *args, **options):
        counts = recordings.sync_recordings()
        self.stdout.write(
            f"{counts['found']} recording(s) found on Webex; "
            f"{counts['announced']} webinar(s) announced to their registrants."
        )
        if counts["failed"]:
            self.stderr.write(
                f"{counts['failed']} webinar(s) could not be read from Webex (see the log); "
                "they are tried again on the next run."
            )
