"""The authorisation matrix (issue 8, point 11): every URL pattern of the site, for every role.

For each URL pattern in the URLconf (Wagtail's admin, allauth and anymail included) and each of
nine roles, a GET gives the outcome the table below expects (a page, a redirect to sign in, a
refusal, 404, 405...), and no answer holds a "secret" of the small world built here that the role
may not see: the other country's clinician's contact details, the mail log, another user's name,
a Webex booking, an import, a TOTP secret. POSTs by roles that may not act (approve, suspend,
delete, bulk delete, export, import, resend, retry, erase) change nothing.

A URL pattern without a row in EXPECTED fails test_every_url_pattern_has_a_row, which names it:
a new feature adds its rows here. Staff sessions are made TOTP-confirmed the way allauth records a
second factor (in the session, test set-up only); the app's own check stays on (strict settings).
"""

import io
import json
import os
import re
import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import pytest
from allauth.account.internal.flows.login import (
    _AUTHENTICATION_METHODS_USER_SESSION_KEY,
    AUTHENTICATION_METHODS_SESSION_KEY,
)
from allauth.account.internal.userkit import user_id_to_str
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.files.base import ContentFile
from django.db import connection
from django.test import Client, override_settings
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone
from PIL import Image as PILImage
from wagtail.admin.models import EditingSession
from wagtail.contrib.redirects.models import Redirect
from wagtail.images import get_image_model
from wagtail.models import Collection, ModelLogEntry, Site, Workflow

from cms.mail.models import OutgoingMessage, SuppressedAddress
from directory.models import Clinician, Country, Hospital
from directory.models import DirectoryImportRun as ImportRun
from directory.services.approval import approve_clinician
from directory.services.exports import EXPORT_ACTION
from events.models import WebexBooking

ROLES = (
    "anonymous",
    "pending",  # a clinician awaiting approval
    "suspended",  # a suspended clinician
    "clinician",  # an approved clinician (France)
    "ncp",  # the national contact point of France (the world's clinician is in Belgium)
    "editor",
    "moderator",
    "helpdesk",
    "admin",
)
CLINICIANS = ("pending", "suspended", "clinician")
STAFF = ("ncp", "editor", "moderator", "helpdesk", "admin")

# --- the secrets, and who may see each --------------------------------------------------------

BELGIAN_EMAIL = "xaviera.geheim@erasme.example.be"
BELGIAN_PHONE = "+3225550199"
BELGIAN_NAME = "Geheimnisvoll"
MAIL_SUBJECT = "Quarterly note zqx-subject"
MAIL_RECIPIENT = "mail-recipient-zqx@example.org"
FLAGGED = "flagged-zqx@example.org"
HELPDESK_NAME = "Deskmannova"
BOOKING_TITLE = "Tumour board zqx-booking"
IMPORT_FILE = "contacts-zqx-import.xlsx"
ADMIN_TOTP_SECRET = "JBSWY3DPEHPK3PXPZQXADMIN"

SECRETS = {
    # secret: the roles that may see it
    BELGIAN_EMAIL: {"clinician", "helpdesk", "admin"},
    BELGIAN_PHONE: {"clinician", "helpdesk", "admin"},
    BELGIAN_NAME: {"clinician", "helpdesk", "admin"},
    MAIL_SUBJECT: {"helpdesk", "admin"},
    MAIL_RECIPIENT: {"helpdesk", "admin"},
    FLAGGED: {"helpdesk", "admin"},
    HELPDESK_NAME: {"helpdesk", "admin"},
    BOOKING_TITLE: {"helpdesk", "admin"},
    IMPORT_FILE: {"helpdesk", "admin"},
    ADMIN_TOTP_SECRET: set(),
}

# --- outcomes ---------------------------------------------------------------------------------
# "200", "403", "404", "405", "400"...: that status. "login": a redirect to sign in.
# "home": Wagtail's "no permission" redirect to the dashboard. "302:/path/": a redirect there.


def outcome(response):
    code = response.status_code
    if code in (301, 302, 303, 307, 308):
        path = urlsplit(response["Location"]).path
        if path.startswith("/accounts/login/") or path in ("/admin/login/", "/_util/login/"):
            return "login"
        if path == "/admin/":
            return "home"
        return f"302:{path}"
    return str(code)


def row(default=None, **roles):
    """Expected outcome per role; ``default`` for the roles not named."""
    expected = {role: roles.get(role, default) for role in ROLES}
    missing = [role for role, value in expected.items() if value is None]
    assert not missing, missing
    return expected


def public(result="200", **roles):
    return row(result, **roles)


def admin(default="home", **staff):
    """An admin URL: anonymous visitors go to sign in, clinicians get 403 (middleware), staff
    ``default`` unless named."""
    return row(default, anonymous="login", **dict.fromkeys(CLINICIANS, "403"), **staff)


def helpdesk_only(refused="home", **others):
    return admin(refused, helpdesk="200", admin="200", **others)


@dataclass
class Case:
    expected: dict
    kwargs: dict = field(default_factory=dict)  # parameter -> world key, or "=literal"
    query: str = ""
    path: str = ""  # for a regex route with unnamed groups: "/documents/{document}/x.pdf"
    signs_out: bool = False  # a GET that drops the session cookie (known, see its row)


def case(expected, query="", path="", signs_out=False, **kwargs):
    return Case(expected, kwargs, query, path, signs_out)


# Wagtail's bulk actions, each with the ids of the world's objects it would act on.
BULK_ACTIONS = [
    # Hospitals and clinicians: for those who may delete them, scoped to their countries.
    ("directory", "clinician", "delete", "id={clinician}&id={awaiting}", helpdesk_only()),
    ("directory", "hospital", "delete", "id={hospital}", helpdesk_only()),
    # Pages, documents, images: Wagtail's confirmation page, which lists what the user may not
    # act on without acting on it (titles only: no personal data).
    ("wagtailcore", "page", "delete", "id={page}", admin("200")),
    ("wagtailcore", "page", "move", "id={page}", admin("200")),
    ("wagtailcore", "page", "publish", "id={page}", admin("200")),
    ("wagtailcore", "page", "unpublish", "id={page}", admin("200")),
    ("wagtaildocs", "document", "delete", "id={document}", admin("200")),
    ("wagtaildocs", "document", "add_to_collection", "id={document}", admin("200")),
    ("wagtaildocs", "document", "add_tags", "id={document}", admin("200")),
    ("wagtailimages", "image", "delete", "id={image}", admin("200")),
    ("wagtailimages", "image", "add_to_collection", "id={image}", admin("200")),
    ("wagtailimages", "image", "add_tags", "id={image}", admin("200")),
    # Users: the administrators'.
    ("auth", "user", "delete", "id={user}", admin(admin="200")),
    ("auth", "user", "assign_role", "id={user}", admin(admin="200")),
    ("auth", "user", "set_active_state", "id={user}", admin(admin="200")),
]

