"""Admin pages Wagtail shows to any staff member that CMSS keeps for the helpdesk.

The site history report (/admin/reports/site-history/, its results and its CSV/XLSX export)
lists who did what across the whole site: every country's clinicians, approvals, exports and
their authors. Wagtail shows it to anyone who may edit a page; CMSS keeps it for the helpdesk
and the administrators. A national contact point, an editor or a moderator still sees the history
of each page, hospital or clinician they may change, on that object's own History page.

The Health Security Committee's record (what its members read and exported, directory/committee.py)
is a small listing of its own, for the same people.
"""

from django.core.paginator import Paginator
from django.http import HttpResponseForbidden
from django.template.response import TemplateResponse
from django.urls import path, reverse
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.models import ModelLogEntry

from directory import committee
from directory.services.access import is_helpdesk
from directory.services.exports import EXPORT_ACTION

SITE_HISTORY_VIEWS = frozenset(
    {"wagtailadmin_reports:site_history", "wagtailadmin_reports:site_history_results"}
)
COMMITTEE_LOG_URL_NAME = "directory_committee_log"
COMMITTEE_LOG_PAGE_SIZE = 50
SITE_HISTORY_REFUSED = (
    "The site history is kept for the helpdesk and the administrators. Each page, hospital "
    "and clinician you may change has its own History page. If you need to know more, please "
    "write to the helpdesk."
)


def may_see_site_history(user):
    return is_helpdesk(user)


class SiteHistoryAccessMiddleware:
    """403, with an explanation, on the site history's views for everyone else signed in.

    Anonymous visitors are left to Wagtail, which sends them to sign in."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        match = request.resolver_match
        if (
            match is not None
            and match.view_name in SITE_HISTORY_VIEWS
            and request.user.is_authenticated
            and not may_see_site_history(request.user)
        ):
            return HttpResponseForbidden(SITE_HISTORY_REFUSED, content_type="text/plain")
        return None


class SiteHistoryMenuItem(MenuItem):
    """Reports → Site history, for those who may open it (it replaces Wagtail's item)."""

    def is_shown(self, request):
        return may_see_site_history(request.user)


def committee_history_url():
    return reverse(COMMITTEE_LOG_URL_NAME)


def committee_log(request):
    """What the Health Security Committee read and exported, newest first (the helpdesk's and
    the administrators'; 403 for everyone else). Wagtail's site history cannot show it to the
    helpdesk: the entries are filed under user accounts, on which the helpdesk has no rights."""
    if not may_see_site_history(request.user):
        return HttpResponseForbidden(SITE_HISTORY_REFUSED, content_type="text/plain")
    entries = (
        ModelLogEntry.objects.filter(
            action__in=(committee.VIEW_ACTION, EXPORT_ACTION),
            user__groups__name=committee.HEALTH_SECURITY_COMMITTEE,
        )
        .select_related("user")
        .order_by("-timestamp", "-pk")
    )
    page = Paginator(entries, COMMITTEE_LOG_PAGE_SIZE).get_page(request.GET.get("p"))
    return TemplateResponse(
        request,
        "directory/admin/committee_log.html",
        {"page_obj": page, "view_action": committee.VIEW_ACTION},
    )


# Registered here (directory/wagtail_hooks.py imports this module): the committee's record.
@hooks.register("register_log_actions")
def committee_log_actions(actions):
    actions.register_action(
        committee.VIEW_ACTION,
        "Committee: contact details viewed",
        "Viewed contact details in the directory (Health Security Committee)",
    )


@hooks.register("register_admin_urls")
def committee_log_urls():
    return [path("directory/committee-log/", committee_log, name=COMMITTEE_LOG_URL_NAME)]


@hooks.register("register_reports_menu_item")
def committee_log_menu_item():
    return SiteHistoryMenuItem(
        "Health Security Committee",
        committee_history_url(),
        name="cmss-committee-log",
        icon_name="view",
        order=1010,
    )
