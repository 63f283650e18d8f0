"""Background tasks of the mail service. They take primary keys and may run twice without harm."""

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