EXPECTED = {
    "admin/bulk/<str:app_label>/<str:model_name>/<str:action>/": [
        case(expected, app_label=f"={app}", model_name=f"={model}", action=f"={action}", query=q)
        for app, model, action, q, expected in BULK_ACTIONS
    ],
    "admin/login/": case(admin("login")),
    "admin/": case(admin("200")),
    "admin/test404/": case(admin("200")),
    "admin/api/main/^pages/": case(admin("200")),
    "admin/api/main/^pages/<int:pk>/": case(admin("200", ncp="404", helpdesk="404")),
    "admin/api/main/^pages/find/": case(admin("404")),
    "admin/api/main/^pages/<int:pk>/action/<str:action_name>/": case(admin("405")),
    "admin/api/main/^documents/": case(admin("200")),
    "admin/api/main/^documents/<int:pk>/": case(admin("200")),
    "admin/api/main/^documents/find/": case(admin("404")),
    "admin/api/main/^images/": case(admin("200")),
    "admin/api/main/^images/<int:pk>/": case(admin("200")),
    "admin/api/main/^images/find/": case(admin("404")),
    "admin/failwhale/": case(admin("500")),
    "admin/pages/": case(admin("200", ncp="home", helpdesk="home")),
    "admin/pages/<int:parent_page_id>/": case(admin("200", ncp="home", helpdesk="home")),
    "admin/pages/<int:parent_page_id>/results/": case(admin("200", ncp="home", helpdesk="home")),
    "admin/pages/add/<slug:content_type_app_name>/<slug:content_type_model_name>/<int:parent_page_id>/": case(
        admin("200", ncp="home", helpdesk="home")
    ),
    "admin/pages/add/<slug:content_type_app_name>/<slug:content_type_model_name>/<int:parent_page_id>/preview/": case(  # noqa: E501
        admin("200", ncp="home", helpdesk="home")
    ),
    "admin/pages/usage/<slug:content_type_app_name>/<slug:content_type_model_name>/": case(
        admin("200", ncp="home", helpdesk="home")
    ),
    "admin/pages/create/<slug:app_label>/<slug:model_name>": case(admin("200")),
    "admin/pages/usage/<slug:content_type_app_name>/<slug:content_type_model_name>/results/": case(
        admin("200", ncp="home", helpdesk="home")
    ),
    "admin/pages/<int:page_id>/usage/": case(admin("200", ncp="home", helpdesk="home")),
    "admin/pages/<int:page_id>/edit/": case(admin("200", ncp="home", helpdesk="home")),
    "admin/pages/<int:page_id>/edit/preview/": case(admin("200", ncp="home", helpdesk="home")),
    "admin/pages/<int:page_id>/view_draft/": case(admin("200", ncp="home", helpdesk="home")),
    "admin/pages/<int:parent_page_id>/add_subpage/": case(
        admin("200", ncp="home", helpdesk="home")
    ),
    "admin/pages/<int:page_id>/delete/": case(admin(moderator="200", admin="200")),
    "admin/pages/<int:page_id>/unpublish/": case(admin(moderator="200", admin="200")),
    "admin/pages/<int:page_id>/convert_alias/": case(admin("404")),
    "admin/pages/search/": case(admin("200", ncp="home", helpdesk="home")),
    "admin/pages/search/results/": case(admin("200", ncp="home", helpdesk="home")),
    "admin/pages/<int:page_to_move_id>/move/": case(admin(moderator="200", admin="200")),
    "admin/pages/<int:page_to_move_id>/move/<int:destination_id>/confirm/": case(admin("200")),
    "admin/pages/<int:page_to_move_id>/set_position/": case(admin("405")),
    "admin/pages/<int:page_id>/copy/": case(admin("200", ncp="home", helpdesk="home")),
    "admin/pages/workflow/action/<int:page_id>/<slug:action_name>/<int:task_state_id>/": case(
        admin(moderator="200", admin="200")
    ),
    "admin/pages/workflow/collect_action_data/<int:page_id>/<slug:action_name>/<int:task_state_id>/": case(
        admin(moderator="200", admin="200")
    ),
    "admin/pages/workflow/confirm_cancellation/<int:page_id>/": case(admin("200")),
    "admin/pages/workflow/preview/<int:page_id>/<int:task_id>/": case(
        admin(moderator="200", admin="200")
    ),
    "admin/pages/<int:page_id>/privacy/": case(admin(moderator="200", admin="200")),
    "admin/pages/<int:page_id>/lock/": case(admin("405")),
    "admin/pages/<int:page_id>/unlock/": case(admin("405")),
    "admin/pages/<int:page_id>/revisions/": case(admin("302:/admin/pages/{page}/history/")),
    "admin/pages/<int:page_id>/revisions/<int:revision_id>/view/": case(
        admin("200", ncp="home", helpdesk="home")
    ),
    "admin/pages/<int:page_id>/revisions/<int:revision_id>/revert/": case(
        admin("200", ncp="home", helpdesk="home")
    ),
    "admin/pages/<int:page_id>/revisions/<int:revision_id>/unschedule/": case(
        admin(moderator="200", admin="200")
    ),
    r"admin/pages/^(?P<pk>\d+)/revisions/compare/(?P<revision_id_a>live|earliest|\d+)\.\.\.(?P<revision_id_b>live|latest|\d+)/$": case(  # noqa: E501
        admin("200", ncp="home", helpdesk="home")
    ),
    "admin/pages/<int:page_id>/workflow_history/": case(admin("200", ncp="home", helpdesk="home")),
    "admin/pages/<int:page_id>/workflow_history/detail/<int:workflow_state_id>/": case(
        admin("200", ncp="home", helpdesk="home")
    ),
    "admin/pages/<int:page_id>/history/": case(admin("200", ncp="home", helpdesk="home")),
    "admin/pages/<int:page_id>/history/results/": case(admin("200", ncp="home", helpdesk="home")),
    "admin/choose-page/": case(admin("200")),
    "admin/choose-page/<int:parent_page_id>/": case(admin("200")),
    "admin/choose-page/search/": case(admin("200")),
    "admin/choose-page/chosen-multiple/": case(admin("200")),
    "admin/choose-external-link/": case(admin("200")),
    "admin/choose-email-link/": case(admin("200")),
    "admin/choose-phone-link/": case(admin("200")),
    "admin/choose-anchor-link/": case(admin("200")),
    "admin/tag-autocomplete/": case(admin("200")),
    "admin/tag-autocomplete/<slug:app_name>/<slug:model_name>/": case(admin("404")),
    "admin/collections/": case(admin(admin="200")),
    "admin/collections/add/": case(admin(admin="200")),
    "admin/collections/<int:pk>/": case(admin(admin="404")),
    "admin/collections/<int:pk>/delete/": case(admin("404")),
    "admin/collections/<int:collection_id>/privacy/": case(admin(admin="200")),
    "admin/workflows/list/": case(admin(admin="200")),
    "admin/workflows/list/results/": case(admin(admin="200")),
    "admin/workflows/add/": case(admin(admin="200")),
    "admin/workflows/enable/<int:pk>/": case(admin("405")),
    "admin/workflows/disable/<int:pk>/": case(admin(admin="200")),
    "admin/workflows/edit/<int:pk>/": case(admin(admin="200")),
    "admin/workflows/usage/<int:pk>/": case(admin(admin="200")),
    "admin/workflows/usage/<int:pk>/results/": case(admin(admin="200")),
    "admin/workflows/remove/<int:page_pk>/": case(admin("405")),
    "admin/workflows/remove/<int:page_pk>/<int:workflow_pk>/": case(admin("405")),
    "admin/workflows/tasks/add/<str:app_label>/<str:model_name>/": case(admin(admin="200")),
    "admin/workflows/tasks/select_type/": case(
        admin(admin="302:/admin/workflows/tasks/add/wagtailcore/groupapprovaltask/")
    ),
    "admin/workflows/tasks/index/": case(admin(admin="200")),
    "admin/workflows/tasks/index/results/": case(admin(admin="200")),
    "admin/workflows/tasks/edit/<int:pk>/": case(admin(admin="200")),
    "admin/workflows/tasks/disable/<int:pk>/": case(admin(admin="200")),
    "admin/workflows/tasks/enable/<int:pk>/": case(admin("405")),
    "admin/workflows/task_chooser/": case(admin("200")),
    "admin/workflows/task_chooser/results/": case(admin("200")),
    "admin/workflows/task_chooser/create/": case(admin("200")),
    "admin/workflows/task_chooser/<int:task_id>/": case(admin("200")),
    "admin/reports/locked/": case(admin(moderator="200", admin="200")),
    "admin/reports/locked/results/": case(admin(moderator="200", admin="200")),
    "admin/reports/workflow/": case(admin("200", ncp="home", helpdesk="home")),
    "admin/reports/workflow/results/": case(admin("200", ncp="home", helpdesk="home")),
    "admin/reports/workflow_tasks/": case(admin("200", ncp="home", helpdesk="home")),
    "admin/reports/workflow_tasks/results/": case(admin("200", ncp="home", helpdesk="home")),
    "admin/reports/site-history/": case(admin("403", helpdesk="200", admin="200")),
    "admin/reports/site-history/results/": case(admin("403", helpdesk="200", admin="200")),
    "admin/reports/aging-pages/": case(admin("200", ncp="home", helpdesk="home")),
    "admin/reports/aging-pages/results/": case(admin("200", ncp="home", helpdesk="home")),
    "admin/reports/page-types-usage/": case(admin("200", ncp="home", helpdesk="home")),
    "admin/reports/page-types-usage/results/": case(admin("200", ncp="home", helpdesk="home")),
    "admin/account/": case(admin("200")),
    # allauth's logout: a GET asks to confirm and signs nobody out (tests/test_admin_logout.py).
    "admin/logout/": case(row("200", anonymous="302:/", **dict.fromkeys(CLINICIANS, "403"))),
    "admin/dismissibles/": case(admin("200")),
    "admin/editing-sessions/ping/<str:app_label>/<str:model_name>/<str:object_id>/<int:session_id>/": case(
        admin("405")
    ),
    "admin/editing-sessions/release/<int:session_id>/": case(admin("405")),
    "admin/block-preview/": case(admin("404")),
    "admin/^events/webexbooking/$": case(helpdesk_only()),
    r"admin/^events/webexbooking/inspect/(?P<instance_pk>[-\w]+)/$": case(helpdesk_only()),
    r"admin/^events/webexbooking/history/(?P<instance_pk>[-\w]+)/$": case(helpdesk_only()),
    "admin/events/webex-bookings/<int:pk>/retry/": case(admin("405")),
    "admin/events/webex-bookings/<int:pk>/cancel/": case(helpdesk_only("403")),
    "admin/directory/import/": case(helpdesk_only()),
    "admin/directory/import/<int:pk>/": case(helpdesk_only()),
    "admin/^mail/outgoingmessage/$": case(helpdesk_only()),
    "admin/^mail/outgoingmessage/create/$": case(admin()),
    r"admin/^mail/outgoingmessage/edit/(?P<instance_pk>[-\w]+)/$": case(admin()),
    r"admin/^mail/outgoingmessage/delete/(?P<instance_pk>[-\w]+)/$": case(admin()),
    r"admin/^mail/outgoingmessage/inspect/(?P<instance_pk>[-\w]+)/$": case(helpdesk_only()),
    r"admin/^mail/outgoingmessage/history/(?P<instance_pk>[-\w]+)/$": case(helpdesk_only()),
    r"admin/^mail/outgoingmessage/resend/(?P<instance_pk>[-\w]+)/$": case(helpdesk_only()),
    "admin/^mail/suppressedaddress/$": case(helpdesk_only()),
    "admin/^mail/suppressedaddress/create/$": case(admin()),
    r"admin/^mail/suppressedaddress/edit/(?P<instance_pk>[-\w]+)/$": case(admin()),
    r"admin/^mail/suppressedaddress/delete/(?P<instance_pk>[-\w]+)/$": case(helpdesk_only()),
    r"admin/^mail/suppressedaddress/history/(?P<instance_pk>[-\w]+)/$": case(helpdesk_only()),
    "admin/forms/": case(admin("200", ncp="home", helpdesk="home")),
    "admin/forms/results/": case(admin("200", ncp="home", helpdesk="home")),
    "admin/forms/submissions/<int:page_id>/": case(admin("404")),
    "admin/forms/submissions/<int:page_id>/results/": case(admin("404")),
    "admin/forms/submissions/<int:page_id>/delete/": case(admin()),
    "admin/redirects/": case(admin(admin="200")),
    "admin/redirects/results/": case(admin(admin="200")),
    "admin/redirects/add/": case(admin(admin="200")),
    "admin/redirects/<int:redirect_id>/": case(admin(admin="200")),
    "admin/redirects/<int:redirect_id>/delete/": case(admin(admin="200")),
    "admin/redirects/import/": case(admin(admin="200")),
    "admin/redirects/import/process/": case(admin(admin="405")),
    "admin/settings/<slug:app_name>/<slug:model_name>/": case(
        admin(
            helpdesk="302:/admin/settings/home/sitesettings/{site}/",
            admin="302:/admin/settings/home/sitesettings/{site}/",
        )
    ),
    "admin/settings/<slug:app_name>/<slug:model_name>/<int:pk>/": case(helpdesk_only()),
    "admin/settings/<slug:app_name>/<slug:model_name>/<int:pk>/preview/": case(
        admin(helpdesk="404", admin="404")
    ),
    "admin/modeladmin/jsi18n/": case(admin("200")),
    "admin/embeds/chooser/": case(admin("200")),
    "admin/embeds/chooser/upload/": case(admin("200")),
    # The snippets index lists webinar topics to those who keep them (events 0005).
    "admin/snippets/": case(admin("200", ncp="home")),
    "admin/documents/": case(admin("200", ncp="home")),
    "admin/documents/results/": case(admin("200", ncp="home")),
    "admin/documents/add/": case(admin("200", ncp="home")),
    "admin/documents/edit/<int:document_id>/": case(admin("200", ncp="home")),
    "admin/documents/delete/<int:document_id>/": case(admin("200", ncp="home")),
    "admin/documents/multiple/add/": case(admin("200", ncp="home")),
    "admin/documents/multiple/<int:doc_id>/": case(admin("405")),
    "admin/documents/multiple/create_from_uploaded_document/<int:uploaded_file_id>/": case(
        admin("405")
    ),
    "admin/documents/multiple/<int:doc_id>/delete/": case(admin("405")),
    "admin/documents/multiple/delete_upload/<int:uploaded_file_id>/": case(admin("405")),
    "admin/documents/usage/<int:document_id>/": case(admin("200", ncp="home")),
    "admin/images/": case(admin("200", ncp="home")),
    "admin/images/results/": case(admin("200", ncp="home")),
    "admin/images/<int:image_id>/": case(admin("200", ncp="home")),
    "admin/images/<int:image_id>/delete/": case(admin("200", ncp="home")),
    "admin/images/<int:image_id>/generate_url/": case(admin("404", ncp="home")),
    "admin/images/<int:image_id>/generate_url/output/": case(admin("404", ncp="home")),
    "admin/images/<int:image_id>/preview/<str:filter_spec>/": case(admin("200", ncp="home")),
    "admin/images/add/": case(admin("200", ncp="home")),
    "admin/images/usage/<int:image_id>/": case(admin("200", ncp="home")),
    "admin/images/multiple/add/": case(admin("200", ncp="home")),
    "admin/images/multiple/<int:image_id>/": case(admin("405")),
    "admin/images/multiple/create_from_uploaded_image/<int:uploaded_file_id>/": case(admin("405")),
    "admin/images/multiple/<int:image_id>/delete/": case(admin("405")),
    "admin/images/multiple/delete_upload/<int:uploaded_file_id>/": case(admin("405")),
    "admin/snippets/directory/hospital/": case(admin("200", editor="home", moderator="home")),
    "admin/snippets/directory/hospital/results/": case(
        admin("200", editor="home", moderator="home")
    ),
    "admin/snippets/directory/hospital/add/": case(admin("200", editor="home", moderator="home")),
    "admin/snippets/directory/hospital/edit/<int:pk>/": case(
        admin("404", helpdesk="200", admin="200")
    ),
    "admin/snippets/directory/hospital/delete/<int:pk>/": case(
        admin("404", helpdesk="200", admin="200")
    ),
    "admin/snippets/directory/hospital/usage/<int:pk>/": case(
        admin("404", helpdesk="200", admin="200")
    ),
    "admin/snippets/directory/hospital/history/<int:pk>/": case(
        admin("404", helpdesk="200", admin="200")
    ),
    "admin/snippets/directory/hospital/history-results/<int:pk>/": case(
        admin("404", helpdesk="200", admin="200")
    ),
    "admin/snippets/directory/hospital/copy/<int:pk>/": case(
        admin(ncp="404", helpdesk="200", admin="200")
    ),
    "admin/snippets/choose/directory/hospital/": case(
        admin(ncp="200", helpdesk="200", admin="200")
    ),
    "admin/snippets/choose/directory/hospital/results/": case(
        admin(ncp="200", helpdesk="200", admin="200")
    ),
    "admin/snippets/choose/directory/hospital/chosen/<str:pk>/": case(
        admin(ncp="404", helpdesk="200", admin="200")
    ),
    "admin/snippets/choose/directory/hospital/chosen-multiple/": case(
        admin(ncp="200", helpdesk="200", admin="200")
    ),
    "admin/snippets/choose/directory/hospital/create/": case(
        admin("200", editor="home", moderator="home")
    ),
    "admin/snippets/directory/clinician/": case(admin("200", editor="home", moderator="home")),
    "admin/snippets/directory/clinician/results/": case(
        admin("200", editor="home", moderator="home")
    ),
    "admin/snippets/directory/clinician/add/": case(admin("200", editor="home", moderator="home")),
    "admin/snippets/directory/clinician/edit/<int:pk>/": case(
        admin("404", helpdesk="200", admin="200")
    ),
    "admin/snippets/directory/clinician/delete/<int:pk>/": case(
        admin("404", helpdesk="200", admin="200")
    ),
    "admin/snippets/directory/clinician/usage/<int:pk>/": case(
        admin("404", helpdesk="200", admin="200")
    ),
    "admin/snippets/directory/clinician/history/<int:pk>/": case(
        admin("404", helpdesk="200", admin="200")
    ),
    "admin/snippets/directory/clinician/history-results/<int:pk>/": case(
        admin("404", helpdesk="200", admin="200")
    ),
    "admin/snippets/directory/clinician/copy/<int:pk>/": case(
        admin(ncp="404", helpdesk="200", admin="200")
    ),
    "admin/snippets/directory/clinician/approve/<str:pk>/": case(
        admin("404", helpdesk="200", admin="200")
    ),
    "admin/snippets/directory/clinician/suspend/<str:pk>/": case(
        admin("404", helpdesk="200", admin="200")
    ),
    "admin/snippets/choose/directory/clinician/": case(
        admin(ncp="200", helpdesk="200", admin="200")
    ),
    "admin/snippets/choose/directory/clinician/results/": case(
        admin(ncp="200", helpdesk="200", admin="200")
    ),
    "admin/snippets/choose/directory/clinician/chosen/<str:pk>/": case(
        admin(ncp="404", helpdesk="200", admin="200")
    ),
    "admin/snippets/choose/directory/clinician/chosen-multiple/": case(
        admin(ncp="200", helpdesk="200", admin="200")
    ),
    "admin/snippets/choose/directory/clinician/create/": case(
        admin("200", editor="home", moderator="home")
    ),
    "admin/sites/": case(admin(admin="200")),
    "admin/sites/results/": case(admin(admin="200")),
    "admin/sites/new/": case(admin(admin="200")),
    "admin/sites/edit/<int:pk>/": case(admin(admin="200")),
    "admin/sites/delete/<int:pk>/": case(admin(admin="200")),
    "admin/sites/history/<int:pk>/": case(admin(admin="200")),
    "admin/sites/history-results/<int:pk>/": case(admin(admin="200")),
    "admin/sites/usage/<int:pk>/": case(admin(admin="200")),
    "admin/sites/copy/<int:pk>/": case(admin(admin="200")),
    "admin/users/": case(admin(admin="200")),
    "admin/users/results/": case(admin(admin="200")),
    "admin/users/new/": case(admin(admin="200")),
    "admin/users/edit/<int:pk>/": case(admin(admin="200")),
    "admin/users/delete/<int:pk>/": case(admin(admin="200")),
    "admin/users/history/<int:pk>/": case(admin(admin="200")),
    "admin/users/history-results/<int:pk>/": case(admin(admin="200")),
    "admin/users/usage/<int:pk>/": case(admin(admin="200")),
    "admin/users/copy/<int:pk>/": case(admin(admin="200")),
    "admin/groups/": case(admin(admin="200")),
    "admin/groups/results/": case(admin(admin="200")),
    "admin/groups/new/": case(admin(admin="200")),
    "admin/groups/edit/<int:pk>/": case(admin(admin="200")),
    "admin/groups/delete/<int:pk>/": case(admin(admin="200")),
    "admin/groups/history/<int:pk>/": case(admin(admin="200")),
    "admin/groups/history-results/<int:pk>/": case(admin(admin="200")),
    "admin/groups/usage/<int:pk>/": case(admin(admin="200")),
    "admin/documents/chooser/": case(admin("200")),
    "admin/documents/chooser/results/": case(admin("200")),
    "admin/documents/chooser/chosen/<str:pk>/": case(admin("200", ncp="home")),
    "admin/documents/chooser/chosen-multiple/": case(admin("200")),
    "admin/documents/chooser/create/": case(admin("200", ncp="home")),
    "admin/images/chooser/": case(admin("200")),
    "admin/images/chooser/results/": case(admin("200")),
    "admin/images/chooser/chosen/<str:pk>/": case(admin("200", ncp="home")),
    "admin/images/chooser/chosen-multiple/": case(admin("200")),
    "admin/images/chooser/create/": case(admin("200", ncp="home")),
    "admin/images/chooser/<int:image_id>/select_format/": case(admin("200", ncp="home")),
    "admin/sprite/": case(public(pending="403", suspended="403", clinician="403")),
    "admin/password_reset/": case(public("404", pending="403", suspended="403", clinician="403")),
    "admin/password_reset/done/": case(
        public("404", pending="403", suspended="403", clinician="403")
    ),
    "admin/password_reset/confirm/<uidb64>/<token>/": case(
        public("404", pending="403", suspended="403", clinician="403")
    ),
    "admin/password_reset/complete/": case(
        public("404", pending="403", suspended="403", clinician="403")
    ),
    "admin/jsi18n/": case(public(pending="403", suspended="403", clinician="403")),
    "admin/^.*/$": case(admin("404")),
    "accounts/signup/": case(public("302:/enrol/")),
    "accounts/2fa/totp/activate/": case(admin("302:/accounts/reauthenticate/code/")),
    "accounts/2fa/continue/": case(public("home")),
    "^accounts/password/": case(public("login")),
    "accounts/login/": case(public("302:/", anonymous="200")),
    "accounts/logout/": case(public(anonymous="302:/")),
    "accounts/inactive/": case(public()),
    "accounts/reauthenticate/": case(admin("403")),
    "accounts/reauthenticate/code/": case(admin("200")),
    "accounts/reauthenticate/code/confirm/": case(
        public("302:/accounts/reauthenticate/code/", anonymous="login")
    ),
    "accounts/email/": case(public(anonymous="login")),
    "accounts/confirm-email/": case(public("302:/accounts/email/", anonymous="login")),
    "accounts/password/change/": case(public("login")),
    "accounts/password/set/": case(public("login")),
    "accounts/password/reset/": case(public("login")),
    "accounts/login/code/confirm/": case(public("302:/", anonymous="login")),
    "accounts/password/reset/key/done/": case(public("login")),
    "accounts/^password/reset/key/(?P<uidb36>[0-9A-Za-z]+)-(?P<key>.+)/$": case(public("login")),
    "accounts/password/reset/done/": case(public("login")),
    "accounts/login/code/": case(public("302:/", anonymous="200")),
    "accounts/2fa/": case(public(anonymous="login")),
    "accounts/2fa/authenticate/": case(public("302:/", anonymous="login")),
    "accounts/2fa/reauthenticate/": case(admin("200")),
    "accounts/2fa/totp/deactivate/": case(
        public(
            "302:/accounts/reauthenticate/code/",
            anonymous="login",
            pending="404",
            suspended="404",
            clinician="404",
        )
    ),
    "accounts/2fa/recovery-codes/": case(public("404", anonymous="login")),
    "accounts/2fa/recovery-codes/generate/": case(admin("302:/accounts/reauthenticate/code/")),
    "accounts/2fa/recovery-codes/download/": case(public("404", anonymous="login")),
    "anymail/<slug:esp>/tracking/": case(public("405")),
    "enrol/": case(public()),
    "enrol/confirmed/": case(public()),
    "enrol/hospitals/": case(public("400")),
    "hospitals/": case(public()),
    "directory/": case(
        public("403", anonymous="login", clinician="200", ncp="200", helpdesk="200", admin="200")
    ),
    "account/": case(public(anonymous="login")),
    "account/mailing-list/": case(public("405")),
    "account/download/": case(public(anonymous="login")),
    "account/erase/": case(public(anonymous="login")),
    "^(?:_util|documents)/authenticate_with_password/": case(public("404")),
    "_util/login/": case(public("login")),
    r"documents/^(\d+)/(.*)$": case(public(), path="/documents/{document}/{document_file}"),
    "documents/authenticate_with_password/<int:restriction_id>/": case(public("login")),
    "sitemap.xml": case(public()),
    "robots.txt": case(public()),
    "_util/authenticate_with_password/<int:page_view_restriction_id>/<int:page_id>/": case(
        public("login")
    ),
    # After registration (issue 10, points 7 and 8): an attendee's certificate (their own
    # attended registration only; the world has none), and the helpdesk's registrations of a
    # webinar (the world's page is not a webinar: 404 for those let in; actions are POST only).
    "account/webinars/<int:pk>/certificate/": case(public("404", anonymous="login"), pk="=999999"),
    "admin/events/webinars/<int:page_id>/registrations/": case(
        admin("403", helpdesk="404", admin="404")
    ),
    "admin/events/webinars/<int:page_id>/registrations/export/": case(
        admin("403", helpdesk="404", admin="404")
    ),
    "admin/events/webinars/<int:page_id>/registrations/promote/": case(admin("405")),
    "admin/events/webinars/<int:page_id>/registrations/message/": case(admin("405")),
    "admin/events/webinars/<int:page_id>/registrations/<int:registration_id>/cancel/": case(
        admin("405"), registration_id="=999999"
    ),
    # Webinar proposals (issue 10, point 2): the form for approved clinicians, and the
    # helpdesk's queue (events 0009 grants the Helpdesk view and change on proposals).
    "webinars/propose/": case(public("403", anonymous="login", clinician="200")),
    "webinars/propose/sent/": case(public(anonymous="login")),
    # A registrant's own join link: a token that is not ours opens nothing.
    "webinars/join/<str:token>/": case(public("404")),
    "admin/^events/webinarproposal/$": case(helpdesk_only()),
    r"admin/^events/webinarproposal/inspect/(?P<instance_pk>[-\w]+)/$": case(
        admin("404"), instance_pk="=999999"
    ),
    r"admin/^events/webinarproposal/history/(?P<instance_pk>[-\w]+)/$": case(
        admin("404"), instance_pk="=999999"
    ),
    "admin/events/webinar-proposals/<int:pk>/announce/": case(
        admin("403", helpdesk="404", admin="404"), pk="=999999"
    ),
    "admin/events/webinar-proposals/<int:pk>/schedule/": case(
        admin("403", helpdesk="404", admin="404"), pk="=999999"
    ),
    "admin/events/webinar-proposals/<int:pk>/decline/": case(
        admin("403", helpdesk="404", admin="404"), pk="=999999"
    ),
    # Webinar topics, a snippet kept by the helpdesk and the policy officials (events 0005).
    "admin/snippets/events/topic/": case(admin("200", ncp="home")),
    "admin/snippets/events/topic/results/": case(admin("200", ncp="home")),
    "admin/snippets/events/topic/add/": case(admin("200", ncp="home")),
    "admin/snippets/events/topic/edit/<int:pk>/": case(admin("404"), pk="=999999"),
    "admin/snippets/events/topic/delete/<int:pk>/": case(admin("404"), pk="=999999"),
    "admin/snippets/events/topic/usage/<int:pk>/": case(admin("404"), pk="=999999"),
    "admin/snippets/events/topic/history/<int:pk>/": case(admin("404"), pk="=999999"),
    "admin/snippets/events/topic/history-results/<int:pk>/": case(admin("404"), pk="=999999"),
    "admin/snippets/events/topic/copy/<int:pk>/": case(admin("404"), pk="=999999"),
    "admin/snippets/choose/events/topic/": case(admin("200")),
    "admin/snippets/choose/events/topic/results/": case(admin("200")),
    "admin/snippets/choose/events/topic/chosen/<str:pk>/": case(admin("404"), pk="=999999"),
    "admin/snippets/choose/events/topic/chosen-multiple/": case(admin("200")),
    "admin/snippets/choose/events/topic/create/": case(admin("200", ncp="home")),
    # The webinar catalogue's calendars (issue 10, point 1): public; the world has no webinar.
    "webinars/feed.ics": case(public()),
    "webinars/<slug:slug>/calendar.ics": case(public("404"), slug="=no-such-webinar"),
    # Case conference requests (issue 11, point 1): the form and the picker's search for
    # approved clinicians (the search answers JSON 403, never a sign-in page); a confirmation
    # is its requester's only.
    "conferences/request/": case(public("403", anonymous="login", clinician="200")),
    "conferences/request/invitees/": case(public("403", clinician="200")),
    "conferences/request/<int:pk>/sent/": case(public("404", anonymous="login"), pk="=999999"),
    # Webinar registration (issue 10, point 4): public; the world has no webinar and no
    # registration, so each answers 404.
    "webinars/<slug:slug>/register/": case(public("404"), slug="=no-such-webinar"),
    "webinars/<slug:slug>/register/code/": case(public("404"), slug="=no-such-webinar"),
    "webinars/cancel/<str:token>/": case(public("404"), token="=no-such-token"),
    # Case conferences (issue 11, points 3 and 4): an invitee's no-login poll link (a token
    # that is not ours opens nothing), and the helpdesk's queue (events 0008 grants the
    # Helpdesk view and change); a step's page refuses staff who may not work requests.
    "conferences/poll/<str:token>/": case(public("404")),
    "admin/^events/conferencerequest/$": case(helpdesk_only()),
    r"admin/^events/conferencerequest/inspect/(?P<instance_pk>[-\w]+)/$": case(
        admin("404"), instance_pk="=999999"
    ),
    r"admin/^events/conferencerequest/history/(?P<instance_pk>[-\w]+)/$": case(
        admin("404"), instance_pk="=999999"
    ),
    "admin/events/case-conferences/<int:pk>/ask/": case(
        admin("403", helpdesk="404", admin="404"), pk="=999999"
    ),
    "admin/events/case-conferences/<int:pk>/schedule/": case(
        admin("403", helpdesk="404", admin="404"), pk="=999999"
    ),
    "admin/events/case-conferences/<int:pk>/reschedule/": case(
        admin("403", helpdesk="404", admin="404"), pk="=999999"
    ),
    "admin/events/case-conferences/<int:pk>/hold/": case(
        admin("403", helpdesk="404", admin="404"), pk="=999999"
    ),
    "admin/events/case-conferences/<int:pk>/close/": case(
        admin("403", helpdesk="404", admin="404"), pk="=999999"
    ),
    "admin/events/case-conferences/<int:pk>/decline/": case(
        admin("403", helpdesk="404", admin="404"), pk="=999999"
    ),
    "admin/events/case-conferences/<int:pk>/cancel/": case(
        admin("403", helpdesk="404", admin="404"), pk="=999999"
    ),
    # The mailing list (issue 12, points 1 and 2): the unsubscribe link needs no sign-in (a
    # token that is not ours opens nothing; rejoining is POST only); the members and the
    # announcements are the helpdesk's and the administrators' (others: Wagtail's no-permission
    # redirect).
    "mailing-list/leave/<str:token>/": case(public("404"), token="=no-such-token"),
    "mailing-list/rejoin/<str:token>/": case(public("405"), token="=no-such-token"),
    "admin/mailing-list/": case(admin("home", helpdesk="200", admin="200")),
    "admin/announcements/": case(admin("home", helpdesk="200", admin="200")),
    "admin/announcements/add/": case(admin("home", helpdesk="200", admin="200")),
    "admin/announcements/<int:pk>/": case(admin("home", helpdesk="404", admin="404"), pk="=999999"),
    "admin/announcements/<int:pk>/edit/": case(
        admin("home", helpdesk="404", admin="404"), pk="=999999"
    ),
    "admin/announcements/<int:pk>/send/": case(
        admin("home", helpdesk="404", admin="404"), pk="=999999"
    ),
    "admin/announcements/<int:pk>/test/": case(
        admin("home", helpdesk="405", admin="405"), pk="=999999"
    ),
    "admin/announcements/<int:pk>/resume/": case(
        admin("home", helpdesk="405", admin="405"), pk="=999999"
    ),
    # The helpdesk's statistics and their CSV (issue 12, point 8): the Helpdesk and the
    # administrators; other staff get 403.
    "admin/events/statistics/": case(admin("403", helpdesk="200", admin="200")),
    "admin/events/statistics/export/": case(admin("403", helpdesk="200", admin="200")),
    # The information package (issue 12, point 3): its version, who was sent which, and sending it
    # (POST only) are the helpdesk's and the administrators' (others: Wagtail's no-permission
    # redirect); the printable page and the PDF are routes of the package page (public).
    "admin/information-package/": case(admin("home", helpdesk="200", admin="200")),
    "admin/information-package/send/": case(admin("home", helpdesk="405", admin="405")),
    "admin/information-package/send/<int:pk>/": case(
        admin("home", helpdesk="405", admin="405"), pk="=999999"
    ),
    # Accepting a new privacy statement (issue 12, point 4): for anyone signed in; the world has no
    # statement in force, so those let in get 404.
    "account/privacy-consent/": case(public("404", anonymous="login")),
    # The Health Security Committee's record of directory use (issue 12, point 5): the
    # helpdesk's and the administrators'; other staff get 403.
    "admin/directory/committee-log/": case(admin("403", helpdesk="200", admin="200")),
    r"^((?:[\w\-]+/)*)$": [case(public(), path="/"), case(public(), path="/procedures/")],
}


