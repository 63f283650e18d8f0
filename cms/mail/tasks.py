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
