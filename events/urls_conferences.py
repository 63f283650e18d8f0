"""Addresses of the case conference request (included by events/urls.py, in its namespace):
the form, its confirmation, and the invitee picker's search. The helpdesk's queue is in the
Wagtail admin."""

from django.urls import path

from events.views import conferences

urlpatterns = [
    path("conferences/request/", conferences.request_conference, name="conference_request"),
    path(
        "conferences/request/invitees/",
        conferences.invitee_search,
        name="conference_invitee_search",
    ),
    path(
        "conferences/request/<int:pk>/sent/",
        conferences.request_sent,
        name="conference_request_sent",
    ),
]
