"""What the directory keeps only for a while (see cms/retention.py): uploaded spreadsheets.

An upload waits in DIRECTORY_IMPORT_DIR with its preview's report (``.report.jsonl``) and
progress (``.progress.json``). Files of a run still queued or running are never touched. A
preview nobody imported is abandoned once its one-hour token has expired (the upload can no longer
be imported): its files go then. A failed run keeps its file, so that it can be started again,
for the retention period.
"""

from datetime import UTC, datetime, timedelta

from cms.retention import register_purger
from directory.models import DirectoryImportRun
from directory.services.import_runs import (
    PREVIEW_TOKEN_SECONDS,
    PROGRESS_SUFFIX,
    REPORT_SUFFIX,
    import_dir,
)


def _stored_name(path):
    for suffix in (REPORT_SUFFIX, PROGRESS_SUFFIX):
        if path.name.endswith(suffix):
            return path.name[: -len(suffix)]
    return path.name


@register_purger("uploaded directory spreadsheets")
def purge_import_files(older_than, now):
    """Delete upload files (with their report and progress) that no import needs any more."""
    groups = {}
    for path in import_dir().iterdir():
        if path.is_file():
            groups.setdefault(_stored_name(path), []).append(path)
    runs = dict(
        DirectoryImportRun.objects.filter(stored_name__in=groups).values_list(
            "stored_name", "status"
        )
    )
    in_progress = {DirectoryImportRun.Status.QUEUED, DirectoryImportRun.Status.RUNNING}
    abandoned_before = max(older_than, now - timedelta(seconds=PREVIEW_TOKEN_SECONDS))
    deleted = 0
    for name, paths in groups.items():
        if runs.get(name) in in_progress:
            continue
        try:
            newest = datetime.fromtimestamp(max(p.stat().st_mtime for p in paths), tz=UTC)
        except FileNotFoundError:
            continue  # changing right now, so in use
        if newest >= (older_than if name in runs else abandoned_before):
            continue
        for path in paths:
            path.unlink(missing_ok=True)
            deleted += 1
    return deleted
