"""The staff second factor: /admin/ needs admin access and a session signed in with TOTP.

allauth asks for TOTP at sign-in once a user has set it up, but nothing in allauth makes
staff set it up, and Wagtail's admin would let in a session that signed in another way.
"""

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode

from directory.second_factor import remember_onward

ADMIN_PREFIX = "/admin/"


def has_admin_access(user):
    return user.is_superuser or user.has_perm("wagtailadmin.access_admin")


def has_totp(user):
    from allauth.mfa.models import Authenticator

    return Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()


def session_used_second_factor(request):
    from allauth.account.internal.flows.login import get_authentication_records

    records = get_authentication_records(request, request.user)
    return any(record.get("method") == "mfa" for record in records)


class StaffSecondFactorMiddleware:
    """On /admin/, for a signed-in user: 403 without admin access (a signed-in clinician
    would otherwise be sent to sign in again, round and round); staff without TOTP go to
    set it up, staff whose session did not use it go to re-authenticate with it.

    Anonymous visitors are left to Wagtail, which sends them to WAGTAILADMIN_LOGIN_URL.
    CMSS_DEMO_RELAX_STAFF_MFA (the demo only; production forces it off) skips the TOTP part.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path.startswith(ADMIN_PREFIX) and request.user.is_authenticated:
            response = self.check(request)
            if response is not None:
                return response
        return self.get_response(request)

    def check(self, request):
        user = request.user
        if not has_admin_access(user):
            raise PermissionDenied("This account has no access to the admin.")
        if getattr(settings, "CMSS_DEMO_RELAX_STAFF_MFA", False):
            return None
        back = urlencode({"next": request.get_full_path()})
        if not has_totp(user):
            remember_onward(request, request.get_full_path())
            return redirect(f"{reverse('mfa_activate_totp')}?{back}")
        if not session_used_second_factor(request):
            return redirect(f"{reverse('mfa_reauthenticate')}?{back}")
        return None