def observed_table():
    return EXPECTED


# --- the world --------------------------------------------------------------------------------


def png():
    buffer = io.BytesIO()
    PILImage.new("RGB", (20, 20), "white").save(buffer, "PNG")
    return ContentFile(buffer.getvalue(), name="square.png")


@pytest.fixture
def world(home_page, make_standard_page, make_document, make_staff):
    belgium = Country.objects.get(code="BE")
    france = Country.objects.get(code="FR")
    erasme = Hospital.objects.create(name="Hôpital Erasme", city="Brussels", country=belgium)
    necker = Hospital.objects.create(name="Hôpital Necker", city="Paris", country=france)
    belgian = Clinician.objects.create(
        hospital=erasme,
        first_name="Xaviera",
        last_name=BELGIAN_NAME,
        email=BELGIAN_EMAIL,
        phone=BELGIAN_PHONE,
        status=Clinician.Status.AWAITING,
    )
    awaiting = Clinician.objects.create(
        hospital=erasme,
        first_name="Waiting",
        last_name="Belgian",
        email="waiting.belgian@erasme.example.be",
        status=Clinician.Status.AWAITING,
    )
    users = {}
    for role, status in (
        ("pending", Clinician.Status.AWAITING),
        ("suspended", Clinician.Status.SUSPENDED),
        ("clinician", Clinician.Status.APPROVED),
    ):
        user = make_staff(role)
        Clinician.objects.create(
            hospital=necker,
            first_name=role.title(),
            last_name="Doctor",
            email=user.email,
            status=status,
            user=user,
        )
        users[role] = user
    for role, group in (
        ("ncp", "National contact point – France"),
        ("editor", "Editors"),
        ("moderator", "Moderators"),
        ("helpdesk", "Helpdesk"),
        ("admin", None),
    ):
        user = make_staff(role, group, superuser=role == "admin")
        EmailAddress.objects.create(user=user, email=user.email, primary=True, verified=True)
        Authenticator.objects.create(
            user=user,
            type=Authenticator.Type.TOTP,
            data={"secret": ADMIN_TOTP_SECRET if role == "admin" else f"SECRET{role.upper()}"},
        )
        users[role] = user
    helpdesk = users["helpdesk"]
    helpdesk.first_name, helpdesk.last_name = "Helga", HELPDESK_NAME
    helpdesk.save()
    approve_clinician(belgian, helpdesk)  # a log entry naming both
    page = make_standard_page(home_page, "Procedures")
    page.title = "Procedures (draft)"
    page.save_revision(user=users["editor"])
    workflow_state = Workflow.objects.get(name="Policy review").start(page, users["editor"])
    document = make_document("Procedures leaflet")
    image = get_image_model().objects.create(title="Square", file=png())
    message = OutgoingMessage.objects.create(
        recipient=MAIL_RECIPIENT,
        from_email="helpdesk@cmss.example.eu",
        subject=MAIL_SUBJECT,
        body_text="Hello.",
        status=OutgoingMessage.Status.SENT,
    )
    flagged = SuppressedAddress.objects.create(email=FLAGGED, reason="bounced")
    booking = WebexBooking.objects.create(
        title=BOOKING_TITLE,
        start=timezone.now() + timezone.timedelta(days=3),
        end=timezone.now() + timezone.timedelta(days=3, hours=1),
    )
    import_run = ImportRun.objects.create(
        user=helpdesk, filename=IMPORT_FILE, stored_name="x.xlsx", status="done"
    )
    site = Site.objects.get(is_default_site=True)
    session = EditingSession.objects.create(
        user=users["editor"],
        content_type=page.content_type,
        object_id=str(page.pk),
        last_seen_at=timezone.now(),
    )
    values = {
        "home": home_page.pk,
        "page": page.pk,
        "revision": page.latest_revision.pk,
        "workflow_state": workflow_state.pk,
        "task_state": workflow_state.current_task_state.pk,
        "task": workflow_state.current_task_state.task_id,
        "workflow": workflow_state.workflow_id,
        "document": document.pk,
        "document_file": document.filename,
        "image": image.pk,
        "collection": Collection.get_first_root_node().pk,
        "hospital": erasme.pk,
        "clinician": belgian.pk,
        "awaiting": awaiting.pk,
        "message": message.pk,
        "flagged": flagged.pk,
        "booking": booking.pk,
        "import_run": import_run.pk,
        "site": site.pk,
        "redirect": Redirect.objects.create(old_path="/old", redirect_link="/new").pk,
        "user": helpdesk.pk,
        "group": Group.objects.get(name="Helpdesk").pk,
        "editing_session": session.pk,
    }
    return {"users": users, "values": values, "belgian": belgian, "awaiting": awaiting}


