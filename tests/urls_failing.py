"""A URLconf with one view that fails, to see the 500 page a visitor gets."""

from django.urls import path

from cms.urls import handler404, handler500  # noqa: F401
from cms.urls import urlpatterns as site_urlpatterns


def failing_view(request):
    return 1 / 0


urlpatterns = [path("boom/", failing_view), *site_urlpatterns]
