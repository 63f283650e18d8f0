"""The events app in the Wagtail admin: the Webex bookings queue and its retry action."""

from django.urls import path
from wagtail import hooks
from wagtail_modeladmin.options import modeladmin_register

from events.admin import RETRY_URL_NAME, WebexBookingAdmin, retry_booking

modeladmin_register(WebexBookingAdmin)


@hooks.register("register_admin_urls")
def register_booking_urls():
    return [
        path("events/webex-bookings/<int:pk>/retry/", retry_booking, name=RETRY_URL_NAME),
    ]
