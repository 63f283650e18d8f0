"""Addresses of the webinar registration (included by events/urls.py, in its namespace)."""

from django.urls import path

from events.views import registration

urlpatterns = [
    path("webinars/<slug:slug>/register/", registration.register, name="register"),
    path(
        "webinars/<slug:slug>/register/code/",
        registration.enter_code,
        name="registration_code",
    ),
    path("webinars/cancel/<str:token>/", registration.cancel, name="registration_cancel"),
]
