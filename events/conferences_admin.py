"""The helpdesk's queue of case conferences (wagtail-modeladmin "Case conferences", registered
from wagtail_hooks.py): urgent requests first, filtered by status and urgency; an inspect view
with every slot in each participant's own time, the poll's answers, the flags and the slot that
suits most, and the Webex meeting (waiting, failed with Retry, booked); and one page per step
(ask invitees, schedule, reschedule, held, close, decline, cancel) that says what the step does
and takes it with a POST through events.services.conference_scheduling.

A request is written by the request form and the services only: no create, edit or delete
views. A step's button shows only where the step is allowed and the user may work requests
(the Helpdesk group, or an administrator); the step's view checks both again.
"""

import datetime
import zoneinfo

from django.contrib import messages
from django.db.models import Case, IntegerField, Value, When
from django.http import HttpResponseForbidden
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.views.generic import TemplateView
from wagtail import hooks
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail_modeladmin.options import ModelAdmin, modeladmin_register
from wagtail_modeladmin.views import InspectView

from cms.mail.admin import (
    ForgivingIndexView,
    PermissionCheckedHistoryView,
    ReadOnlyPermissionHelper,
)
from events.admin_steps import QueueSteps, StepButtonHelper
from events.models import ConferenceRequest, ConferenceSlot, WebexBooking
from events.services import booking as booking_service
from events.services import conference_polls as polls
from events.services import conference_scheduling as service

CHANGE_PERMISSION = "events.change_conferencerequest"
WRITE_ACTIONS = ("create", "edit", "delete")
STEP_URL_NAME = "events_conferencerequest_{}"
STEP_LABELS = {
    "ask": "Ask invitees",
    "schedule": "Schedule",
    "reschedule": "Reschedule",
    "hold": "Mark as held",
    "close": "Close",
    "decline": "Decline",
    "cancel": "Cancel",
}
SERIOUS = ("decline", "cancel")


STEPS = QueueSteps(
    permission=CHANGE_PERMISSION,
    url_name=STEP_URL_NAME,
    labels=STEP_LABELS,
    allowed_steps=lambda conference: service.allowed_steps(conference),
    serious=SERIOUS,
)
may_work = STEPS.may_work
step_url = STEPS.url
step_buttons = STEPS.buttons


def booking_context(conference, request):
    """What templates/events/admin/webex_booking_panel.html needs (the webinars' panel)."""
    from events.admin import CANCEL_URL_NAME, RETRY_URL_NAME

    booking = WebexBooking.objects.filter(pk=conference.booking_id).first()
    user = request.user
    return {
        "booking": booking,
        "may_book": user.has_perm("events.change_webexbooking"),
        "owes_webex": bool(booking and booking.needs_webex),
        "cancelled_page_with_live_booking": False,
        "retry_url": reverse(RETRY_URL_NAME, args=[booking.pk]) if booking else "",
        "cancel_url": reverse(CANCEL_URL_NAME, args=[booking.pk]) if booking else "",
        "next_url": request.get_full_path(),
        "waiting_for_invitations": bool(
            booking
            and conference.status == ConferenceRequest.Status.SCHEDULED
            and conference.invited_sequence != conference.sequence
        ),
    }


class ConferenceButtonHelper(StepButtonHelper):
    steps = STEPS


class ConferenceInspectView(InspectView):
    """The request, its slots in everyone's time with the answers and flags, the suggestion,
    and its Webex meeting."""

    def get_template_names(self):
        return ["events/admin/conference_inspect.html"]

    def get_context_data(self, **kwargs):
        conference = self.instance
        participants, rows = polls.slot_table(conference)
        return super().get_context_data(
            participants=participants,
            rows=rows,
            suggested=next((row for row in rows if row.suggested), None),
            **booking_context(conference, self.request),
            **kwargs,
        )


