"""allauth's sign-in forms, which first make sure imported members have an account.

Clinicians and staff alike sign in with their email address and a one-time code (no password
field: `ACCOUNT_SIGNUP_FIELDS` has none), either from the sign-in page or from "email me a code".
"""

from allauth.account.forms import LoginForm, RequestLoginCodeForm

from cms.emails import normalise_email
from cms.text import CleanTextFormMixin
from directory.services.accounts import ensure_account_for


class MemberLoginForm(CleanTextFormMixin, LoginForm):
    def clean_login(self):
        # The domain in IDNA ASCII (cms/emails.py): a Unicode spelling finds the same account.
        login = normalise_email(super().clean_login())
        # Before allauth looks the address up, so an imported member is found like anyone else.
        ensure_account_for(login)
        return login


class MemberLoginCodeForm(CleanTextFormMixin, RequestLoginCodeForm):
    def clean_email(self):
        if self.cleaned_data.get("email"):
            self.cleaned_data["email"] = normalise_email(self.cleaned_data["email"])
            ensure_account_for(self.cleaned_data["email"])
        return super().clean_email()