def sign_in(client, world, role):
    if role == "anonymous":
        return client
    user = world["users"][role]
    client.force_login(user)
    if role in STAFF:
        # What allauth records once the TOTP step is passed (test set-up only: the middleware
        # still checks it, CMSS_DEMO_RELAX_STAFF_MFA is off below).
        session = client.session
        session[_AUTHENTICATION_METHODS_USER_SESSION_KEY] = user_id_to_str(user)
        session[AUTHENTICATION_METHODS_SESSION_KEY] = [
            {"method": "code", "email": user.email, "at": time.time()},
            {"method": "mfa", "type": "totp", "at": time.time()},
        ]
        session.save()
    return client


# --- walking the URLconf ----------------------------------------------------------------------


def url_patterns(resolver=None, prefix=""):
    """(route, name) of every URL pattern, Wagtail's and the packages' included; each route once
    (a pattern shadowed by an earlier one with the same route is never reached)."""
    resolver = resolver or get_resolver()
    for pattern in resolver.url_patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            yield from url_patterns(pattern, route)
        elif isinstance(pattern, URLPattern):
            yield route, pattern.name


def routes():
    seen = {}
    for route, name in url_patterns():
        seen.setdefault(route, name)
    return seen


PARAMETER = re.compile(r"<(?:\w+:)?(\w+)>|\(\?P<(\w+)>(?:[^()]|\([^()]*\))*\)")


