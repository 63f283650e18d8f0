"""The helpdesk's spreadsheet upload: upload, preview what would happen, then import.

Both steps call directory/services/imports.py, as the import_directory command does. Between
preview and import the file waits in DIRECTORY_IMPORT_DIR under a random name that only a
signed token (bound to the uploading user, valid for an hour) can name.
"""

import uuid
from pathlib import Path

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core import signing
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.views.decorators.http import require_http_methods
from wagtail.log_actions import log

from directory.models import Clinician
from directory.services.access import countries_for_user
from directory.services.imports import DirectoryImportError, plan_import, run_import

IMPORT_ACTION = "cmss.directory_import"
SIGNING_NAMESPACE = "directory-import"
TOKEN_MAX_AGE = 3600
PREVIEW_ROWS = 200


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


def import_dir():
    path = Path(getattr(settings, "DIRECTORY_IMPORT_DIR", settings.BASE_DIR / "var" / "imports"))
    path.mkdir(parents=True, exist_ok=True)
    return path


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


def _stored_file(token, user):
    try:
        data = signing.loads(token, salt=SIGNING_NAMESPACE, max_age=TOKEN_MAX_AGE)
    except signing.BadSignature:
        return None, None
    if data.get("user") != user.pk:
        return None, None
    path = import_dir() / data["stored"]
    return (path, data["name"]) if path.exists() else (None, None)


@require_http_methods(["GET", "POST"])
def import_directory(request):
    if not may_import(request.user):
        raise PermissionDenied
    if request.method == "POST" and "token" in request.POST:
        return _confirm(request)
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        suffix = Path(upload.name).suffix.lower()[:6]
        stored = f"{uuid.uuid4().hex}{suffix}"
        with open(import_dir() / stored, "wb") as handle:
            for chunk in upload.chunks():
                handle.write(chunk)
        try:
            report = plan_import(import_dir() / stored, filename=upload.name)
        except DirectoryImportError as error:
            (import_dir() / stored).unlink(missing_ok=True)
            form.add_error("file", f"{error} Nothing was written.")
        else:
            token = signing.dumps(
                {"stored": stored, "name": upload.name, "user": request.user.pk},
                salt=SIGNING_NAMESPACE,
            )
            return TemplateResponse(
                request,
                "directory/admin/import_preview.html",
                {
                    "report": report,
                    "shown_rows": report.rows[:PREVIEW_ROWS],
                    "confirm_form": ConfirmForm(initial={"token": token}),
                    "header_title": "Import preview",
                },
            )
    return TemplateResponse(
        request,
        "directory/admin/import_upload.html",
        {"form": form, "header_title": "Import the directory"},
    )


def _confirm(request):
    form = ConfirmForm(request.POST)
    path, name = (None, None)
    if form.is_valid():
        path, name = _stored_file(form.cleaned_data["token"], request.user)
    if path is None:
        messages.error(
            request, "That preview has expired. Upload the file again; nothing was written."
        )
        return redirect("directory_import")
    try:
        report = run_import(path, filename=name, skip_invalid=form.cleaned_data["skip_invalid"])
    except DirectoryImportError as error:
        messages.error(request, f"{error} Nothing was written.")
        return redirect("directory_import")
    if not report.written:
        messages.error(
            request,
            f"{len(report.errors)} rows have errors, so nothing was written. Correct them, or "
            "tick the box to leave them out.",
        )
        return TemplateResponse(
            request,
            "directory/admin/import_preview.html",
            {
                "report": report,
                "shown_rows": report.rows[:PREVIEW_ROWS],
                "confirm_form": ConfirmForm(initial={"token": form.cleaned_data["token"]}),
                "header_title": "Import preview",
            },
        )
    path.unlink(missing_ok=True)
    log(
        request.user,
        IMPORT_ACTION,
        user=request.user,
        data={"file": name, "summary": report.summary(), "skip_invalid": report.skip_invalid},
    )
    messages.success(request, f"Imported {name}: {report.summary()}")
    return redirect(reverse(Clinician.snippet_viewset.get_url_name("list")))
