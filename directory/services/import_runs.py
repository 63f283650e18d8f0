"""Imports started from the admin and run in the background, with their progress on record.

The upload view stores the file and calls `start_import_run`; the task (directory/tasks.py) calls
`perform_import_run`, which runs the same `run_import` as the command and records how far it got
in short transactions of their own, never inside the import's write. A run that failed wrote
nothing (the import is all or nothing) and keeps its file, so `restart_import_run` can queue it
again.
"""

import logging
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from wagtail.log_actions import log

from directory.models import DirectoryImportRun
from directory.services.imports import (
    CREATED,
    UNCHANGED,
    UPDATED,
    DirectoryImportError,
    run_import,
)

logger = logging.getLogger(__name__)

IMPORT_ACTION = "cmss.directory_import"
# How many errors and warnings a run keeps to show on its page (the preview showed them all).
KEPT_ISSUES = 200
Status = DirectoryImportRun.Status


class ImportRunNotRestartable(Exception):
    """Only a failed or interrupted run whose file is still stored can be started again."""


def stale_after():
    """How long a run may be "running" before it counts as interrupted (a worker stopped or
    killed mid-run): DIRECTORY_IMPORT_STALE_MINUTES, default 30; a 15,000-row file takes under
    a minute."""
    return timezone.timedelta(minutes=getattr(settings, "DIRECTORY_IMPORT_STALE_MINUTES", 30))


def is_interrupted(run):
    """Whether `run` says "running" but its worker is long gone. Its write is one transaction,
    so such a run wrote nothing, or everything and only missed recording it; running it again
    is safe either way (rows already imported come out unchanged)."""
    return (
        run.status == Status.RUNNING
        and run.started_at is not None
        and run.started_at < timezone.now() - stale_after()
    )


def import_dir():
    """The folder where uploaded files wait for their import (DIRECTORY_IMPORT_DIR)."""
    path = Path(getattr(settings, "DIRECTORY_IMPORT_DIR", settings.BASE_DIR / "var" / "imports"))
    path.mkdir(parents=True, exist_ok=True)
    return path


def stored_path(run):
    return import_dir() / run.stored_name


def start_import_run(user, stored_name, filename, *, skip_invalid=False):
    """Record a run of the stored upload `stored_name` by `user` and queue its task after commit.

    Returns the DirectoryImportRun (status queued).
    """
    run = DirectoryImportRun.objects.create(
        user=user, filename=filename, stored_name=stored_name, skip_invalid=skip_invalid
    )
    _enqueue_after_commit(run.pk)
    return run


def restart_import_run(run, *, skip_invalid=None):
    """Queue a failed or interrupted run again from its stored file; `skip_invalid` may change
    the choice.

    Raises ImportRunNotRestartable when the run neither failed nor was interrupted, or its file
    is gone.
    """
    restartable = run.status == Status.FAILED or is_interrupted(run)
    if not restartable or not stored_path(run).exists():
        raise ImportRunNotRestartable(f"{run} cannot be started again.")
    fields = {
        "status": Status.QUEUED,
        "rows_done": 0,
        "error": "",
        "summary": "",
        "counts": {},
        "started_at": None,
        "finished_at": None,
    }
    if skip_invalid is not None:
        fields["skip_invalid"] = skip_invalid
    claimed = DirectoryImportRun.objects.filter(
        pk=run.pk, status=run.status, started_at=run.started_at
    ).update(**fields)
    if not claimed:  # someone restarted it a moment ago
        raise ImportRunNotRestartable(f"{run} cannot be started again.")
    _enqueue_after_commit(run.pk)
    run.refresh_from_db()
    return run


def _enqueue_after_commit(run_id):
    from directory.tasks import import_directory_run

    transaction.on_commit(lambda: import_directory_run.enqueue(run_id))


def perform_import_run(run_id):
    """Run the import of DirectoryImportRun `run_id`, once: a run that is not queued (already
    taken by another worker, or finished) is left alone, so the task may run twice.

    Ends with the run done (the directory written, the file deleted, an audit-log entry) or
    failed (nothing written; the error kept for the page, the file kept for a restart). Returns
    the run's final status.
    """
    now = timezone.now()
    claimed = DirectoryImportRun.objects.filter(pk=run_id, status=Status.QUEUED).update(
        status=Status.RUNNING, started_at=now, rows_done=0
    )
    if not claimed:
        return None
    run = DirectoryImportRun.objects.get(pk=run_id)
    path = stored_path(run)

    def progress(done, total):
        # Autocommit: each update is its own short transaction, outside the import's write.
        DirectoryImportRun.objects.filter(pk=run_id).update(rows_done=done, rows_total=total)

    try:
        report = run_import(
            path, filename=run.filename, skip_invalid=run.skip_invalid, progress=progress
        )
    except DirectoryImportError as error:
        return _finish(run, Status.FAILED, error=str(error))
    except Exception:
        logger.exception("Directory import run %s failed", run_id)
        _finish(
            run,
            Status.FAILED,
            error="The import stopped on an unexpected error (it is in the server's log).",
        )
        raise

    counts = _counts(report)
    if not report.written:
        errors = len(report.errors)
        return _finish(
            run,
            Status.FAILED,
            counts=counts,
            summary=report.summary(),
            error=(
                f"{errors} {'row has an error' if errors == 1 else 'rows have errors'}, so nothing "
                "was written. Correct the file and upload it again, or start this import again "
                "leaving out the rows with errors."
            ),
        )
    path.unlink(missing_ok=True)
    log(
        run.user,
        IMPORT_ACTION,
        user=run.user,
        data={"file": run.filename, "summary": report.summary(), "skip_invalid": run.skip_invalid},
    )
    return _finish(run, Status.DONE, counts=counts, summary=report.summary())


def _finish(run, status, *, counts=None, summary="", error=""):
    fields = {"status": status, "finished_at": timezone.now(), "summary": summary, "error": error}
    if counts is not None:
        fields["counts"] = counts
    DirectoryImportRun.objects.filter(pk=run.pk).update(**fields)
    return status


def _counts(report):
    actions = (CREATED, UPDATED, UNCHANGED)
    return {
        "rows": dict(report.counts),
        "hospitals": {action: report.hospitals[action] for action in actions},
        "clinicians": {action: report.clinicians[action] for action in actions},
        "errors": len(report.errors),
        "warnings": len(report.warnings),
        "issues": [
            {"kind": kind, "row": issue.row, "column": issue.column, "message": issue.message}
            for kind, issues in (("error", report.errors), ("warning", report.warnings))
            for issue in issues
        ][:KEPT_ISSUES],
    }


def changed_list(run):
    """Which list the run changed most for a person: "clinicians", "hospitals" or None."""
    counts = run.counts or {}
    clinicians = counts.get("clinicians", {})
    hospitals = counts.get("hospitals", {})
    if clinicians.get(CREATED) or clinicians.get(UPDATED):
        return "clinicians"
    if hospitals.get(CREATED) or hospitals.get(UPDATED):
        return "hospitals"
    return None
