"""Site navigation shared by every public template: the header's menu and account links."""

from django import template
from wagtail.models import Site

from home.navigation import CLINICIANS, STAFF, in_audience, sections_for

register = template.Library()


@register.inclusion_tag("includes/main_menu.html", takes_context=True)
def main_menu(context):
    """Home, the menu pages, the site's sections (home/navigation.py) and the account links:
    Sign in, or My account (Admin for staff) and Sign out (a POST to allauth's logout)."""
    request = context.get("request")
    site = Site.find_for_request(request) if request else None
    root = site.root_page if site else None
    items = list(root.get_children().live().public().in_menu()) if root else []
    current = context.get("page")
    current_path = current.url_path if current else (request.path if request else "")
    request_path = request.path if request else ""
    user = getattr(request, "user", None)
    return {
        "request": request,
        "root": root,
        "items": [
            {
                "title": item.title,
                "url": item.get_url(request),
                "current": bool(current_path) and current_path.startswith(item.url_path),
            }
            for item in items
        ]
        + [
            {"title": label, "url": path, "current": request_path.startswith(path)}
            for label, path in (sections_for(request) if request else [])
        ],
        "home_current": current is not None and root is not None and current.pk == root.pk,
        "signed_in": bool(user is not None and user.is_authenticated),
        # Staff without a clinician record have no account page: theirs is the admin.
        "has_account_page": in_audience(user, CLINICIANS),
        "is_staff": in_audience(user, STAFF),
        "account_current": request_path.startswith("/account/"),
    }
