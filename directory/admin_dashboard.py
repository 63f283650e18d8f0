"""The admin dashboard's panel of enrolments awaiting approval, for those who may approve them.

The helpdesk sees every country's; a national contact point those of its own countries
(services/approval.py). The panel links each enrolment to its confirmation page and the whole
queue to the clinician list filtered to "awaiting approval".
"""

from django.urls import reverse
from wagtail.admin.ui.components import Component

from directory.models import Clinician
from directory.services import approval

SHOWN = 10  # the oldest enrolments listed on the dashboard; the list link shows them all


def awaiting_list_url():
    return (
        reverse("wagtailsnippets_directory_clinician:list") + f"?status={Clinician.Status.AWAITING}"
    )


class AwaitingApprovalPanel(Component):
    name = "cmss_awaiting_approval"
    template_name = "directory/admin/awaiting_approval_panel.html"
    order = 50  # first: it is the helpdesk's daily queue

    def __init__(self, user):
        self.user = user

    def get_context_data(self, parent_context=None):
        waiting = approval.awaiting_approval(self.user)
        count = waiting.count()
        oldest = list(waiting[:SHOWN]) if count else []
        home = reverse("wagtailadmin_home")
        return {
            "count": count,
            "oldest": [
                (
                    clinician,
                    reverse("wagtailsnippets_directory_clinician:approve", args=[clinician.pk])
                    + f"?next={home}",
                )
                for clinician in oldest
            ],
            "more": count - len(oldest),
            "list_url": awaiting_list_url(),
        }


def construct_homepage_panels(request, panels):
    """Wagtail hook: the panel, for users who may approve enrolments."""
    if approval.may_approve(request.user):
        panels.append(AwaitingApprovalPanel(request.user))
