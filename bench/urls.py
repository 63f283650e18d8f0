"""The site's URLs plus the benchmark's baseline: a bare view answering a body of a given size."""

from functools import lru_cache

from django.http import HttpResponse
from django.urls import path

from cms import urls as site_urls

BARE_PREFIX = "__bench__/bare/"


@lru_cache(maxsize=8)
def _body(size):
    return b"x" * size


def bare(request, size):
    """The baseline: no database, no template, just `size` bytes of HTML through the same stack."""
    return HttpResponse(_body(size), content_type="text/html; charset=utf-8")


urlpatterns = [
    path(BARE_PREFIX + "<int:size>/", bare, name="bench_bare"),
    *site_urls.urlpatterns,
]
handler404 = site_urls.handler404
handler500 = site_urls.handler500
