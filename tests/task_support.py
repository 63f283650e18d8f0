"""Running django-tasks-db's worker inside a test, on the test's own database connection."""

import os

import pytest
from django_tasks_db.management.commands import db_worker
from django_tasks_db.management.commands.db_worker import Worker

# Tests that run the real worker: Wagtail's tasks inline, ours stored in the database.
DATABASE_TASKS = {
    "default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"},
    "background": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default", "mail"]},
}


def keep_test_connection(monkeypatch):
    # The worker recycles old connections between tasks; in a test that would close the
    # connection holding the test's transaction.
    monkeypatch.setattr(db_worker, "close_old_connections", lambda: None)


def run_worker(worker_id="test-worker"):
    """Run every due task of the "background" backend, then return (batch mode)."""
    Worker(
        queue_names=["*"],
        interval=0,
        batch=True,
        backend_name="background",
        startup_delay=False,
        max_tasks=None,
        worker_id=worker_id,
        excluded_queue_names=[],
    ).run()


# For tests whose subprocesses run on an SQLite file of their own whatever DATABASE_URL says: on
# the PostgreSQL pass they would only repeat the SQLite pass.
own_sqlite_file_only = pytest.mark.skipif(
    os.environ.get("DATABASE_URL", "").startswith("postgres"),
    reason="Runs on its own SQLite file whatever DATABASE_URL says; covered by the SQLite pass.",
)
