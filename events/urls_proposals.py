"""Addresses of the webinar proposals and of a registrant's own Webex join link (included by
events/urls.py, in its namespace). The helpdesk's queue of proposals is in the Wagtail admin
(events/proposals_admin.py)."""

from django.urls import path

from events.views import join, proposals

urlpatterns = [
    path("webinars/propose/", proposals.propose, name="propose"),
    path("webinars/propose/sent/", proposals.propose_sent, name="propose_sent"),
    path("webinars/join/<str:token>/", join.join, name="join"),
]
