"""The helpdesk's queue of webinar proposals (wagtail-modeladmin, registered in
wagtail_hooks.py): a listing filtered by status and searched by topic, abstract and proposer,
an inspect view, and one page per step (announce, schedule, decline) that says what the step
does and takes it with a POST through events.services.proposals.

A proposal is written by the public form and the service only: no create, edit or delete views
(the URLs do not exist). A step's button shows only where the step is allowed and the user may
change proposals; the step's view checks both again.
"""

from django.contrib import messages
from django.http import HttpResponseForbidden
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.utils.html import format_html
from django.views.generic import TemplateView
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail_modeladmin.options import ModelAdmin
from wagtail_modeladmin.views import InspectView

from cms.mail.admin import (
    ForgivingIndexView,
    PermissionCheckedHistoryView,
    ReadOnlyPermissionHelper,
)
from events.admin_steps import QueueSteps, StepButtonHelper
from events.models import WebinarProposal
from events.services import proposals as service

CHANGE_PERMISSION = "events.change_webinarproposal"
WRITE_ACTIONS = ("create", "edit", "delete")
STEP_URL_NAME = "events_webinarproposal_{}"
STEP_LABELS = {
    "announce": "Announce to the mailing list",
    "schedule": "Schedule: make the draft webinar",
    "decline": "Decline",
}


STEPS = QueueSteps(
    permission=CHANGE_PERMISSION,
    url_name=STEP_URL_NAME,
    labels=STEP_LABELS,
    allowed_steps=lambda proposal: service.allowed_steps(proposal),
    serious=("decline",),
)
may_work = STEPS.may_work
step_url = STEPS.url
step_buttons = STEPS.buttons


class ProposalButtonHelper(StepButtonHelper):
    steps = STEPS


class ProposalInspectView(InspectView):
    """The proposal, its slots in the proposer's zone, and the steps it may take."""

    def get_template_names(self):
        return ["events/admin/proposal_inspect.html"]

    def get_context_data(self, **kwargs):
        proposal = self.instance
        return super().get_context_data(
            slots=service.slots_of(proposal),
            webinar_edit_url=(
                reverse("wagtailadmin_pages:edit", args=[proposal.webinar_id])
                if proposal.webinar_id
                else ""
            ),
            **kwargs,
        )


class WebinarProposalAdmin(ModelAdmin):
    model = WebinarProposal
    permission_helper_class = ReadOnlyPermissionHelper
    menu_label = "Webinar proposals"
    menu_icon = "form"
    menu_order = 290
    add_to_settings_menu = False
    list_display = ("title", "proposer", "language", "status_label", "created_at")
    button_helper_class = ProposalButtonHelper
    list_filter = ("status", "language")
    search_fields = ("title", "abstract", "proposer__last_name", "proposer__first_name")
    inspect_view_enabled = True
    inspect_view_class = ProposalInspectView
    history_view_class = PermissionCheckedHistoryView
    index_view_class = ForgivingIndexView
    inspect_view_fields = (
        "title",
        "proposer",
        "abstract",
        "language",
        "topics",
        "time_zone",
        "wants_recording",
        "recording_consent",
        "recording_consent_at",
        "status",
        "decline_reason",
        "created_at",
    )

    @staticmethod
    def status_label(proposal):
        return proposal.get_status_display()

    status_label.short_description = "Status"

    def get_admin_urls_for_registration(self):
        """The listing, inspect and history views and the three steps; not
        wagtail-modeladmin's create, edit and delete."""
        names = {self.url_helper.get_action_url_name(action) for action in WRITE_ACTIONS}
        kept = tuple(
            url for url in super().get_admin_urls_for_registration() if url.name not in names
        )
        return kept + tuple(
            path(
                f"events/webinar-proposals/<int:pk>/{step}/",
                ProposalStepView.as_view(step=step),
                name=STEP_URL_NAME.format(step),
            )
            for step in service.STEPS
        )


def index_url():
    return reverse("events_webinarproposal_modeladmin_index")


class ProposalStepView(WagtailAdminTemplateMixin, TemplateView):
    """GET: what the step does (and, to decline, the reason to send). POST: take it through
    the proposals service and say what happened."""

    step = None
    template_name = "events/admin/proposal_step.html"
    header_icon = "form"

    def dispatch(self, request, pk):
        if not may_work(request.user):
            # Not PermissionDenied: Wagtail's admin would turn that into a redirect home.
            return HttpResponseForbidden("You may not work webinar proposals.")
        self.proposal = get_object_or_404(WebinarProposal.objects.select_related("proposer"), pk=pk)
        return super().dispatch(request, pk)

    def get_page_title(self):
        return f"{STEP_LABELS[self.step]}: {self.proposal.title}"

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            proposal=self.proposal,
            step=self.step,
            allowed=self.step in service.allowed_steps(self.proposal),
            recipients=len(service.mailing_list()) if self.step == "announce" else None,
            back_url=reverse("events_webinarproposal_modeladmin_inspect", args=[self.proposal.pk]),
            **kwargs,
        )

    def post(self, request, pk):
        proposal, user = self.proposal, request.user
        try:
            if self.step == "announce":
                _, count = service.announce(proposal, by=user)
                messages.success(
                    request,
                    f"“{proposal.title}” is announced: {count} people on the mailing list are "
                    "sent the opportunity, and the proposer is told.",
                )
            elif self.step == "schedule":
                service.schedule(proposal, by=user)
                edit_url = reverse("wagtailadmin_pages:edit", args=[proposal.webinar_id])
                messages.success(
                    request,
                    format_html(
                        'A draft webinar is made from “{}”: <a href="{}">edit and publish '
                        "it</a> (publishing books it on Webex). The proposer is told.",
                        proposal.title,
                        edit_url,
                    ),
                )
                return redirect(edit_url)
            else:
                reason = request.POST.get("reason", "")
                if not reason.strip():
                    return self.render_to_response(
                        self.get_context_data(
                            reason_error="Say why: the proposer is sent this reason.",
                            reason=reason,
                        )
                    )
                service.decline(proposal, by=user, reason=reason)
                messages.success(
                    request, f"“{proposal.title}” is declined; the proposer is sent the reason."
                )
        except service.TransitionNotAllowed as error:
            messages.error(request, f"Nothing changed: {error}")
        except service.NoCatalogue as error:
            messages.error(request, f"Nothing changed: {error}")
        return redirect(index_url())
