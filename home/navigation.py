"""The links of the site's header, and the rule that no link leads to a page that is not there.

The header lists the menu pages of the page tree, then the site's own sections (``SECTIONS``): the
public URLs of DESIGN.md, each shown only once its path answers (``live_paths``) and only to its
audience. Who is a member (approved clinicians and staff) or has a clinician record is decided
by ``directory``, which registers its checks with ``set_audience`` so that ``home`` imports
nothing above it. The same
``live_paths`` keeps a home-page card whose target does not exist yet from showing.
"""

from django.urls import Resolver404, resolve
from django.utils.http import url_has_allowed_host_and_scheme
from wagtail.models import Page, Site

EVERYONE = "everyone"
MEMBERS = "members"  # approved clinicians and staff
CLINICIANS = "clinicians"  # anyone with a clinician record, whatever its status: has /account/
STAFF = "staff"  # may use the Wagtail admin

# label, path, audience. Webinars and case conferences appear as soon as their pages exist.
SECTIONS = [
    ("Hospitals", "/hospitals/", EVERYONE),
    ("Directory", "/directory/", MEMBERS),
    ("Webinars", "/webinars/", EVERYONE),
    ("Case conferences", "/conferences/request/", MEMBERS),
]


def _staff(user):
    return user.is_active and (user.is_superuser or user.has_perm("wagtailadmin.access_admin"))


_audiences = {
    EVERYONE: lambda user: True,
    STAFF: _staff,
    # Until directory says otherwise (DirectoryConfig.ready): staff only, and everyone signed in.
    MEMBERS: _staff,
    CLINICIANS: lambda user: True,
}


def set_audience(name, check):
    """``check(user) -> bool`` decides who belongs to the audience ``name`` (MEMBERS, CLINICIANS)."""
    _audiences[name] = check


def in_audience(user, name):
    if name == EVERYONE:
        return True
    return bool(getattr(user, "is_authenticated", False)) and _audiences[name](user)


def live_paths(paths, request=None):
    """The subset of ``paths`` (site paths such as "/webinars/") that answer with a page.

    A path served by a Django view exists when it resolves; one that falls through to Wagtail
    exists when a live page of the request's site has it. One query, whatever the number of paths.
    """
    found = set()
    wagtail_paths = {}
    for path in paths:
        try:
            match = resolve(path)
        except Resolver404:
            continue
        if match.url_name != "wagtail_serve":
            found.add(path)
        else:
            wagtail_paths[path] = path.strip("/")
    if wagtail_paths:
        site = Site.find_for_request(request) if request is not None else None
        site = site or Site.objects.filter(is_default_site=True).select_related("root_page").first()
        if site is not None:
            root = site.root_page.url_path
            by_url_path = {
                f"{root}{tail}/" if tail else root: p for p, tail in wagtail_paths.items()
            }
            for url_path in (
                Page.objects.live()
                .filter(url_path__in=by_url_path)
                .values_list("url_path", flat=True)
            ):
                found.add(by_url_path[url_path])
    return found


def is_internal(href):
    """A path on this site (not a full URL to elsewhere, an anchor or a mailto: link)."""
    return (
        bool(href)
        and href.startswith("/")
        and not href.startswith("//")
        and url_has_allowed_host_and_scheme(href, allowed_hosts=None)
    )


def without_dead_links(items, href, request=None):
    """``items`` minus those whose ``href(item)`` is a path on this site that does not exist."""
    internal = {href(item).split("?")[0].split("#")[0] for item in items if is_internal(href(item))}
    alive = live_paths(internal, request)
    return [
        item
        for item in items
        if not is_internal(href(item)) or href(item).split("?")[0].split("#")[0] in alive
    ]


def sections_for(request):
    """The site sections this request's user may see, whose pages exist: (label, path)."""
    user = getattr(request, "user", None)
    shown = [(label, path) for label, path, audience in SECTIONS if in_audience(user, audience)]
    alive = live_paths([path for _, path in shown], request)
    return [(label, path) for label, path in shown if path in alive]
