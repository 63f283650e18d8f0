"""The directory in the Wagtail admin: one "Directory" menu, approve/suspend buttons, log actions."""

from django.urls import path, reverse
from wagtail import hooks
from wagtail.snippets.models import register_snippet

from directory import (
    admin_access,
    admin_dashboard,
    announcements_admin,  # noqa: F401 (registers its admin views and menu)
    import_views,
)
from directory.services.approval import APPROVE_ACTION, SUSPEND_ACTION
from directory.services.exports import EXPORT_ACTION
from directory.views_admin import (
    DirectoryDeleteBulkAction,
    DirectoryViewSetGroup,
    clinician_status_buttons,
)

register_snippet(DirectoryViewSetGroup)

# After Wagtail's snippet bulk delete (order 0), so that this one is what hospitals and
# clinicians get: scoped to the user's countries, and only for those who may delete.
hooks.register("register_bulk_action", DirectoryDeleteBulkAction, order=100)


@hooks.register("register_reports_menu_item")
def site_history_menu_item():
    return admin_access.SiteHistoryMenuItem(
        "Site history",
        reverse("wagtailadmin_reports:site_history"),
        name="cmss-site-history",
        icon_name="history",
        order=1000,
    )


@hooks.register("construct_reports_menu")
def only_cmss_site_history(request, menu_items):
    """Wagtail's own Site history item shows to any page editor: ours is for the helpdesk
    (admin_access.py, which also guards the report's views)."""
    menu_items[:] = [item for item in menu_items if item.name != "site-history"]


@hooks.register("register_snippet_listing_buttons")
def directory_status_buttons(snippet, user, next_url=None):
    return clinician_status_buttons(snippet, user, next_url)


# Enrolments awaiting approval, on the dashboard of those who may approve them.
hooks.register("construct_homepage_panels", admin_dashboard.construct_homepage_panels)


@hooks.register("register_log_actions")
def directory_log_actions(actions):
    actions.register_action(EXPORT_ACTION, "Directory export", "Exported the directory")
    actions.register_action(APPROVE_ACTION, "Approve clinician", "Approved the clinician")
    actions.register_action(SUSPEND_ACTION, "Suspend clinician", "Suspended the clinician")
    # Logged by services/personal_data.py (a clinician's own download and erasure).
    actions.register_action(
        "cmss.personal_data_export", "Personal data export", "Exported their personal data"
    )
    actions.register_action("cmss.erasure", "Erasure", "Erased a clinician's personal data")
    actions.register_action(
        import_views.IMPORT_ACTION, "Directory import", "Imported the directory"
    )


@hooks.register("register_admin_urls")
def directory_import_urls():
    return [
        path("directory/import/", import_views.import_directory, name="directory_import"),
        path("directory/import/<int:pk>/", import_views.import_run, name="directory_import_run"),
    ]
