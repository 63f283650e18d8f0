"""Handing a stored message to the ``send_message`` task, now or after a delay."""

import logging
import time
from datetime import timedelta

from django.utils import timezone

logger = logging.getLogger(__name__)


def wait(seconds):
    """Wait before a retry, where the task backend cannot run a task later by itself."""
    time.sleep(seconds)


def enqueue(message_id, delay=0.0):
    """Hand ``message_id`` to the send task, ``delay`` seconds from now.

    A backend that cannot defer (the immediate backend of tests) waits here instead.
    """
    from cms.mail.tasks import send_message

    try:
        if delay and send_message.get_backend().supports_defer:
            send_message.using(run_after=timezone.now() + timedelta(seconds=delay)).enqueue(
                message_id
            )
            return
        if delay:
            wait(delay)
        send_message.enqueue(message_id)
    except Exception:
        # The row stays queued; recover_stalled (manage.py retry_mail) enqueues it again.
        logger.exception("Could not enqueue outgoing message %s", message_id)
