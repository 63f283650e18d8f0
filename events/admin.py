"""The helpdesk's queue of Webex bookings (wagtail-modeladmin, registered in wagtail_hooks.py)
and the "Retry booking" action, a thin admin view over events.services.booking.retry()."""

from django.contrib import messages
from django.http import HttpResponseForbidden
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.html import format_html
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST
from wagtail_modeladmin.options import ModelAdmin

from cms.mail.admin import ForgivingIndexView, PermissionCheckedHistoryView
from events.models import WebexBooking
from events.services import booking as booking_service
from events.webex import WebexError

RETRY_URL_NAME = "events_webexbooking_retry"


class WebexBookingAdmin(ModelAdmin):
    model = WebexBooking
    menu_label = "Webex bookings"
    menu_icon = "date"
    menu_order = 300
    add_to_settings_menu = False
    list_display = ("title", "kind", "start", "status_label", "attempts", "error", "retry_action")
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
    form_fields_exclude = (
        "status",
        "changed_since_booked",
        "last_error",
        "last_error_tracking_id",
        "attempts",
        "last_attempt_at",
        "webex_meeting_id",
        "meeting_number",
        "web_link",
        "password",
        "sip_address",
        "access_code",
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
    next_url = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        next_url = reverse("events_webexbooking_modeladmin_index")
    return redirect(next_url)
