"""Addresses of the webinar proposals (included by events/urls.py, in its namespace). The
helpdesk's queue is in the Wagtail admin (events/proposals_admin.py)."""

from django.urls import path

from events.views import proposals

urlpatterns = [
    path("webinars/propose/", proposals.propose, name="propose"),
    path("webinars/propose/sent/", proposals.propose_sent, name="propose_sent"),
]
