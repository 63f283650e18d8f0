"""The staff second factor as a person meets it: one emailed code, TOTP set-up, the recovery
codes once with a way on, then the admin.

allauth 65.22 counts only an explicit re-authentication as "recent" (before, a sign-in did), so
a staff member who had just typed an emailed code was asked for a second one before allauth
would let them set up TOTP; and once set up, the session had not "used" TOTP, so /admin/ asked
for it again. Three small adjustments keep allauth's rules otherwise as they are:

- `SignInAccountAdapter.is_reauthentication_required`: adding the *first* authenticator within
  ACCOUNT_REAUTHENTICATION_TIMEOUT of signing in needs no second proof. Anything later, or
  anything done by someone who already has an authenticator (removing TOTP, new recovery
  codes), still asks for it.
- `ActivateTOTPView`: a valid code typed to activate TOTP proves the authenticator as much
  as a code typed at sign-in, so the session counts as signed in with it.
- `StableSecretActivateTOTPForm`: the secret on the set-up page stays the same when the page is
  reloaded, until TOTP is activated (allauth makes a new one on every visit, which breaks the
  authenticator app a person scanned a moment ago).
"""

import time

from allauth.account import app_settings as account_settings
from allauth.account.internal.flows.login import get_authentication_records, record_authentication
from allauth.core import context as allauth_context
from allauth.mfa.models import Authenticator
from allauth.mfa.totp import views as totp_views
from allauth.mfa.totp.forms import ActivateTOTPForm
from allauth.mfa.totp.internal import auth as totp_auth
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme

from cms.mail.adapter import AccountAdapter

MFA_APP = "allauth.mfa"
# Where a staff member was going when they were sent to set up TOTP (directory/middleware.py);
# the recovery-codes page links on to it through `continue_after_setup`.
ONWARD_SESSION_KEY = "cmss_after_second_factor_setup"


def signed_in_moments_ago(request, user):
    """Whether this session signed `user` in within ACCOUNT_REAUTHENTICATION_TIMEOUT."""
    records = get_authentication_records(request, user)
    if not records:
        return False
    return time.time() - records[-1]["at"] < account_settings.REAUTHENTICATION_TIMEOUT


class SignInAccountAdapter(AccountAdapter):
    def is_reauthentication_required(self, *, app, **kwargs):
        required = super().is_reauthentication_required(app=app, **kwargs)
        if not required or app != MFA_APP:
            return required
        request = self.request or allauth_context.request
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return required
        if Authenticator.objects.filter(user=user).exists():
            return True
        return not signed_in_moments_ago(request, user)


class ActivateTOTPView(totp_views.ActivateTOTPView):
    """allauth's TOTP set-up page (at its own URL, see cms/urls.py): a valid code typed to
    activate TOTP proves the authenticator as much as one typed at sign-in, so the session
    counts as signed in with it (and as freshly confirmed, so the recovery codes show)."""

    def form_valid(self, form):
        response = super().form_valid(form)
        user = self.request.user
        authenticator = Authenticator.objects.get(user=user, type=Authenticator.Type.TOTP)
        record_authentication(
            self.request,
            user,
            method="mfa",
            id=authenticator.pk,
            type=authenticator.type,
            reauthenticated=True,
        )
        return response


class StableSecretActivateTOTPForm(ActivateTOTPForm):
    def __init__(self, *args, **kwargs):
        session = allauth_context.request.session
        kept = session.get(totp_auth.SECRET_SESSION_KEY)
        super().__init__(*args, **kwargs)
        if kept and not self.is_bound:
            # allauth's form has just made a new secret for this visit; keep the first one
            # (allauth drops it from the session once TOTP is activated).
            self.secret = session[totp_auth.SECRET_SESSION_KEY] = kept


def remember_onward(request, url):
    request.session[ONWARD_SESSION_KEY] = url


def continue_after_setup(request):
    """The recovery-codes page's "Continue": on to where the staff member was going."""
    url = request.session.pop(ONWARD_SESSION_KEY, None) or "/admin/"
    if not url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        url = "/admin/"
    return redirect(url)
