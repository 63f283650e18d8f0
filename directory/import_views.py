"""The helpdesk's spreadsheet upload: upload, preview what would happen, then import in the
background and watch its progress.

The upload request only checks what costs no parsing (the file's size; a workbook's zip
directory), stores the file and queues its preview: a dry run of directory/services/imports.py,
as the import_directory command's --dry-run, run by the task worker, which writes its report
beside the file (directory/services/import_runs.py). The preview page says the file is being
checked and refreshes itself until the report is there; paging through it reads only the page's
rows from the report. The import itself is a DirectoryImportRun run by a task too. Between upload
and import the file waits in DIRECTORY_IMPORT_DIR under a random name that only a signed token
(bound to the uploading user, valid for an hour) can name.
"""

import uuid
from pathlib import Path

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core import signing
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_http_methods
from wagtail.admin.paginator import WagtailPaginator

from directory.models import Clinician, DirectoryImportRun, Hospital
from directory.services import import_runs
from directory.services.access import countries_for_user
from directory.services.imports import (
    CREATED,
    UNCHANGED,
    UPDATED,
    DirectoryImportError,
    check_file_limits,
)

IMPORT_ACTION = import_runs.IMPORT_ACTION
SIGNING_NAMESPACE = "directory-import"
TOKEN_MAX_AGE = import_runs.PREVIEW_TOKEN_SECONDS
ROWS_PER_PAGE = 100
# Errors and warnings listed in full up to this many each; the rows pages hold every row.
ISSUES_SHOWN = import_runs.PREVIEW_ISSUES_KEPT
REFRESH_SECONDS = 2

import_dir = import_runs.import_dir


def may_import(user):
    """The import spans every country: the helpdesk and superusers, not national contact points."""
    return (
        user.is_authenticated
        and countries_for_user(user) is None
        and all(
            user.has_perm(f"directory.{action}_{model}")
            for action in ("add", "change")
            for model in ("hospital", "clinician")
        )
    )


