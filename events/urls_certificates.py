"""The attendee's certificate of attendance, under /account/ (included by events/urls.py)."""

from django.urls import path

from events.views import certificates

urlpatterns = [
    path(
        "account/webinars/<int:pk>/certificate/",
        certificates.certificate,
        name="attendance_certificate",
    ),
]
