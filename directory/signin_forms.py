"""allauth's form for asking a sign-in code, which first makes sure imported members have an account."""

from allauth.account.forms import RequestLoginCodeForm

from directory.services.accounts import ensure_account_for


class MemberLoginCodeForm(RequestLoginCodeForm):
    def clean_email(self):
        # Before allauth looks the address up, so an imported member is found like anyone else.
        if self.cleaned_data.get("email"):
            ensure_account_for(self.cleaned_data["email"])
        return super().clean_email()
