"""The public addresses of the events app (DESIGN.md "Interfaces"): /webinars/feed.ics,
/webinars/propose/, /webinars/<slug>/register/ and the links sent by email. Wagtail serves the
catalogue and the webinar pages themselves (/webinars/, /webinars/<slug>/)."""

from django.urls import include, path

app_name = "events"

urlpatterns = [
    path("", include("events.urls_catalogue")),
    path("", include("events.urls_proposals")),
    path("", include("events.urls_registration")),
    path("", include("events.urls_certificates")),
    path("", include("events.urls_polls")),
    path("", include("events.urls_conferences")),
]