class UploadForm(forms.Form):
    file = forms.FileField(
        label="Spreadsheet",
        help_text="CSV (UTF-8) or XLSX, one row per person or per hospital without a person.",
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        limit = settings.DIRECTORY_IMPORT_MAX_BYTES
        if upload.size > limit:
            raise forms.ValidationError(
                f"The file is {upload.size / 1e6:.1f} MB; the limit is {limit / 1e6:.0f} MB. "
                "Split it into smaller files. Nothing was read."
            )
        return upload


class ConfirmForm(forms.Form):
    token = forms.CharField(widget=forms.HiddenInput)
    skip_invalid = forms.BooleanField(
        required=False, label="Import the valid rows and leave out the rows with errors"
    )


class RestartForm(forms.Form):
    skip_invalid = forms.BooleanField(
        required=False, label="Leave out the rows with errors this time"
    )


def _stored_file(token, user):
    """(stored name, original name) of the upload `token` names for `user`, or (None, None).

    The upload may be gone when its check refused it: its report, which says why, still counts.
    """
    try:
        data = signing.loads(token, salt=SIGNING_NAMESPACE, max_age=TOKEN_MAX_AGE)
    except signing.BadSignature:
        return None, None
    if data.get("user") != user.pk:
        return None, None
    stored = data["stored"]
    if not (import_dir() / stored).exists() and not import_runs.report_path(stored).exists():
        return None, None
    return stored, data["name"]


def _preview_url(token):
    return f"{reverse('directory_import')}?{urlencode({'token': token})}"


@require_http_methods(["GET", "POST"])
def import_directory(request):
    if not may_import(request.user):
        raise PermissionDenied
    if request.method == "POST" and "token" in request.POST:
        return _check_again(request) if "check_again" in request.POST else _confirm(request)
    if request.method == "GET" and "token" in request.GET:
        return _preview(request, request.GET["token"])
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        suffix = Path(upload.name).suffix.lower()[:6]
        stored = f"{uuid.uuid4().hex}{suffix}"
        with open(import_dir() / stored, "wb") as handle:
            for chunk in upload.chunks():
                handle.write(chunk)
        try:
            # Only what costs no parsing here; the rows are checked by the task worker.
            check_file_limits(import_dir() / stored, filename=upload.name)
        except DirectoryImportError as error:
            (import_dir() / stored).unlink(missing_ok=True)
            form.add_error("file", f"{error} Nothing was written.")
        else:
            import_runs.start_preview(stored, upload.name)
            token = signing.dumps(
                {"stored": stored, "name": upload.name, "user": request.user.pk},
                salt=SIGNING_NAMESPACE,
            )
            return redirect(_preview_url(token))
    return TemplateResponse(
        request,
        "directory/admin/import_upload.html",
        {"form": form, "header_title": "Import the directory"},
    )


def _expired(request):
    messages.error(request, "That preview has expired. Upload the file again; nothing was written.")
    return redirect("directory_import")


def _preview(request, token, confirm_form=None):
    stored, name = _stored_file(token, request.user)
    if stored is None:
        return _expired(request)
    state = import_runs.preview_state(stored)
    if state.status != "ready":
        return TemplateResponse(
            request,
            "directory/admin/import_checking.html",
            {
                "state": state,
                "filename": name,
                "token": token,
                "refresh_seconds": (
                    REFRESH_SECONDS if state.status == "checking" and not state.stale else None
                ),
                "stale_minutes": int(import_runs.preview_stale_after().total_seconds() // 60),
                "header_title": "Import preview",
            },
        )
    report = state.report
    paginator = WagtailPaginator(report.rows, ROWS_PER_PAGE)
    page = paginator.get_page(request.GET.get("p"))
    return TemplateResponse(
        request,
        "directory/admin/import_preview.html",
        {
            "report": report,
            "summary": [
                ("Hospitals new", report.hospitals[CREATED]),
                ("Hospitals changed", report.hospitals[UPDATED]),
                ("Hospitals unchanged", report.hospitals[UNCHANGED]),
                ("People new", report.clinicians[CREATED]),
                ("People changed", report.clinicians[UPDATED]),
                ("Rows with errors", report.invalid),
                ("Warnings", report.warnings_total),
            ],
            "errors": report.errors[:ISSUES_SHOWN],
            "warnings": report.warnings[:ISSUES_SHOWN],
            "issues_shown": ISSUES_SHOWN,
            "page": page,
            "elided_page_range": paginator.get_elided_page_range(page.number),
            "confirm_form": confirm_form or ConfirmForm(initial={"token": token}),
            "header_title": "Import preview",
        },
    )


def _confirm(request):
    form = ConfirmForm(request.POST)
    stored, name = (None, None)
    if form.is_valid():
        stored, name = _stored_file(form.cleaned_data["token"], request.user)
    if stored is None:
        return _expired(request)
    token = form.cleaned_data["token"]
    skip_invalid = form.cleaned_data["skip_invalid"]
    state = import_runs.preview_state(stored)
    if state.status == "failed":  # the file was refused: its page says why
        return redirect(_preview_url(token))
    # Without a report (its file lost), the run checks the rows itself, all or nothing.
    errors = state.report.invalid if state.report else 0  # rows with errors
    if errors and not skip_invalid:
        messages.error(
            request,
            f"{errors} {'row has an error' if errors == 1 else 'rows have errors'}, so nothing "
            "was written. Correct them, or tick the box to leave them out.",
        )
        return _preview(request, token, confirm_form=form)
    run = import_runs.start_import_run(request.user, stored, name, skip_invalid=skip_invalid)
    import_runs.discard_preview(stored)
    return redirect("directory_import_run", run.pk)


def _check_again(request):
    """Queue the check of an upload again, when it seems stuck or stopped on an unexpected
    error (the page offers it only then)."""
    form = ConfirmForm(request.POST)
    stored, name = (None, None)
    if form.is_valid():
        stored, name = _stored_file(form.cleaned_data["token"], request.user)
    if stored is None or not (import_dir() / stored).exists():
        return _expired(request)
    state = import_runs.preview_state(stored)
    if (state.status == "checking" and state.stale) or state.can_retry:
        import_runs.start_preview(stored, name)
    return redirect(_preview_url(form.cleaned_data["token"]))


@require_http_methods(["GET", "POST"])
def import_run(request, pk):
    """A run's progress page: refreshes itself while the run is queued or running; when done, says
    what happened and links on to the list it changed; when failed, offers to start it again."""
    if not may_import(request.user):
        raise PermissionDenied
    run = get_object_or_404(DirectoryImportRun, pk=pk)
    if countries_for_user(request.user) is not None and run.user_id != request.user.pk:
        raise PermissionDenied  # only ever someone's own run, for a role limited to countries
    restart_form = RestartForm(
        request.POST if request.method == "POST" else None,
        initial={"skip_invalid": run.skip_invalid},
    )
    if request.method == "POST" and restart_form.is_valid():
        try:
            import_runs.restart_import_run(
                run, skip_invalid=restart_form.cleaned_data["skip_invalid"]
            )
        except import_runs.ImportRunNotRestartable:
            messages.error(
                request,
                "This import cannot be started again (it is still running or done, or its file "
                "is gone). "
                "Upload the file again.",
            )
        return redirect("directory_import_run", run.pk)

    interrupted = import_runs.is_interrupted(run)
    changed = import_runs.changed_list(run)
    model = {"clinicians": Clinician, "hospitals": Hospital}.get(changed)
    return TemplateResponse(
        request,
        "directory/admin/import_run.html",
        {
            "run": run,
            "refresh_seconds": REFRESH_SECONDS if run.in_progress and not interrupted else None,
            "interrupted": interrupted,
            "changed_list": changed,
            "changed_list_url": (
                reverse(model.snippet_viewset.get_url_name("list")) if model else None
            ),
            "hospitals_url": reverse(Hospital.snippet_viewset.get_url_name("list")),
            "issues": (run.counts or {}).get("issues", []),
            "file_kept": (run.status == run.Status.FAILED or interrupted)
            and import_runs.stored_path(run).exists(),
            "restart_form": restart_form,
            "header_title": f"Import of {run.filename}",
        },
    )