# Which object of the world fills a URL parameter: by its name, or for names that mean
# different things in different places (pk, app_label...) by the route's beginning. A case in
# EXPECTED can give its own (case(..., pk="page")). "=text" is the text itself.
PARAMETERS = {
    "page_id": "page",
    "parent_page_id": "home",
    "page_to_move_id": "page",
    "destination_id": "home",
    "page_pk": "page",
    "revision_id": "revision",
    "revision_id_a": "=earliest",
    "revision_id_b": "=latest",
    "task_state_id": "task_state",
    "workflow_state_id": "workflow_state",
    "task_id": "task",
    "workflow_pk": "workflow",
    "action_name": "=approve",
    "content_type_app_name": "=home",
    "content_type_model_name": "=standardpage",
    "collection_id": "collection",
    "redirect_id": "redirect",
    "document_id": "document",
    "doc_id": "document",
    "image_id": "image",
    "uploaded_file_id": "=999999",
    "filter_spec": "=fill-10x10",
    "uidb64": "=MQ",
    "token": "=set-password",
    "uidb36": "=1",
    "key": "=nokey",
    "restriction_id": "=999999",
    "page_view_restriction_id": "=999999",
    "esp": "=mailgun",
    "session_id": "editing_session",
    "object_id": "page",
}
BY_PREFIX = [  # (route prefix, {parameter: value}), the first that matches
    ("admin/api/main/^pages/", {"pk": "page", "action_name": "=copy"}),
    ("admin/api/main/^documents/", {"pk": "document"}),
    ("admin/api/main/^images/", {"pk": "image"}),
    ("admin/pages/^(?P<pk>", {"pk": "page"}),
    ("admin/pages/create/", {"app_label": "=home", "model_name": "=standardpage"}),
    ("admin/collections/", {"pk": "collection"}),
    (
        "admin/workflows/tasks/",
        {"pk": "task", "app_label": "=wagtailcore", "model_name": "=groupapprovaltask"},
    ),
    ("admin/workflows/", {"pk": "workflow"}),
    ("admin/tag-autocomplete/", {"app_name": "=wagtaildocs", "model_name": "=document"}),
    ("admin/editing-sessions/", {"app_label": "=wagtailcore", "model_name": "=page"}),
    ("admin/settings/", {"app_name": "=home", "model_name": "=sitesettings", "pk": "site"}),
    ("admin/^events/webexbooking/", {"instance_pk": "booking"}),
    ("admin/events/webex-bookings/", {"pk": "booking"}),
    ("admin/^mail/outgoingmessage/", {"instance_pk": "message"}),
    ("admin/^mail/suppressedaddress/", {"instance_pk": "flagged"}),
    ("admin/directory/import/", {"pk": "import_run"}),
    ("admin/snippets/directory/hospital/", {"pk": "hospital"}),
    ("admin/snippets/directory/clinician/", {"pk": "clinician"}),
    ("admin/snippets/choose/directory/hospital/", {"pk": "hospital"}),
    ("admin/snippets/choose/directory/clinician/", {"pk": "clinician"}),
    ("admin/sites/", {"pk": "site"}),
    ("admin/users/", {"pk": "user"}),
    ("admin/groups/", {"pk": "group"}),
    ("admin/documents/chooser/", {"pk": "document"}),
    ("admin/images/chooser/", {"pk": "image"}),
]


