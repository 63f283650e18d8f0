"""The webinar work that runs by the clock: reminders, recordings and attendance, every few
minutes, as one django-tasks task that queues itself again.

How it starts: ``manage.py send_reminders --schedule`` queues the first run (``make run`` does it
at start-up, beside ``retry_mail``; in production, once per deployment, or from cron). Each run
does its work, then queues the next one ``WEBINAR_ROUNDS_SECONDS`` later (``run_after``) on the
task worker (``manage.py task_worker``). Starting it again while a run is already waiting queues
nothing, so restarts do not multiply the chain; a chain lost with its worker is started again by
the next start-up. Each part is safe to run twice or at the same time as its command
(``send_reminders``, ``sync_recordings``, ``read_attendance``): reminders are guarded by their
unique constraint, recordings and attendance by their row lock and their ``*_at`` marks.

A backend that cannot run a task later (the immediate backend of the tests) runs it once and
queues no next run.
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from django.utils.module_loading import import_string
from django_tasks import task

logger = logging.getLogger(__name__)

BACKEND = "background"
QUEUE = "default"
DEFAULT_INTERVAL_SECONDS = 300

# Each round: a name for the log and the service function it calls (no arguments).
ROUNDS = (
    ("reminders", "events.services.reminders.send_reminders"),
    ("recordings", "events.services.recordings.sync_recordings"),
    ("attendance", "events.services.attendance.read_attendance"),
)


def interval():
    return timedelta(
        seconds=int(getattr(settings, "WEBINAR_ROUNDS_SECONDS", DEFAULT_INTERVAL_SECONDS))
    )


def run_rounds():
    """Run every round; one that fails (Webex down) is logged and leaves the others to run.
    Returns {name: what it returned, or "failed"}."""
    results = {}
    for name, path in ROUNDS:
        try:
            results[name] = import_string(path)()
        except Exception:
            logger.exception("The periodic webinar round %r failed; it runs again next time", name)
            results[name] = "failed"
    return results


@task(backend=BACKEND, queue_name=QUEUE)
def webinar_rounds():
    """Run the rounds, then queue the next run (see the module docstring)."""
    results = run_rounds()
    _queue_next()
    return {name: str(value) for name, value in results.items()}


def _waiting():
    """Whether a run of ``webinar_rounds`` is already queued and not started (database backend
    only; other backends keep no queue we can read)."""
    backend = webinar_rounds.get_backend()
    if backend.__class__.__module__.split(".")[0] != "django_tasks_db":
        return False
    from django_tasks_db.models import DBTaskResult

    return DBTaskResult.objects.filter(
        task_path=webinar_rounds.module_path, status="READY", backend_name=backend.alias
    ).exists()


def _queue_next():
    backend = webinar_rounds.get_backend()
    if not backend.supports_defer or _waiting():
        return False
    try:
        webinar_rounds.using(run_after=timezone.now() + interval()).enqueue()
    except Exception:
        logger.exception("Could not queue the next periodic webinar run")
        return False
    return True


def start():
    """Queue a run now unless one is waiting; returns whether one was queued."""
    if _waiting():
        return False
    webinar_rounds.enqueue()
    return True
