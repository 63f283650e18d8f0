"""The Health Security Committee: members who may read the directory (/directory/ and the
admin's clinician and hospital lists, with their export) and change nothing, and the audit-log
record of every page of contact details they open.

The group (migration 0008) holds admin access, so its members sign in as staff do, second
factor included (directory/middleware.py), and the view permissions on hospitals and clinicians
only: every write view of the admin refuses them. Each page of contact details they open is
recorded with VIEW_ACTION (who, when, which page and filters); their exports are recorded by
services/exports.py as everyone's are. The helpdesk finds both in Reports → Site history,
filtered by action.
"""

from wagtail.log_actions import log

from directory.services.access import group_names

HEALTH_SECURITY_COMMITTEE = "Health Security Committee"
VIEW_ACTION = "cmss.committee_directory_view"


def is_committee_member(user):
    """Whether ``user`` (signed in and active) belongs to the Health Security Committee group.
    The group names are read once per request (access.group_names)."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    return HEALTH_SECURITY_COMMITTEE in group_names(user)


def log_contact_details_view(request, page, rows=None):
    """Record that the committee member of ``request`` opened ``page`` (a short name, e.g.
    "directory") showing contact details: path, the filters and search used, and the number of
    people listed when known. Returns the log entry."""
    data = {
        "page": page,
        "path": request.path,
        "filters": dict(request.GET.lists()),
    }
    if rows is not None:
        data["rows"] = rows
    return log(
        instance=request.user,
        action=VIEW_ACTION,
        user=request.user,
        title=f"Contact details viewed: {page}",
        data=data,
    )
