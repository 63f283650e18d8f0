"""Addresses of the webinar catalogue (included by events/urls.py, in its namespace). Wagtail
serves /webinars/ and /webinars/<slug>/ themselves (events/models.py)."""

from django.urls import path

from events.views import catalogue

urlpatterns = [
    path("webinars/feed.ics", catalogue.webinar_feed, name="webinar_feed"),
    path("webinars/<slug:slug>/calendar.ics", catalogue.webinar_calendar, name="webinar_calendar"),
]