def build_url(route, item, values):
    if item.path:
        return item.path.format(**values)
    kwargs = dict(PARAMETERS)
    kwargs.update(next((given for prefix, given in BY_PREFIX if route.startswith(prefix)), {}))
    kwargs.update(item.kwargs)

    def value(name):
        spec = kwargs.get(name)
        if spec is None:
            raise KeyError(f"{route!r}: no value for <{name}>: give it in its EXPECTED row")
        return spec[1:] if spec.startswith("=") else str(values[spec])

    path = PARAMETER.sub(lambda m: value(m.group(1) or m.group(2)), route)
    path = path.replace("^", "").replace("$", "").replace("\\.", ".")
    return "/" + path


def secrets_in(body, role):
    return [secret for secret, allowed in SECRETS.items() if role not in allowed and secret in body]


def body_of(response):
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content).decode("utf-8", "replace")
    return response.content.decode("utf-8", "replace")


def test_every_url_pattern_has_a_row():
    missing = sorted(route for route in routes() if route not in EXPECTED)
    assert not missing, (
        "These URL patterns have no row in EXPECTED (tests/test_authorisation_matrix.py); add one "
        "per pattern saying what each role gets:\n  " + "\n  ".join(missing)
    )
    stale = sorted(set(EXPECTED) - set(routes()))
    assert not stale, "Rows for URL patterns that no longer exist: remove them:\n  " + "\n  ".join(
        stale
    )


