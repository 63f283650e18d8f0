"""Imports started from the admin and run in the background, with their progress on record.

The upload view stores the file and calls `start_import_run`; the task (directory/tasks.py) calls
`perform_import_run`, which runs the same `run_import` as the command and records how far it got
in short transactions of their own, never inside the import's write. A run that failed wrote
nothing (the import is all or nothing) and keeps its file, so `restart_import_run` can queue it
again.

The preview before it is a dry run in the background too: `start_preview` queues it and
`perform_preview` writes its report next to the stored upload (`<stored name>.report.jsonl`,
written to a temporary file and renamed, so it is there whole or not at all), where any web worker
reads it whatever the cache; `preview_state` says whether it is ready, failed, or still being
checked (and whether the check has gone quiet for too long).
"""

import contextlib
import json
import logging
import os
import tempfile
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from wagtail.log_actions import log

from directory.models import DirectoryImportRun
from directory.services.import_reading import DirectoryImportError
from directory.services.import_report import CREATED, INVALID, UNCHANGED, UPDATED
from directory.services.imports import run_import

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


# The preview ------------------------------------------------------------------------------------

# Errors and warnings kept in full in a preview's report; every row keeps its own.
PREVIEW_ISSUES_KEPT = 500
# How long the signed link to an upload's preview is valid; after it the upload is abandoned.
PREVIEW_TOKEN_SECONDS = 3600
REPORT_SUFFIX = ".report.jsonl"
PROGRESS_SUFFIX = ".progress.json"
PREVIEW_UNEXPECTED_ERROR = (
    "The check of the file stopped on an unexpected error (it is in the server's log). Nothing "
    "was written. Check it again; if it stops again, send the file to the site's developers."
)


def preview_stale_after():
    """How long a preview may show no sign of life (queued, or no row checked) before its page
    says the check seems stuck: DIRECTORY_IMPORT_PREVIEW_STALE_MINUTES, default 10; a
    100,000-row file is checked in under two minutes."""
    minutes = getattr(settings, "DIRECTORY_IMPORT_PREVIEW_STALE_MINUTES", 10)
    return timezone.timedelta(minutes=minutes)


def report_path(stored_name):
    return import_dir() / f"{stored_name}{REPORT_SUFFIX}"


def progress_path(stored_name):
    return import_dir() / f"{stored_name}{PROGRESS_SUFFIX}"


def start_preview(stored_name, filename):
    """Queue the dry run of the stored upload `stored_name`, forgetting any earlier report of it.

    The upload's modification time marks when the check was asked for (see preview_state).
    """
    from directory.tasks import preview_directory_upload

    discard_preview(stored_name)
    with contextlib.suppress(FileNotFoundError):
        os.utime(import_dir() / stored_name)
    preview_directory_upload.enqueue(stored_name, filename)


def discard_preview(stored_name):
    """Delete the preview's report and progress of `stored_name` (not the upload)."""
    report_path(stored_name).unlink(missing_ok=True)
    progress_path(stored_name).unlink(missing_ok=True)


def perform_preview(stored_name, filename):
    """Check the stored upload `stored_name` as the import would, writing nothing to the
    directory, and write its report (or what stopped it) for the preview page. A preview already
    reported, or whose file is gone, is left alone, so the task may run twice.

    A file the import refuses (a limit, unreadable) is deleted and its report says why; an
    unexpected error keeps the file, so that the page can offer to check it again, and is raised
    again for the worker's log. Returns "ready", "failed" or None (nothing done).
    """
    path = import_dir() / stored_name
    if report_path(stored_name).exists() or not path.exists():
        return None

    def progress(done, total):
        _write_atomically(progress_path(stored_name), [{"done": done, "total": total}])

    try:
        report = run_import(path, filename=filename, dry_run=True, progress=progress)
    except DirectoryImportError as error:
        _write_atomically(report_path(stored_name), [{"error": f"{error} Nothing was written."}])
        path.unlink(missing_ok=True)
        progress_path(stored_name).unlink(missing_ok=True)
        return "failed"
    except Exception:
        logger.exception("Directory import preview of %s (%s) failed", stored_name, filename)
        _write_atomically(
            report_path(stored_name), [{"error": PREVIEW_UNEXPECTED_ERROR, "retry": True}]
        )
        progress_path(stored_name).unlink(missing_ok=True)
        raise
    _write_atomically(report_path(stored_name), _report_lines(report))
    progress_path(stored_name).unlink(missing_ok=True)
    return "ready"


def _issue(issue):
    return {"row": issue.row, "column": issue.column, "message": issue.message}


