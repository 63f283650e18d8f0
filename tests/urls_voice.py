"""The site's URLconf without the events app's addresses: as the site was before
/conferences/request/ existed (the header must then leave "Case conferences" out)."""

from django.urls import URLResolver

from cms.urls import handler404, handler500  # noqa: F401
from cms.urls import urlpatterns as site_urlpatterns

urlpatterns = [
    pattern
    for pattern in site_urlpatterns
    if not (
        isinstance(pattern, URLResolver)
        and getattr(pattern.urlconf_name, "__name__", "") == "events.urls"
    )
]