RECORD = os.environ.get("CMSS_MATRIX_RECORD")  # a path: write what each role got, to draft rows
# The walk (about 2,900 requests) runs in one database pass of `make test`: the cheaper one.
ONE_PASS = "sqlite"


@override_settings(CMSS_DEMO_RELAX_STAFF_MFA=False)
@pytest.mark.parametrize("role", ROLES)
def test_every_url_for_every_role(world, role):
    if connection.vendor != ONE_PASS:
        pytest.skip(
            f"the full walk runs once, in the {ONE_PASS} pass (about 60 s there, 150 s on "
            "PostgreSQL); who may see what does not depend on the database"
        )
    client = sign_in(Client(raise_request_exception=False), world, role)
    failures, record = [], {}
    for route in routes():
        cases = EXPECTED.get(route)
        if cases is None:
            if not RECORD:
                continue  # reported by test_every_url_pattern_has_a_row
            cases = [case(row("?"))]
        for item in cases if isinstance(cases, list) else [cases]:
            try:
                url = build_url(route, item, world["values"])
            except KeyError as error:
                failures.append(str(error))
                continue
            query = item.query.format(**world["values"])
            response = client.get(url + (f"?{query}" if query else ""))
            got = outcome(response)
            record.setdefault(route, []).append(got)
            want = item.expected[role].format(**world["values"])
            if got != want:
                failures.append(f"{url}?{item.query}: expected {want}, got {got}")
            leaked = secrets_in(body_of(response), role)
            if leaked:
                failures.append(f"{url}?{item.query} ({got}) shows {leaked}")
            if role != "anonymous" and "_auth_user_id" not in client.session:
                if not item.signs_out:
                    failures.append(f"{url}?{item.query}: a GET signed {role} out")
                client = sign_in(Client(raise_request_exception=False), world, role)
    if RECORD:
        with open(f"{RECORD}.{role}.json", "w") as out:
            json.dump({"record": record, "failures": failures}, out, indent=0)
    assert not failures, f"{role}:\n  " + "\n  ".join(failures)


