"""Whole-response cache for public pages seen by anonymous visitors.

Public pages are the same for every anonymous visitor, so the rendered response is kept in
Django's cache and answered from the first middleware, before sessions, CSRF or Wagtail's
routing run. Every entry carries the cache generation it was made in; publishing anything a
public page shows bumps the generation (see home/signals.py), so an editor's change shows at
once, and again when the publishing transaction commits. Every process must share one cache
for that (Redis in production, see home/checks.py).

Why not Django's UpdateCacheMiddleware/FetchFromCacheMiddleware: Django's cache framework is
used underneath, but its middleware keys on the full URL (any junk query string is an entry),
has no generation to drop everything at once after a publication, would store pages carrying a
CSRF token, and answers after SecurityMiddleware only by its place in the list, not by choice of
what is stored. Here a page names the query parameters it reads and the values it rendered with
(mark_cacheable: `?page=abc`, shown as page 1, stores nothing), and only pages
Wagtail served to an anonymous visitor without a form, cookie or session are stored, with
`Cache-Control: public, max-age=0, s-maxage=N` so that a shared cache in front (Varnish, a CDN)
may keep exactly those; everything else goes out `private, no-cache`.
"""

import hashlib
from collections.abc import Mapping
from urllib.parse import urlencode

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import DisallowedHost
from django.db import transaction
from django.http import HttpResponse
from django.utils.cache import patch_cache_control

GENERATION_KEY = "pagecache:generation"
# How many copies one address keeps under parameter values (searches, page numbers, countries)
# in a generation, however many values are asked for; the address without parameters is always
# kept. Free text cannot be normalised away: this is what bounds it.
MAX_VARIANTS_PER_PATH = 1000
REQUEST_FLAG = "_cmss_cacheable_page"
REPLAYED_HEADERS = {
    "content-type",
    "content-language",
    "vary",
    "x-frame-options",
    "referrer-policy",
    "x-content-type-options",
    "cross-origin-opener-policy",
    "strict-transport-security",
    "cache-control",
}


def current_generation():
    generation = cache.get(GENERATION_KEY)
    if generation is None:
        # add() so that two processes starting together agree on one value.
        cache.add(GENERATION_KEY, 1, timeout=None)
        generation = cache.get(GENERATION_KEY, 1)
    return generation


def _next_generation():
    try:
        cache.incr(GENERATION_KEY)
    except ValueError:
        cache.add(GENERATION_KEY, 2, timeout=None)


def invalidate_public_pages(**kwargs):
    """Drop every cached public page, now and again when the current transaction commits.

    Safe as a signal receiver (ignores its arguments). Wagtail publishes inside a transaction
    (a moderator's approval, a scheduled publication): a visitor's request served by another
    process in that window still reads the old rows, yet gets the new generation, so its old
    page would be stored as current. The second bump, after commit, drops it. The first one
    makes the change show at once to requests on the publishing connection itself.
    """
    _next_generation()
    transaction.on_commit(_next_generation)


def mark_cacheable(request, query_params=()):
    """Called while serving a public page that may be cached for anonymous visitors.

    `query_params` names the query parameters the page reads; the page is stored under its path
    and those parameters only. Any other parameter is ignored when answering (`/?utm=1` gets the
    copy of `/`) and a request carrying one stores nothing, so junk parameters cannot fill the
    cache. A page that reads none is kept once, under its path.

    Better, `query_params` maps each parameter to the value the page rendered with (None or ""
    when it used none): `{"page": "1"}` for `?page=abc`, which shows page 1. The page is then
    stored only when the address says exactly that, so values that lead to the same page
    (`?page=abc`, `?page=99999`, `?country=XX`, a search with spaces around it) are rendered but
    never make entries of their own. A page that takes free text (a search) is still bounded:
    at most MAX_VARIANTS_PER_PATH copies per address.
    """
    if isinstance(query_params, Mapping):
        names = tuple(sorted(query_params))
        used = sorted(
            (name, str(value)) for name, value in query_params.items() if value not in (None, "")
        )
    else:
        names = tuple(sorted(set(query_params)))
        used = None
    setattr(request, REQUEST_FLAG, (names, used))


def _query(request, names):
    """The parameters of `names` in a canonical order, empty ones left out: `?q=&country=BE`
    and `?country=BE` are one page."""
    return sorted(
        (name, value)
        for name, values in request.GET.lists()
        if name in names
        for value in values
        if value
    )


def _digest(text):
    return hashlib.sha256(text.encode()).hexdigest()


def _keys(request):
    """The key of the record of which parameters the page at this address reads, and the key
    of the page itself if it reads none. Scheme and host are part of both."""
    place = f"{request.get_host()}:{_digest(f'{request.scheme}:{request.path}')}"
    return f"pagecache:params:{place}", f"pagecache:page:{place}"


def _page_key(request, names, path_key):
    query = _query(request, names)
    if not query:
        return path_key
    return f"{path_key}:{_digest(urlencode(query))}"


