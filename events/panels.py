"""Read-only panels of the webinar pages' edit view: where the webinar's Webex booking has got
to, so that a booking that failed is seen (with its error) and retried, never silent."""

from django.urls import reverse
from wagtail.admin.panels import Panel


class WebexBookingPanel(Panel):
    """The booking's status, its last error and Webex trackingId, and a Retry button (the
    bookings admin's retry view) when something still has to reach Webex."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("heading", "Webex webinar")
        super().__init__(*args, **kwargs)

    class BoundPanel(Panel.BoundPanel):
        template_name = "events/admin/webex_booking_panel.html"

        def get_context_data(self, parent_context=None):
            from events.admin import CANCEL_URL_NAME, RETRY_URL_NAME
            from events.models import WebexBooking

            context = super().get_context_data(parent_context)
            page = self.instance
            # Read from the database: the edit form's page is a revision, which may predate
            # the booking.
            booking = WebexBooking.objects.filter(webinar__pk=page.pk).first() if page.pk else None
            user = self.request.user if self.request else None
            may_book = bool(user and user.has_perm("events.change_webexbooking"))
            context.update(
                booking=booking,
                may_book=may_book,
                owes_webex=bool(booking and booking.needs_webex),
                cancelled_page_with_live_booking=bool(
                    booking
                    and page.state == page.State.CANCELLED
                    and booking.status
                    not in (WebexBooking.Status.CANCELLING, WebexBooking.Status.CANCELLED)
                ),
                retry_url=reverse(RETRY_URL_NAME, args=[booking.pk]) if booking else "",
                cancel_url=reverse(CANCEL_URL_NAME, args=[booking.pk]) if booking else "",
                next_url=self.request.get_full_path() if self.request else "",
            )
            return context
