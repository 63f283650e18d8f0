"""The hospitals taking part (public: names and cities only) and the directory (contact details)."""

from django.core.paginator import Paginator
from django.db.models import Q
from django.shortcuts import render
from django.views.decorators.http import require_GET

from directory.access import contact_details_required
from directory.models import Clinician, Country, Hospital
from directory.search import search_terms

HOSPITALS_PER_PAGE = 100
PEOPLE_PER_PAGE = 25


def _pagination_query(request):
    """The current filters as a query string, for the next and previous page links."""
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()


def _country_filter(request):
    code = (request.GET.get("country") or "").upper()[:2]
    countries = list(Country.objects.all())
    selected = next((c for c in countries if c.code == code), None)
    return countries, selected


@require_GET
def hospital_list(request):
    """Public: which hospitals take part, by country. No people, no contact details."""
    countries, selected = _country_filter(request)
    hospitals = (
        Hospital.objects.filter(taking_part=True)
        .select_related("country")
        .only("name", "city", "website", "country__name", "country__code")
        .order_by("country__name", "name", "city")
    )
    if selected:
        hospitals = hospitals.filter(country=selected)
    page = Paginator(hospitals, HOSPITALS_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "directory/hospital_list.html",
        {
            "countries": countries,
            "selected_country": selected,
            "page_obj": page,
            "pagination_query": _pagination_query(request),
        },
    )


@require_GET
@contact_details_required
def directory(request):
    """Approved clinicians and staff: people with their contact details, searchable."""
    countries, selected = _country_filter(request)
    query = (request.GET.get("q") or "").strip()[:200]
    people = (
        Clinician.objects.filter(status=Clinician.Status.APPROVED)
        .select_related("hospital__country")
        .order_by("hospital__country__name", "hospital__name", "last_name", "first_name")
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