def _may_use_cache(request):
    return (
        request.method in ("GET", "HEAD")
        and settings.SESSION_COOKIE_NAME not in request.COOKIES
        and "messages" not in request.COOKIES
        and "HTTP_AUTHORIZATION" not in request.META
    )


class PublicPageCacheMiddleware:
    """Answers anonymous GETs of cached public pages; stores pages marked cacheable."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self._respond(request)
        if response.get("Content-Encoding") == "None":
            # Wagtail's document download sends the file's guessed encoding, which is None for
            # every document type the site accepts: the file goes as it is (identity).
            del response["Content-Encoding"]
        return response

    def _respond(self, request):
        if not _may_use_cache(request):
            return _keep_private(request, self.get_response(request))
        try:
            params_key, path_key = _keys(request)
        except DisallowedHost:
            # Left to Django, which answers 400 and logs it.
            return _keep_private(request, self.get_response(request))
        # One round trip for a page that reads no parameter: the current generation, the
        # parameters the page at this path reads, and the page stored under the path alone.
        found = cache.get_many([GENERATION_KEY, params_key, path_key])
        generation = found.get(GENERATION_KEY)
        if generation is None:
            generation = current_generation()
        entry = None
        params = found.get(params_key)
        if params is not None and params[0] == generation:
            key = _page_key(request, params[1], path_key)
            entry = found.get(path_key) if key == path_key else cache.get(key)
        if entry is not None and entry[0] == generation:
            _, content, headers = entry
            response = HttpResponse(content, headers=headers)
            response["Content-Length"] = str(len(content))
            response["X-Page-Cache"] = "hit"
            return response

        response = self.get_response(request)
        names, used = getattr(request, REQUEST_FLAG, (None, None))
        if (
            request.method == "GET"
            and names is not None
            # Stored only from a request without other parameters, so that a page which reads
            # one it did not name can never put that variant under the plain address.
            and {name for name, _ in _query(request, request.GET)} <= set(names)
            # ...and only under the values the page rendered with (see mark_cacheable).
            and (used is None or _query(request, names) == used)
            and response.status_code == 200
            # A page that asked for a CSRF token holds a form: it is not the same for everyone.
            and not request.META.get("CSRF_COOKIE_NEEDS_UPDATE")
            and not response.streaming
            and not response.cookies
            and _room_for(request, names, path_key, generation)
        ):
            if "Cache-Control" not in response:
                # A shared cache in front (Varnish, a CDN) may keep it as long as this one does;
                # browsers ask again each time, so a change shows on the next visit.
                response["Cache-Control"] = (
                    f"public, max-age=0, s-maxage={settings.CMSS_PAGE_CACHE_SECONDS}"
                )
            headers = {
                name: value for name, value in response.items() if name.lower() in REPLAYED_HEADERS
            }
            # Stored with the generation it was rendered in: a page rendered while something
            # was being published carries the old number and is never answered from the cache.
            cache.set_many(
                {
                    params_key: (generation, names),
                    _page_key(request, names, path_key): (generation, response.content, headers),
                },
                settings.CMSS_PAGE_CACHE_SECONDS,
            )
            response["X-Page-Cache"] = "miss"
        else:
            _keep_private(request, response)
        return response


def _room_for(request, names, path_key, generation):
    """Whether the page may store one more copy under parameter values at this address in
    this generation (MAX_VARIANTS_PER_PATH); the copy under the address alone always may."""
    if _page_key(request, names, path_key) == path_key:
        return True
    counter = path_key.replace("pagecache:page:", "pagecache:variants:", 1) + f":{generation}"
    cache.add(counter, 0, settings.CMSS_PAGE_CACHE_SECONDS)
    try:
        stored = cache.incr(counter)
    except ValueError:  # expired in between: a new window starts
        cache.add(counter, 1, settings.CMSS_PAGE_CACHE_SECONDS)
        stored = 1
    return stored <= MAX_VARIANTS_PER_PATH


def _keep_private(request, response):
    """No shared cache may keep a response the page cache did not store.

    What was rendered for a session (the visitor's cookie was sent, or the session was read:
    Django then adds `Vary: Cookie`), or sets a cookie, is `private, no-cache` whatever the view
    said, a redirect to sign-in included; anything else without a Cache-Control of its own too.
    A stricter header already there (`no-store`, see cms/security.py) is kept.
    """
    for_session = (
        not _may_use_cache(request)
        or response.cookies
        or "cookie" in response.get("Vary", "").lower()
    )
    if "Cache-Control" in response and not for_session:
        return response
    if "Cache-Control" in response:
        directives = [
            part.strip()
            for part in response["Cache-Control"].split(",")
            if part.strip().split("=")[0].lower() not in ("public", "s-maxage")
        ]
        response["Cache-Control"] = ", ".join(directives)
        if not response["Cache-Control"]:
            del response["Cache-Control"]
    patch_cache_control(response, private=True, no_cache=True)
    return response
