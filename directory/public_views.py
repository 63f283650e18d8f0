"""The hospitals taking part (public: names and cities only) and the directory (contact details)."""

from django.core.paginator import Paginator
from django.db.models import Q
from django.shortcuts import render
from django.views.decorators.http import require_GET

from directory.access import contact_details_required, directory_countries, in_directory_scope
from directory.models import Clinician, Country
from directory.search import hospitals_matching, search_terms
from home.pagecache import mark_cacheable

HOSPITALS_PER_PAGE = 100
PEOPLE_PER_PAGE = 25
# What /hospitals/ reads from its address, and so what its cached copies are keyed by.
HOSPITAL_LIST_PARAMS = ("country", "q", "page")


def _pagination_query(request, names=None):
    """The current filters as a query string, for the next and previous page links."""
    params = request.GET.copy()
    params.pop("page", None)
    if names is not None:
        for name in list(params):
            if name not in names or not params.get(name):
                del params[name]
    return params.urlencode()


def _country_filter(request):
    code = (request.GET.get("country") or "").upper()[:2]
    countries = list(Country.objects.all())
    selected = next((c for c in countries if c.code == code), None)
    return countries, selected


@require_GET
def hospital_list(request):
    """Public: which hospitals take part, by country, found by name or city. No people, no
    contact details: the same page for every anonymous visitor, so the page cache keeps it
    (dropped when a hospital changes, directory/signals.py)."""
    countries, selected = _country_filter(request)
    query = (request.GET.get("q") or "").strip()[:200]
    hospitals = hospitals_matching(selected, query).select_related("country")
    hospitals = hospitals.only("name", "city", "website", "country__name", "country__code")
    page = Paginator(hospitals, HOSPITALS_PER_PAGE).get_page(request.GET.get("page"))
    # The values this page was rendered with: ?page=abc shows page 1, ?page=99999 the last,
    # ?country=XX every country; such addresses are answered but not stored (home/pagecache.py).
    mark_cacheable(
        request,
        query_params={
            "country": selected.code if selected else None,
            "q": query,
            "page": str(page.number) if request.GET.get("page") or page.number > 1 else None,
        },
    )
    return render(
        request,
        "directory/hospital_list.html",
        {
            "countries": countries,
            "selected_country": selected,
            "query": query,
            "page_obj": page,
            "pagination_query": _pagination_query(request, HOSPITAL_LIST_PARAMS),
        },
    )


@require_GET
@contact_details_required
def directory(request):
    """People with their contact details, searchable: every country for approved clinicians
    and the helpdesk, its own for a national contact point (directory/access.py)."""
    countries, selected = _country_filter(request)
    scope = directory_countries(request.user)
    if scope is not None:
        countries = [country for country in countries if country.pk in scope]
        selected = selected if selected in countries else None
    query = (request.GET.get("q") or "").strip()[:200]
    people = in_directory_scope(
        request.user,
        Clinician.objects.filter(status=Clinician.Status.APPROVED)
        .select_related("hospital__country")
        .order_by("hospital__country__name", "hospital__name", "last_name", "first_name"),
    )
    if selected:
        people = people.filter(hospital__country=selected)
    for term in search_terms(query):
        people = people.filter(Q(search_text__contains=term))
    page = Paginator(people, PEOPLE_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "directory/directory.html",
        {
            "countries": countries,
            "selected_country": selected,
            "query": query,
            "page_obj": page,
            "pagination_query": _pagination_query(request),
        },
    )
