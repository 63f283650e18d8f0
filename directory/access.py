"""Who may see clinicians' contact details, decided by what each role's work needs
(Regulation (EU) 2018/1725, Article 4(1)(c)):

- approved clinicians, the helpdesk and administrators: the whole directory;
- a national contact point: its own country's people (the countries it keeps in the admin);
- the Health Security Committee: the whole directory, to read (directory/committee.py; every
  page of it they open is recorded in the audit log);
- editors and moderators, who edit the site's content: none of it;
- anyone else (not signed in, not approved, suspended): none of it.

Someone who is two of these (an approved clinician who is also an editor or a contact point)
gets the larger right.
"""

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.shortcuts import render
from django.utils.cache import add_never_cache_headers, patch_cache_control

from directory import committee
from directory.models import Clinician
from directory.services import access as admin_access

ALL_COUNTRIES = None


def clinician_for(user):
    """The clinician record of a signed-in user, or None."""
    if not user.is_authenticated:
        return None
    try:
        return user.clinician
    except Clinician.DoesNotExist:
        return None


def directory_countries(user):
    """The countries whose people ``user`` may see in the directory: ALL_COUNTRIES (None), a
    frozenset of country ids (a national contact point's), or an empty frozenset (none)."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return frozenset()
    clinician = clinician_for(user)
    if clinician is not None and clinician.status == Clinician.Status.APPROVED:
        return ALL_COUNTRIES
    # The helpdesk and superusers: None (all); a contact point: its countries; the committee:
    # all, to read; others: none.
    countries = admin_access.countries_for_user(user)
    if countries is not None and not countries and committee.is_committee_member(user):
        return ALL_COUNTRIES
    return countries


def may_see_contact_details(user):
    """Whether ``user`` may open the directory at all (some country's people, or all)."""
    countries = directory_countries(user)
    return countries is ALL_COUNTRIES or bool(countries)


def in_directory_scope(user, people):
    """``people`` (a queryset of clinicians) cut down to the countries ``user`` may see."""
    countries = directory_countries(user)
    if countries is ALL_COUNTRIES:
        return people
    return people.filter(hospital__country__in=countries)


def contact_details_required(view):
    """Anonymous visitors go to sign-in; signed-in people who may not see the directory get an
    explanation (status 403), never the data."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not may_see_contact_details(request.user):
            clinician = clinician_for(request.user)
            return render(
                request,
                "directory/not_approved.html",
                {"clinician": clinician, "staff": _staff(request.user)},
                status=403,
            )
        response = view(request, *args, **kwargs)
        if response.status_code == 200 and committee.is_committee_member(request.user):
            committee.log_contact_details_view(request, view.__name__)
        return private_response(response)

    return wrapper


def _staff(user):
    return user.is_superuser or user.has_perm("wagtailadmin.access_admin")


def private_response(response):
    """Pages with personal data: never stored by a browser cache or a proxy."""
    add_never_cache_headers(response)
    patch_cache_control(response, private=True, no_store=True)
    return response