class ConferenceRequestAdmin(ModelAdmin):
    model = ConferenceRequest
    permission_helper_class = ReadOnlyPermissionHelper
    menu_label = "Case conferences"
    menu_icon = "group"
    menu_order = 280
    add_to_settings_menu = False
    list_display = (
        "number",
        "urgency_label",
        "requester_label",
        "status_label",
        "answered",
        "chosen",
        "webex",
        "created_at",
    )
    list_filter = ("status", "urgency")
    search_fields = ("requester__last_name", "requester__first_name")
    button_helper_class = ConferenceButtonHelper
    inspect_view_enabled = True
    inspect_view_class = ConferenceInspectView
    history_view_class = PermissionCheckedHistoryView
    index_view_class = ForgivingIndexView
    inspect_view_fields = (
        "requester",
        "requester_country",
        "urgency",
        "duration_minutes",
        "language",
        "time_zone",
        "clinical_question",
        "question_erased_at",
        "status",
        "decline_reason",
        "helpdesk_note",
        "created_at",
        "ended_at",
    )
    # Urgent first, then the oldest waiting longest.
    ordering = ("urgent_first", "created_at")

    def get_queryset(self, request):
        # Annotated before ordering: wagtail-modeladmin's own get_queryset orders first.
        queryset = (
            ConferenceRequest.objects.select_related("requester", "chosen_slot", "booking")
            .prefetch_related("invitees")
            .annotate(
                urgent_first=Case(
                    When(urgency=ConferenceRequest.Urgency.URGENT, then=Value(0)),
                    default=Value(1),
                    output_field=IntegerField(),
                )
            )
        )
        return queryset.order_by(*self.get_ordering(request))

    @staticmethod
    def number(conference):
        return f"Request {conference.pk}"

    number.short_description = "Request"

    @staticmethod
    def urgency_label(conference):
        return conference.get_urgency_display()

    urgency_label.short_description = "Urgency"

    @staticmethod
    def requester_label(conference):
        return conference.requester.full_name if conference.requester else "(erased)"

    requester_label.short_description = "Requester"

    @staticmethod
    def status_label(conference):
        return conference.get_status_display()

    status_label.short_description = "Status"

    @staticmethod
    def answered(conference):
        invitees = conference.invitees.all()
        return f"{sum(1 for i in invitees if i.answered_at)} of {len(invitees)}"

    answered.short_description = "Answered"

    @staticmethod
    def chosen(conference):
        if not conference.chosen_slot:
            return ""
        local = polls.local_slot(
            conference.chosen_slot, conference.time_zone, conference.duration_minutes
        )
        return local.label

    chosen.short_description = "Time (requester's zone)"

    @staticmethod
    def webex(conference):
        booking = conference.booking
        if booking is None:
            return ""
        if booking.last_error:
            return f"{booking.get_status_display()}: failed, see the request"
        return booking.get_status_display()

    webex.short_description = "Webex"

    def get_admin_urls_for_registration(self):
        """The listing, inspect and history views and the steps; not wagtail-modeladmin's
        create, edit and delete."""
        names = {self.url_helper.get_action_url_name(action) for action in WRITE_ACTIONS}
        kept = tuple(
            url for url in super().get_admin_urls_for_registration() if url.name not in names
        )
        return kept + tuple(
            path(
                f"events/case-conferences/<int:pk>/{step}/",
                ConferenceStepView.as_view(step=step),
                name=STEP_URL_NAME.format(step),
            )
            for step in service.STEPS
        )


def inspect_url(conference):
    return reverse("events_conferencerequest_modeladmin_inspect", args=[conference.pk])


