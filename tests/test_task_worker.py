"""The task worker carries on after a database error instead of exiting (manage.py task_worker)."""

import pytest
from django.db import OperationalError
from django_tasks_db.management.commands import db_worker

from cms.mail.management.commands.task_worker import ResilientWorker


def make_worker():
    worker = ResilientWorker(
        queue_names=["*"],
        excluded_queue_names=[],
        interval=0,
        batch=True,
        backend_name="background",
        startup_delay=False,
        max_tasks=None,
        worker_id="test-worker",
    )
    worker.pause_after_error = 0
    return worker


class Flaky:
    """db_worker's loop, failing the way a busy SQLite file makes it fail, then finishing."""

    def __init__(self, failures):
        self.failures = failures
        self.calls = 0

    def __call__(self, *worker):
        self.calls += 1
        if self.calls <= self.failures:
            raise OperationalError("database is locked")
        return None


def test_worker_survives_database_errors(monkeypatch, db):
    loop = Flaky(failures=2)
    monkeypatch.setattr(db_worker.Worker, "run", loop)
    make_worker().run()
    assert loop.calls == 3


def test_plain_db_worker_exits_on_the_same_error(monkeypatch, db):
    """Control: without the wrapper the error ends the worker."""
    monkeypatch.setattr(db_worker.Worker, "run", Flaky(failures=1))
    with pytest.raises(OperationalError):
        db_worker.Worker.run(make_worker())


def test_worker_stopping_does_not_retry(monkeypatch, db):
    loop = Flaky(failures=5)
    monkeypatch.setattr(db_worker.Worker, "run", loop)
    worker = make_worker()
    worker.running = False  # Ctrl-C arrived
    with pytest.raises(OperationalError):
        worker.run()
    assert loop.calls == 1
