"""Site navigation shared by every public template."""

from django import template
from wagtail.models import Site

register = template.Library()


@register.inclusion_tag("includes/main_menu.html", takes_context=True)
def main_menu(context):
    request = context.get("request")
    site = Site.find_for_request(request) if request else None
    root = site.root_page if site else None
    items = list(root.get_children().live().public().in_menu()) if root else []
    current = context.get("page")
    current_path = current.url_path if current else (request.path if request else "")
    return {
        "root": root,
        "items": [
            {
                "title": item.title,
                "url": item.get_url(request),
                "current": bool(current_path) and current_path.startswith(item.url_path),
            }
            for item in items
        ],
        "home_current": current is not None and root is not None and current.pk == root.pk,
    }
