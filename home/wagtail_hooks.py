from wagtail import hooks

from .pagecache import mark_cacheable


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
