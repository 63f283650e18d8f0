"""The helpdesk's queue of Webex bookings (wagtail-modeladmin, registered in wagtail_hooks.py),
read-only, with "Retry booking" and "Cancel on Webex" actions: thin admin views over
events.services.booking.retry() and cancel().

Bookings are made, moved and cancelled by the features that own them, through the booking
service, so Webex is always told: the admin has no create, edit or delete views (the URLs do not
exist), only the listing, inspect, history and the two actions.
"""

from django.contrib import messages
from django.http import HttpResponseForbidden
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST
from django.views.generic import TemplateView
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail_modeladmin.options import ModelAdmin

from cms.mail.admin import (
    ForgivingIndexView,
    PermissionCheckedHistoryView,
    ReadOnlyPermissionHelper,
)
from events.models import WebexBooking
from events.services import booking as booking_service
from events.webex import WebexError

RETRY_URL_NAME = "events_webexbooking_retry"
CANCEL_URL_NAME = "events_webexbooking_cancel"
WRITE_ACTIONS = ("create", "edit", "delete")
FINISHED = (WebexBooking.Status.CANCELLED, WebexBooking.Status.CANCELLING)


class WebexBookingAdmin(ModelAdmin):
    model = WebexBooking
    permission_helper_class = ReadOnlyPermissionHelper
    menu_label = "Webex bookings"
    menu_icon = "date"
    menu_order = 300
    add_to_settings_menu = False
    list_display = (
        "title",
        "kind",
        "start",
        "status_label",
        "attempts",
        "error",
        "retry_action",
        "cancel_action",
    )
    list_filter = ("status", "kind", "changed_since_booked")
    search_fields = ("title", "meeting_number", "last_error_tracking_id")
    inspect_view_enabled = True
    history_view_class = PermissionCheckedHistoryView  # the helpdesk's, as the listing
    index_view_class = ForgivingIndexView
    inspect_view_fields = (
        "kind",
        "title",
        "agenda",
        "start",
        "end",
        "time_zone",
        "record_automatically",
        "status",
        "last_error",
        "last_error_tracking_id",
        "attempts",
        "last_attempt_at",
        "webex_meeting_id",
        "meeting_number",
        "web_link",
        "sip_address",
        "call_in_numbers",
        "sequence",
    )

    @staticmethod
    def status_label(booking):
        label = booking.get_status_display()
        if booking.status == WebexBooking.Status.BOOKED and booking.changed_since_booked:
            label = f"{label} (changes not yet on Webex)"
        return label

    status_label.short_description = "Status"

    @staticmethod
    def error(booking):
        if not booking.last_error:
            return ""
        if booking.last_error_tracking_id:
            return format_html(
                "{}<br><small>Webex trackingId: {}</small>",
                booking.last_error,
                booking.last_error_tracking_id,
            )
        return booking.last_error

    error.short_description = "Last error"

    def retry_action(self, booking):
        if not booking.needs_webex:
            return ""
        # Wagtail's w-action controller POSTs with the admin's CSRF token.
        never_tried = booking.status == WebexBooking.Status.PENDING and not booking.attempts
        return format_html(
            '<button type="button" class="button button-small button-secondary" '
            'data-controller="w-action" data-action="w-action#post" '
            'data-w-action-url-value="{}" data-w-action-next-value="{}">{}</button>',
            reverse(RETRY_URL_NAME, args=[booking.pk]),
            self.url_helper.index_url,
            "Book on Webex" if never_tried else "Retry booking",
        )

    retry_action.short_description = "Webex"

    def cancel_action(self, booking):
        if booking.status in FINISHED:
            return ""  # a cancelling one is finished by "Retry booking"
        return format_html(
            '<a class="button button-small button-secondary" href="{}">{}</a>',
            reverse(CANCEL_URL_NAME, args=[booking.pk]),
            "Cancel on Webex",
        )

    cancel_action.short_description = "Cancel"

    def get_admin_urls_for_registration(self):
        """The listing, inspect and history views, and the retry and cancel actions; not
        wagtail-modeladmin's create, edit and delete."""
        names = {self.url_helper.get_action_url_name(action) for action in WRITE_ACTIONS}
        kept = tuple(
            url for url in super().get_admin_urls_for_registration() if url.name not in names
        )
        return kept + (
            path(
                "events/webex-bookings/<int:pk>/cancel/",
                CancelBookingView.as_view(),
                name=CANCEL_URL_NAME,
            ),
        )


def _back(request):
    next_url = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        next_url = reverse("events_webexbooking_modeladmin_index")
    return redirect(next_url)


class CancelBookingView(WagtailAdminTemplateMixin, TemplateView):
    """GET: a page that says what cancelling does. POST: cancel the booking through the booking
    service, which deletes its meeting on Webex, and say what happened."""

    template_name = "events/admin/booking_cancel_confirm.html"
    header_icon = "date"

    def dispatch(self, request, pk):
        if not request.user.has_perm("events.change_webexbooking"):
            # Not PermissionDenied: Wagtail's admin would turn that into a redirect home.
            return HttpResponseForbidden("You may not cancel Webex meetings.")
        self.booking = get_object_or_404(WebexBooking, pk=pk)
        return super().dispatch(request, pk)

    def get_page_title(self):
        return f"Cancel {self.booking.title}"

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            booking=self.booking,
            finished=self.booking.status in FINISHED,
            back_url=reverse("events_webexbooking_modeladmin_index"),
            **kwargs,
        )

    def post(self, request, pk):
        booking = self.booking
        try:
            booking = booking_service.cancel(booking.pk)
        except WebexError as error:
            messages.error(
                request,
                f"“{booking.title}” is cancelled here, but Webex could not delete its meeting "
                f"yet: {error}. Use “Retry booking” later; until then the meeting still shows "
                "on Webex.",
            )
        except booking_service.BookingInProgress:
            messages.warning(
                request,
                f"“{booking.title}” is being sent to Webex right now. Nothing changed: try "
                "again in a minute.",
            )
        else:
            messages.success(request, f"“{booking.title}” is cancelled and gone from Webex.")
        return _back(request)


@require_POST
def retry_booking(request, pk):
    """POST: send what a booking owes Webex now, and say what happened."""
    if not request.user.has_perm("events.change_webexbooking"):
        # Not PermissionDenied: Wagtail's admin would turn that into a redirect home.
        return HttpResponseForbidden("You may not book Webex meetings.")
    booking = get_object_or_404(WebexBooking, pk=pk)
    try:
        booking = booking_service.retry(booking.pk)
    except WebexError as error:
        messages.error(
            request,
            f"Webex could not take “{booking.title}”: {error}. Nothing was lost: the booking "
            "is kept with this error and can be retried.",
        )
    except booking_service.BookingInProgress:
        messages.warning(
            request,
            f"“{booking.title}” is being sent to Webex right now. Nothing was lost: look "
            "again in a minute.",
        )
    else:
        if booking.status == WebexBooking.Status.BOOKED:
            messages.success(
                request,
                f"“{booking.title}” is booked on Webex (meeting number "
                f"{booking.meeting_number or 'not given'}).",
            )
        elif booking.status == WebexBooking.Status.CANCELLED:
            messages.success(request, f"“{booking.title}” is cancelled and gone from Webex.")
        else:
            messages.info(request, f"“{booking.title}” had nothing waiting for Webex.")
    return _back(request)
