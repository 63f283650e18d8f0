"""Background tasks of the mail service. They take primary keys and may run twice without harm."""

from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from django_tasks import task

from cms.mail import services

# Our own backend (settings.TASKS["background"]: the database in dev and production, run by
# `manage.py task_worker`), so that Wagtail's own tasks on "default" keep
# running as Wagtail expects and never wait behind mail.
BACKEND = "background"


@task(backend=BACKEND, queue_name="mail")
def send_message(message_id):
    """Send the queued ``OutgoingMessage`` ``message_id`` (see ``services.deliver``)."""
    return services.deliver(message_id)


@task(backend=BACKEND, queue_name="default")
def apply_tracking_events(esp_name, records):
    """Apply a chunk of a large tracking-webhook batch (``webhooks.event_record`` dicts).

    Each event is applied once (its key is stored), so a chunk run again, or the provider's
    retry of the whole batch, changes nothing already applied."""
    from cms.mail.webhooks import apply_record

    applied = sum(1 for record in records if apply_record(record, esp_name))
    return applied


# A chunk of tracking events takes seconds; one still "running" after this lost its worker.
EVENT_CHUNK_INTERRUPTED_AFTER = timedelta(minutes=10)


def resume_interrupted_event_chunks(now=None):
    """Queue again each chunk of tracking events whose worker stopped mid-chunk (killed, or the
    machine restarted): its stored task stays "running" for ever, and the rest of its events
    would never be applied. Running a chunk again is safe: an event already applied is skipped
    (its key is stored). The stale record is replaced by the new task. Returns how many."""
    from django_tasks.base import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    now = now or timezone.now()
    stale = DBTaskResult.objects.filter(
        task_path=apply_tracking_events.module_path,
        status=TaskResultStatus.RUNNING,
        started_at__lt=now - EVENT_CHUNK_INTERRUPTED_AFTER,
    )
    resumed = 0
    for result in stale.iterator():
        with transaction.atomic():
            # Deleted first: two retry_mail runs at once queue a chunk once.
            if DBTaskResult.objects.filter(pk=result.pk, status=TaskResultStatus.RUNNING).delete()[
                0
            ]:
                apply_tracking_events.enqueue(*result.args_kwargs["args"])
                resumed += 1
    return resumed
