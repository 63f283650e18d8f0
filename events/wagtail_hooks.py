"""The events app in the Wagtail admin: the Webex bookings queue and its retry action, and the
webinar proposals queue with its steps."""

from django.urls import path, reverse
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.admin.panels import FieldPanel
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet
from wagtail_modeladmin.options import modeladmin_register

from events import (
    conferences_admin,  # noqa: F401 (the case conference queue and its log actions)
    dashboard,
)
from events.admin import RETRY_URL_NAME, WebexBookingAdmin, retry_booking
from events.models import Topic
from events.proposals_admin import WebinarProposalAdmin
from events.registrations_admin import registration_urls  # noqa: F401 (its hooks: a webinar's registrations)
from events.services import proposals
from events.views import statistics as statistics_views

modeladmin_register(WebexBookingAdmin)
modeladmin_register(WebinarProposalAdmin)

# The helpdesk's events panels on the admin home (events/dashboard.py).
hooks.register("construct_homepage_panels", dashboard.construct_homepage_panels)


@hooks.register("register_admin_urls")
def register_booking_urls():
    return [
        path("events/webex-bookings/<int:pk>/retry/", retry_booking, name=RETRY_URL_NAME),
    ]


@hooks.register("register_admin_urls")
def register_statistics_urls():
    return [
        path(
            "events/statistics/",
            statistics_views.statistics_page,
            name=statistics_views.URL_NAME,
        ),
        path(
            "events/statistics/export/",
            statistics_views.statistics_export,
            name=statistics_views.EXPORT_URL_NAME,
        ),
    ]


class HelpdeskMenuItem(MenuItem):
    def is_shown(self, request):
        return dashboard.for_helpdesk(request.user)


@hooks.register("register_admin_menu_item")
def statistics_menu_item():
    return HelpdeskMenuItem(
        "Statistics",
        reverse(statistics_views.URL_NAME),
        name="cmss-statistics",
        icon_name="table",
        order=900,
    )


@hooks.register("register_log_actions")
def proposal_log_actions(actions):
    actions.register_action(proposals.SUBMIT_ACTION, "Propose webinar", "Proposed the webinar")
    actions.register_action(
        proposals.ANNOUNCE_ACTION, "Announce proposal", "Announced the proposal to the list"
    )
    actions.register_action(
        proposals.SCHEDULE_ACTION, "Schedule proposal", "Made the draft webinar of the proposal"
    )
    actions.register_action(proposals.DECLINE_ACTION, "Decline proposal", "Declined the proposal")
    actions.register_action(
        statistics_views.EXPORT_ACTION, "Statistics export", "Exported the statistics"
    )


class TopicViewSet(SnippetViewSet):
    """Topics the catalogue is filtered by: kept by the helpdesk and the policy officials."""

    model = Topic
    icon = "tag"
    menu_label = "Webinar topics"
    add_to_admin_menu = False
    list_display = ["name", "slug"]
    search_fields = ["name"]
    panels = [FieldPanel("name"), FieldPanel("slug")]


register_snippet(TopicViewSet)