def _report_lines(report):
    """The report as JSON lines: a head (summary, counts, the first errors and warnings), then
    one line per row, so that a page of rows is read without parsing the others."""
    actions = (CREATED, UPDATED, UNCHANGED)
    yield {
        "filename": report.filename,
        "summary": report.summary(),
        "ignored_columns": list(report.ignored_columns),
        "hospitals": {action: report.hospitals[action] for action in actions},
        "clinicians": {action: report.clinicians[action] for action in actions},
        "invalid": report.counts[INVALID],
        "rows_total": len(report.rows),
        "errors_total": len(report.errors),
        "warnings_total": len(report.warnings),
        "errors": [_issue(issue) for issue in report.errors[:PREVIEW_ISSUES_KEPT]],
        "warnings": [_issue(issue) for issue in report.warnings[:PREVIEW_ISSUES_KEPT]],
    }
    for outcome in report.rows:
        yield {
            "row": outcome.row,
            "action": outcome.action,
            "hospital": outcome.hospital,
            "person": outcome.person,
            "errors": [_issue(issue) for issue in outcome.errors],
            "warnings": [_issue(issue) for issue in outcome.warnings],
        }


def _write_atomically(path, lines):
    """Write `lines` (JSON-able objects) as JSON lines to `path`: to a temporary file beside it,
    then renamed over it, so that a reader sees the whole file or none."""
    handle = tempfile.NamedTemporaryFile(  # noqa: SIM115 (closed below, renamed or deleted)
        "w", encoding="utf-8", dir=path.parent, prefix=".", suffix=".tmp", delete=False
    )
    try:
        with handle:
            for line in lines:
                handle.write(json.dumps(line, ensure_ascii=False))
                handle.write("\n")
        os.replace(handle.name, path)
    except BaseException:
        Path(handle.name).unlink(missing_ok=True)
        raise


@dataclass
class PreviewState:
    """Where a preview stands: "ready" (`report` holds it), "failed" (`error` says why;
    `can_retry` when the file is kept) or "checking" (`done` of `total` rows so far; `stale` when
    no sign of life for preview_stale_after())."""

    status: str
    report: object = None
    error: str = ""
    can_retry: bool = False
    done: int = 0
    total: int | None = None
    stale: bool = False


@dataclass
class PreviewReport:
    """A preview's report as its page needs it; `rows` reads a page of rows from the file."""

    filename: str
    summary: str
    ignored_columns: list
    hospitals: dict
    clinicians: dict
    invalid: int
    rows_total: int
    errors_total: int
    warnings_total: int
    errors: list
    warnings: list
    rows: object = field(repr=False, default=None)


class _ReportRows:
    """The rows of a report file as a sequence for a paginator: len() is their count, a slice
    reads only as far as its last row and parses only its own."""

    def __init__(self, path, total):
        self._path, self._total = path, total

    def __len__(self):
        return self._total

    def __getitem__(self, index):
        if not isinstance(index, slice):
            raise TypeError("Report rows are read by slices.")
        start, stop, _step = index.indices(self._total)
        with self._path.open(encoding="utf-8") as handle:
            lines = islice(handle, 1 + start, 1 + stop)  # the first line is the head
            return [json.loads(line) for line in lines]


def preview_state(stored_name):
    """The PreviewState of the stored upload `stored_name`, from the files the task writes."""
    path = report_path(stored_name)
    try:
        with path.open(encoding="utf-8") as handle:
            head = json.loads(handle.readline())
    except FileNotFoundError:
        head = None
    if head is not None and "error" in head:
        can_retry = bool(head.get("retry")) and (import_dir() / stored_name).exists()
        return PreviewState("failed", error=head["error"], can_retry=can_retry)
    if head is not None:
        report = PreviewReport(**head, rows=_ReportRows(path, head["rows_total"]))
        return PreviewState("ready", report=report)

    last_sign = None
    done, total = 0, None
    for sign in (import_dir() / stored_name, progress_path(stored_name)):
        try:
            mtime = sign.stat().st_mtime
        except FileNotFoundError:
            continue
        last_sign = max(last_sign or mtime, mtime)
    with contextlib.suppress(FileNotFoundError, ValueError, KeyError, TypeError):
        progress = json.loads(progress_path(stored_name).read_text(encoding="utf-8"))
        done, total = int(progress["done"]), int(progress["total"])
    stale = (
        last_sign is None
        or timezone.now().timestamp() - last_sign > preview_stale_after().total_seconds()
    )
    return PreviewState("checking", done=done, total=total, stale=stale)
