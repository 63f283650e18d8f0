"""Background tasks of the directory. They take primary keys and may run twice without harm."""

from django_tasks import task

from directory.services import announcements, import_runs

# The mail and Webex tasks' backend (settings.TASKS["background"], the database in dev and
# production, run by `manage.py task_worker`); Wagtail's own tasks stay on
# "default" and never wait behind a long import.
BACKEND = "background"
QUEUE = "default"


@task(backend=BACKEND, queue_name=QUEUE)
def import_directory_run(run_id):
    """Run the queued DirectoryImportRun `run_id` (see import_runs.perform_import_run); a run
    already taken or finished is left alone."""
    return import_runs.perform_import_run(run_id)


@task(backend=BACKEND, queue_name=QUEUE)
def preview_directory_upload(stored_name, filename):
    """Check the stored upload `stored_name` for the preview page, writing its report beside it
    (see import_runs.perform_preview); a preview already reported is left alone."""
    return import_runs.perform_preview(stored_name, filename)


@task(backend=BACKEND, queue_name="mail")
def send_announcement(announcement_id):
    """Send the announcement `announcement_id` to its recipients in throttled batches (see
    services/announcements.run_sending); run again, it sends only what was not stored yet."""
    return announcements.run_sending(announcement_id)
