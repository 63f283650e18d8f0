"""Public views of the directory app: enrolment at /enrol/."""

from allauth.account import app_settings as account_settings
from allauth.account.internal.flows.signup import complete_signup, prevent_enumeration
from allauth.core import ratelimit
from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from directory.forms import EnrolmentForm
from directory.services import enrolment
from home.models import PrivacyStatementPage


@require_http_methods(["GET", "POST"])
def enrol(request):
    """The enrolment form. A valid form ends on allauth's "enter the code we sent" page,
    whether or not the address was already enrolled (the email says which)."""
    privacy_statement = PrivacyStatementPage.in_force()
    if request.method == "POST":
        if not ratelimit.consume(request, action="enrol"):
            return ratelimit.respond_429(request)
        form = EnrolmentForm(request.POST, privacy_statement=privacy_statement)
        if form.is_valid():
            email = form.cleaned_data["email"].strip().lower()
            if not ratelimit.consume(request, action="enrol_email", key=email):
                return ratelimit.respond_429(request)
            if enrolment.email_is_known(email):
                # The same page as a new enrolment; allauth mails the address that it is
                # already enrolled (templates/account/email/account_already_exists_*).
                return prevent_enumeration(request, email=email)
            try:
                clinician = enrolment.record_enrolment(form.cleaned_data, privacy_statement)
            except IntegrityError:
                # The same address enrolled a moment ago in another request: answer as for
                # any known address.
                return prevent_enumeration(request, email=email)
            except ValidationError as error:
                # Someone else took the hospital's last contact-person place meanwhile.
                form.add_error(None, error)
            else:
                return complete_signup(
                    request,
                    user=clinician.user,
                    email_verification=account_settings.EmailVerificationMethod.MANDATORY,
                    redirect_url=reverse("directory:enrol_confirmed"),
                )
    else:
        form = EnrolmentForm(privacy_statement=privacy_statement)
    return render(
        request,
        "directory/enrol.html",
        {"form": form, "privacy_statement": privacy_statement},
    )


def enrol_confirmed(request):
    """Where a new clinician lands once the code confirmed their address."""
    return render(request, "directory/enrol_confirmed.html")
