"""Admin pages Wagtail shows to any staff member that CMSS keeps for the helpdesk.

The site history report (/admin/reports/site-history/, its results and its CSV/XLSX export)
lists who did what across the whole site: every country's clinicians, approvals, exports and
their authors. Wagtail shows it to anyone who may edit a page; CMSS keeps it for the helpdesk
and the administrators. A national contact point, an editor or a moderator still sees the history
of each page, hospital or clinician they may change, on that object's own History page.
"""

from django.http import HttpResponseForbidden
from wagtail.admin.menu import MenuItem

from directory.services.access import HELPDESK_GROUP

SITE_HISTORY_VIEWS = frozenset(
    {"wagtailadmin_reports:site_history", "wagtailadmin_reports:site_history_results"}
)
SITE_HISTORY_REFUSED = (
    "The site history is kept for the helpdesk and the administrators. Each page, hospital "
    "and clinician you may change has its own History page. If you need to know more, please "
    "write to the helpdesk."
)


def may_see_site_history(user):
    return bool(getattr(user, "is_authenticated", False)) and (
        user.is_superuser or user.groups.filter(name=HELPDESK_GROUP).exists()
    )


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
