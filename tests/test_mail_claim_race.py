"""Two workers given the same message at the same moment send it once (issue 9, point 7).

The claim is one conditional UPDATE (queued → sending). Read-then-save would let both workers read
"queued" and both send. Here a third connection holds the row's lock while two workers start:
reads are not blocked (PostgreSQL's MVCC), so a read-then-save claim reaches its write in both;
then the lock is released and only one claim may win.
"""

import threading
import time

import psycopg
import pytest
from django.core import mail
from django.db import connection, connections

from cms.mail import services
from cms.mail.models import OutgoingMessage

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="row locks need PostgreSQL"
)


def waiting_on_a_lock(count, timeout=20):
    """Wait until ``count`` other sessions are blocked on a lock; False if they never are."""
    deadline = time.monotonic() + timeout
    with connections["default"].cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE wait_event_type = 'Lock' AND datname = current_database()"
            )
            if cursor.fetchone()[0] >= count:
                return True
            time.sleep(0.02)
    return False


@pytest.mark.django_db(transaction=True)
def test_one_message_claimed_by_two_workers_at_once_is_sent_once(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    message = services.queue_message("lena@charite.example.eu", "Hello", "Body", kind="test")
    # Queued again, whatever queueing did with it (the test settings may have sent it already).
    OutgoingMessage.objects.filter(pk=message.pk).update(status=OutgoingMessage.Status.QUEUED)
    attempts_before = OutgoingMessage.objects.get(pk=message.pk).attempts
    mail.outbox = []
    outcomes = []

    def worker():
        try:
            outcomes.append(services.deliver(message.pk))
        finally:
            connections.close_all()

    params = connection.get_connection_params()
    with psycopg.connect(**params) as locker:
        locker.execute("BEGIN")
        locker.execute("SELECT id FROM mail_outgoingmessage WHERE id = %s FOR UPDATE", [message.pk])
        workers = [threading.Thread(target=worker) for _ in range(2)]
        for thread in workers:
            thread.start()
        assert waiting_on_a_lock(2), "both workers should be waiting for the row"
        locker.execute("COMMIT")
    for thread in workers:
        thread.join(timeout=30)

    assert sorted(outcomes) == ["sent", "skipped"]
    assert len(mail.outbox) == 1
    assert OutgoingMessage.objects.get(pk=message.pk).attempts == attempts_before + 1
