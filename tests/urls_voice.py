"""The site's URLconf plus a named page that does not exist yet: /conferences/request/."""

from django.http import HttpResponse
from django.urls import path

from cms.urls import handler404, handler500  # noqa: F401
from cms.urls import urlpatterns as site_urlpatterns


def conference_request(request):
    return HttpResponse("Request a case conference")


urlpatterns = [
    path("conferences/request/", conference_request, name="conference_request"),
    *site_urlpatterns,
]
