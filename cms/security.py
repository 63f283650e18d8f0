"""Request and response guards shared by every view: capped searches and security headers.

`SearchCapMiddleware` shortens the search box's text before any view reads it, so that no
search (Wagtail's admin listings, choosers and page search, the public /hospitals/ and
/directory/, the enrolment's hospital JSON) can be made to build a query of a thousand terms.

`SecurityHeadersMiddleware` (django-csp's middleware, by path) sends the Content-Security-Policy
enforced on the public site and report-only under /admin/, where Wagtail's own pages need
inline scripts, and the other headers the site always sends (settings.CMSS_SECURITY_HEADERS).
It sits first in MIDDLEWARE, outside the page cache, so pages answered from the cache carry
the same headers.
"""

from csp.constants import HEADER
from csp.middleware import CSPMiddleware
from django.conf import settings
from django.utils.cache import add_never_cache_headers, patch_cache_control


def capped_search(value):
    """The search text cut to settings.CMSS_SEARCH_MAX_TERMS words and CMSS_SEARCH_MAX_CHARS
    characters; a search within both limits is returned unchanged."""
    max_chars = settings.CMSS_SEARCH_MAX_CHARS
    max_terms = settings.CMSS_SEARCH_MAX_TERMS
    words = value.split()
    if len(words) > max_terms:
        value = " ".join(words[:max_terms])
    if len(value) > max_chars:
        value = value[:max_chars]
    return value


class SearchCapMiddleware:
    """Caps the search parameters (settings.CMSS_SEARCH_PARAMETERS, e.g. ?q=) of every GET."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        names = [name for name in settings.CMSS_SEARCH_PARAMETERS if name in request.GET]
        if names:
            query = request.GET.copy()
            changed = False
            for name in names:
                values = query.getlist(name)
                capped = [capped_search(value) for value in values]
                if capped != values:
                    query.setlist(name, capped)
                    changed = True
            if changed:
                query._mutable = False
                request.GET = query
        return self.get_response(request)


PRIVATE_ATTRIBUTE = "_cmss_private_response"


def mark_private(request):
    """The response to ``request`` is for the signed-in person only (members-only content): it
    goes out with ``Cache-Control: private, no-store`` whatever the view that made it set (Wagtail's
    document view sets none)."""
    setattr(request, PRIVATE_ATTRIBUTE, True)


class SecurityHeadersMiddleware(CSPMiddleware):
    """django-csp's middleware choosing by path, plus the site's other security headers.

    Under settings.CMSS_CSP_REPORT_ONLY_PATHS (the admin) the policy is only reported
    (CONTENT_SECURITY_POLICY_REPORT_ONLY): Wagtail's admin runs inline scripts. Everywhere else
    it is enforced (CONTENT_SECURITY_POLICY) and no report-only copy is sent. A header a view
    set itself (Wagtail's `default-src 'none'` on images, X-Frame-Options: SAMEORIGIN on its
    preview) is kept as it is.
    """

    def process_response(self, request, response):
        if request.path_info.startswith(tuple(settings.CMSS_CSP_REPORT_ONLY_PATHS)):
            if HEADER not in response:
                response._csp_exempt = True
        else:
            response._csp_exempt_ro = True
        response = super().process_response(request, response)
        for name, value in settings.CMSS_SECURITY_HEADERS.items():
            if value:
                response.headers.setdefault(name, value)
        if getattr(request, PRIVATE_ATTRIBUTE, False):
            add_never_cache_headers(response)
            patch_cache_control(response, private=True, no_store=True)
        return response