# --- POSTs by those who may not act change nothing -------------------------------------------


def state(world):
    return {
        "belgian": Clinician.objects.filter(pk=world["belgian"].pk)
        .values_list("status", flat=True)
        .first(),
        "awaiting": Clinician.objects.filter(pk=world["awaiting"].pk)
        .values_list("status", flat=True)
        .first(),
        "clinicians": Clinician.objects.count(),
        "hospitals": Hospital.objects.count(),
        "users": get_user_model().objects.count(),
        "exports": ModelLogEntry.objects.filter(action=EXPORT_ACTION).count(),
        "imports": ImportRun.objects.count(),
        "messages": OutgoingMessage.objects.count(),
        "flagged": SuppressedAddress.objects.count(),
        "booking": WebexBooking.objects.values_list("attempts", "status").first(),
    }


def posts(values):
    clinician, awaiting, hospital = values["clinician"], values["awaiting"], values["hospital"]
    return [
        (f"/admin/snippets/directory/clinician/approve/{awaiting}/", {}),
        (f"/admin/snippets/directory/clinician/suspend/{clinician}/", {}),
        (f"/admin/snippets/directory/clinician/delete/{clinician}/", {}),
        (f"/admin/snippets/directory/hospital/delete/{hospital}/", {}),
        (f"/admin/bulk/directory/clinician/delete/?id={clinician}&id={awaiting}", {}),
        (f"/admin/bulk/directory/hospital/delete/?id={hospital}", {}),
        (f"/admin/bulk/wagtailusers/user/delete/?id={values['user']}", {}),
        (f"/admin/users/delete/{values['user']}/", {}),
        ("/admin/snippets/directory/clinician/?export=csv", {}),
        ("/admin/directory/import/", {"file": ContentFile(b"country,hospital\nBE,X\n", "x.csv")}),
        (f"/admin/mail/outgoingmessage/resend/{values['message']}/", {}),
        (f"/admin/mail/suppressedaddress/delete/{values['flagged']}/", {}),
        (f"/admin/events/webex-bookings/{values['booking']}/retry/", {}),
        (f"/admin/events/webex-bookings/{values['booking']}/cancel/", {}),
        ("/account/erase/", {"confirm": "on"}),
    ]


@override_settings(CMSS_DEMO_RELAX_STAFF_MFA=False)
@pytest.mark.parametrize("role", [r for r in ROLES if r not in ("helpdesk", "admin")])
def test_posts_by_those_who_may_not_act_change_nothing(world, role):
    client = sign_in(Client(raise_request_exception=False), world, role)
    before = state(world)
    for url, data in posts(world["values"]):
        if url == "/account/erase/" and role in CLINICIANS:
            continue  # a clinician may erase themselves: that is their right, not a breach
        response = client.post(url, data)
        assert response.status_code < 500, (url, response.status_code)
        assert state(world) == before, (role, url)
        assert not secrets_in(body_of(response), role), (role, url)
