from wagtail import hooks

from cms.security import mark_private

from .members import refusal
from .pagecache import mark_cacheable


def view_restrictions_once(obj):
    """The view restrictions of ``obj`` (a page or a collection), read once: Wagtail's own check,
    which runs next, is given the same list instead of querying again."""
    restrictions = list(obj.get_view_restrictions())
    obj.get_view_restrictions = lambda: restrictions
    return restrictions


# Before anything else that serves a page or a document, and before Wagtail's own check (whose
# "login" restriction lets in anyone signed in): restricted content is for members, see
# home/members.py.
@hooks.register("before_serve_page", order=-100)
def members_only_pages(page, request, serve_args, serve_kwargs):
    return guard(request, view_restrictions_once(page), "page")


@hooks.register("before_serve_document", order=-100)
def members_only_documents(document, request):
    return guard(request, view_restrictions_once(document.collection), "document")


def guard(request, restrictions, what):
    """Refuse, or let a member through; what a member is given is theirs alone, so no cache
    between them and the site (a proxy, a CDN) may keep it (cms/security.py sends the header)."""
    response = refusal(request, restrictions, what)
    if response is None and restrictions:
        mark_private(request)
    return response


@hooks.register("before_serve_page")
def cache_public_page_for_anonymous_visitors(page, request, serve_args, serve_kwargs):
    # Only pages that passed Wagtail's view-restriction check reach a 200 response;
    # the cache stores nothing else (see home/pagecache.py).
    if getattr(page, "cache_public_response", True):
        mark_cacheable(request)


@hooks.register("after_create_page")
def information_package_goes_through_policy_review(request, page):
    from .models import InformationPackagePage
    from .services.moderation import assign_policy_review

    if isinstance(page.specific, InformationPackagePage):
        assign_policy_review(page)