class ConferenceStepView(WagtailAdminTemplateMixin, TemplateView):
    """GET: what the step does (and what it needs: a slot, a reason). POST: take it through
    the scheduling service and say what happened."""

    step = None
    template_name = "events/admin/conference_step.html"
    header_icon = "group"

    def dispatch(self, request, pk):
        if not may_work(request.user):
            # Not PermissionDenied: Wagtail's admin would turn that into a redirect home.
            return HttpResponseForbidden("You may not work case conference requests.")
        self.conference = get_object_or_404(
            ConferenceRequest.objects.select_related("requester", "chosen_slot", "booking"),
            pk=pk,
        )
        return super().dispatch(request, pk)

    def get_page_title(self):
        return f"{STEP_LABELS[self.step]}: request {self.conference.pk}"

    def slot_choices(self):
        """Future slots in the requester's zone, the suggested one marked; not the one the
        conference has already."""
        conference = self.conference
        _participants, rows = polls.slot_table(conference)
        now = datetime.datetime.now(tz=datetime.UTC)
        return [
            {
                "slot": row.slot,
                "label": polls.local_slot(
                    row.slot, conference.time_zone, conference.duration_minutes
                ).label,
                "score": row.score,
                "flags": row.flags,
                "suggested": row.suggested,
            }
            for row in rows
            if row.slot.start > now and row.slot.pk != conference.chosen_slot_id
        ]

    def get_context_data(self, **kwargs):
        conference = self.conference
        choices = self.slot_choices() if self.step in ("schedule", "reschedule") else []
        default = next((c["slot"].pk for c in choices if c["suggested"]), None)
        kwargs.setdefault("chosen_slot_id", default)
        return super().get_context_data(
            conference=conference,
            step=self.step,
            label=STEP_LABELS[self.step],
            allowed=self.step in service.allowed_steps(conference),
            choices=choices,
            invitees=conference.invitees.filter(erased=False, clinician__isnull=False).count(),
            back_url=inspect_url(conference),
            **kwargs,
        )

    def _again(self, error, **values):
        return self.render_to_response(self.get_context_data(error=error, **values))

    def post(self, request, pk):
        conference, user = self.conference, request.user
        data = request.POST
        try:
            if self.step == "ask":
                asked = service.ask_invitees(conference, by=user)
                messages.success(request, f"Request {conference.pk}: {asked} invitees are asked.")
            elif self.step == "schedule":
                slot = self._slot(data.get("slot"))
                if slot is None:
                    return self._again("Choose one of the proposed times.")
                service.schedule(conference, slot, by=user)
                messages.success(
                    request,
                    f"Request {conference.pk} is scheduled. The Webex meeting is being booked; "
                    "participants are sent the invitation as soon as Webex has it.",
                )
            elif self.step == "reschedule":
                return self._reschedule(data)
            elif self.step == "hold":
                service.mark_held(conference, by=user)
                messages.success(request, f"Request {conference.pk} is marked as held.")
            elif self.step == "close":
                service.close(conference, by=user)
                messages.success(request, f"Request {conference.pk} is closed.")
            elif self.step == "decline":
                reason = data.get("reason", "")
                if not reason.strip():
                    return self._again("Say why: the requester is sent this reason.", reason=reason)
                service.decline(conference, by=user, reason=reason)
                messages.success(
                    request, f"Request {conference.pk} is declined; the requester is sent why."
                )
            else:
                service.cancel(conference, by=user, reason=data.get("reason", "").strip())
                messages.success(
                    request,
                    f"Request {conference.pk} is cancelled; everyone taking part is told, and "
                    "its Webex meeting, if any, is deleted.",
                )
        except service.TransitionNotAllowed as error:
            messages.error(request, f"Nothing changed: {error}")
        except service.SlotNotUsable as error:
            return self._again(str(error))
        except booking_service.BookingInProgress as error:
            messages.error(request, f"Nothing changed: {error} Try again in a minute.")
        return redirect(inspect_url(conference))

    def _slot(self, value):
        try:
            return ConferenceSlot.objects.get(pk=int(value), request=self.conference)
        except (TypeError, ValueError, ConferenceSlot.DoesNotExist):
            return None

    def _reschedule(self, data):
        conference, user = self.conference, self.request.user
        new_date, new_time = data.get("new_date", "").strip(), data.get("new_time", "").strip()
        slot = self._slot(data.get("slot")) if data.get("slot") not in (None, "", "new") else None
        values = {"new_date": new_date, "new_time": new_time}
        if slot is None and not (new_date and new_time):
            return self._again(
                "Choose another proposed time, or give a new date and time.", **values
            )
        try:
            if slot is not None:
                service.reschedule(conference, by=user, slot=slot)
            else:
                start = datetime.datetime.combine(
                    datetime.date.fromisoformat(new_date),
                    datetime.time.fromisoformat(new_time),
                    zoneinfo.ZoneInfo(conference.time_zone),
                )
                service.reschedule(conference, by=user, start=start)
        except ValueError as error:
            if isinstance(error, service.SlotNotUsable):
                return self._again(str(error), **values)
            return self._again("Give the new date as YYYY-MM-DD and the time as HH:MM.", **values)
        except service.TransitionNotAllowed as error:
            messages.error(self.request, f"Nothing changed: {error}")
            return redirect(inspect_url(conference))
        messages.success(
            self.request,
            f"Request {conference.pk} is moved. Webex is told, and participants are sent the "
            "update as soon as Webex has it.",
        )
        return redirect(inspect_url(conference))


modeladmin_register(ConferenceRequestAdmin)


@hooks.register("register_log_actions")
def conference_log_actions(actions):
    actions.register_action(service.ASK_ACTION, "Ask invitees", "Sent the slot poll to invitees")
    actions.register_action(service.SCHEDULE_ACTION, "Schedule conference", "Scheduled it")
    actions.register_action(service.RESCHEDULE_ACTION, "Reschedule conference", "Moved it")
    actions.register_action(service.HOLD_ACTION, "Conference held", "Marked it as held")
    actions.register_action(service.CLOSE_ACTION, "Close conference", "Closed it")
    actions.register_action(service.DECLINE_ACTION, "Decline request", "Declined the request")
    actions.register_action(service.CANCEL_ACTION, "Cancel conference", "Cancelled it")
    actions.register_action(
        service.INVITE_ACTION, "Invitations sent", "Sent participants the invitation"
    )
