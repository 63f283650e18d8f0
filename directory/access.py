"""Who may see clinicians' contact details: approved clinicians and staff, nobody else."""

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.shortcuts import render
from django.utils.cache import add_never_cache_headers, patch_cache_control

from directory.models import Clinician


def clinician_for(user):
    """The clinician record of a signed-in user, or None."""
    if not user.is_authenticated:
        return None
    try:
        return user.clinician
    except Clinician.DoesNotExist:
        return None


def may_see_contact_details(user):
    if not user.is_authenticated or not user.is_active:
        return False
    if user.is_superuser or user.has_perm("wagtailadmin.access_admin"):
        return True
    clinician = clinician_for(user)
    return clinician is not None and clinician.status == Clinician.Status.APPROVED


def contact_details_required(view):
    """Anonymous visitors go to sign-in; signed-in people without approval get an explanation
    (status 403), never the data."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not may_see_contact_details(request.user):
            clinician = clinician_for(request.user)
            return render(
                request, "directory/not_approved.html", {"clinician": clinician}, status=403
            )
        return private_response(view(request, *args, **kwargs))

    return wrapper


def private_response(response):
    """Pages with personal data: never stored by a browser cache or a proxy."""
    add_never_cache_headers(response)
    patch_cache_control(response, private=True, no_store=True)
    return response
