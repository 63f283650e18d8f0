"""How the directory search compares text: case, accents and spacing ignored, in any script.

SQLite's LIKE folds only ASCII letters, so each hospital and clinician keeps a folded copy of the
text it is found by (`search_text`), and a query is folded the same way before it is compared.
"""

import re
import unicodedata


def fold(text):
    """'  Łódź  MÜLLER ' → 'lodz muller'; Greek and other scripts are case-folded and lose accents."""
    decomposed = unicodedata.normalize("NFKD", (text or "").casefold())
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    # Letters that do not decompose into a base letter and an accent.
    stripped = stripped.translate(_NON_DECOMPOSING)
    return re.sub(r"\s+", " ", stripped).strip()


_NON_DECOMPOSING = str.maketrans({"ł": "l", "ø": "o", "đ": "d", "ß": "ss", "æ": "ae", "œ": "oe"})


def search_terms(query, limit=8):
    """The folded words of a query, at most `limit` of them, each at least one character."""
    return [term for term in fold(query).split(" ") if term][:limit]


def hospital_search_text(hospital, country=None):
    country = country or hospital.country
    return fold(" ".join([hospital.name, hospital.city, country.name, country.code]))


def clinician_search_text(clinician, hospital=None):
    parts = [clinician.first_name, clinician.last_name, clinician.specialty, clinician.languages]
    if hospital is not None:
        parts += [hospital.name, hospital.city, hospital.country.name, hospital.country.code]
    return fold(" ".join(parts))


def hospitals_matching(country, query, queryset=None):
    """Hospitals taking part (in `country`, or anywhere when it is None) whose name or city
    holds every word of `query`.

    Accents, case, spacing and commas are ignored ("Erasme, Bruxelles" finds what the combobox
    wrote). Within a country, hospitals whose name starts with the first word come first, then
    by name and city. An empty query matches them all.
    """
    from django.db.models import Case, IntegerField, Value, When

    from directory.models import Hospital

    hospitals = queryset if queryset is not None else Hospital.objects.all()
    hospitals = hospitals.filter(taking_part=True)
    order = ["name", "city", "pk"]
    if country is None:
        order.insert(0, "country__name")
    else:
        hospitals = hospitals.filter(country=country)
    terms = search_terms((query or "").replace(",", " "))
    for term in terms:
        hospitals = hospitals.filter(search_text__contains=term)
    if terms and country is not None:
        starts = Case(
            When(search_text__startswith=terms[0], then=Value(0)),
            default=Value(1),
            output_field=IntegerField(),
        )
        hospitals = hospitals.annotate(starts_with_query=starts)
        order.insert(0, "starts_with_query")
    return hospitals.order_by(*order)


def country_for_code(value):
    """The Country whose ISO code `value` is (as a form or a query string gives it), or None."""
    from directory.models import Country

    code = (value or "").strip().upper()[:2]
    return Country.objects.filter(code=code).first() if code else None


def first_found(queryset, limit):
    """(the first `limit` rows of `queryset`, how many match in all): the count is a second
    query only when the first `limit` rows do not already tell."""
    rows = list(queryset[:limit])
    return rows, len(rows) if len(rows) < limit else queryset.count()
