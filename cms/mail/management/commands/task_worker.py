"""The task worker that keeps going: django-tasks-db's `db_worker`, which survives a database
error.

`db_worker` ignores SQLite's "database is locked" only while it claims a task; the same error
anywhere else in its loop (marking a task done, closing old connections), or PostgreSQL going
away for a moment, ends the process, and queued mail then waits until someone restarts it. This
command runs the same worker and, after such an error, logs it, waits and carries on. A task
that was running when the error struck is left to the mail service's and booking service's own
recovery (`retry_mail`, `retry_bookings`), which never sends a message twice.

Defaults suit CMSS: the "background" backend and every queue.
"""

import logging
import time

from django.db import DatabaseError, close_old_connections
from django_tasks_db.management.commands import db_worker

logger = logging.getLogger("cms.mail.worker")


class ResilientWorker(db_worker.Worker):
    pause_after_error = 5.0

    def run(self):
        while True:
            try:
                return super().run()
            except DatabaseError as error:
                if not self.running:
                    raise
                logger.error(
                    "The task worker met a database error and carries on in %.0f s: %s",
                    self.pause_after_error,
                    error,
                )
                close_old_connections()
                time.sleep(self.pause_after_error)


class Command(db_worker.Command):
    help = (
        "Run the background task worker (mail, Webex bookings, imports); it survives "
        "database errors. Ctrl-C stops it."
    )

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.set_defaults(backend_name="background", queue_name="*", reload=False)
        parser.add_argument(
            "--pause-after-error",
            type=float,
            default=ResilientWorker.pause_after_error,
            help="Seconds to wait after a database error before carrying on (default: %(default)s)",
        )

    def handle(self, *, verbosity, queue_name, exclude_queues, pause_after_error, **options):
        self.configure_logging(verbosity)
        worker = ResilientWorker(
            queue_names=queue_name.split(","),
            excluded_queue_names=exclude_queues.split(",") if exclude_queues else [],
            interval=options["interval"],
            batch=options["batch"],
            backend_name=options["backend_name"],
            startup_delay=options["startup_delay"],
            max_tasks=options["max_tasks"],
            worker_id=options["worker_id"],
        )
        worker.pause_after_error = pause_after_error
        worker.configure_signals()
        worker.run()
