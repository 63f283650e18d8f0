"""Registering for a webinar, confirming the email code, and the cancel-my-place page.

Thin adapters over events/services/registrations.py. The form never tells whether an address was
already registered: every valid form ends on the "enter your code" page, and the email says the
rest. Which registration that page confirms is kept in the session, never in the address, so
nobody learns or reaches another person's registration from a URL they did not get by email.
"""

from allauth.core import ratelimit
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.cache import add_never_cache_headers
from django.views.decorators.http import require_http_methods

from directory.access import clinician_for
from directory.models import Clinician
from events.forms import CodeForm, RegistrationForm
from events.models import Registration, WebinarPage
from events.services import registrations
from home.models import PrivacyStatementPage

PENDING = "events:registration_pending"


def _webinar(slug):
    return get_object_or_404(WebinarPage.objects.live().public(), slug=slug)


def _private(response):
    add_never_cache_headers(response)
    return response


def _approved_clinician(request):
    clinician = clinician_for(request.user)
    if clinician is not None and clinician.status == Clinician.Status.APPROVED:
        return clinician
    return None


@require_http_methods(["GET", "POST"])
def register(request, slug):
    """GET: the form (or, for a signed-in approved clinician, one button). POST: register."""
    webinar = _webinar(slug)
    privacy_statement = PrivacyStatementPage.in_force()
    closed = registrations.closed_reason(webinar)
    context = {
        "webinar": webinar,
        "privacy_statement": privacy_statement,
        "closed": closed,
        "places_left": registrations.places_left(webinar),
    }
    clinician = _approved_clinician(request)
    if clinician is not None:
        context["clinician"] = clinician
        if request.method == "POST" and not closed:
            return _one_click(request, webinar, clinician, privacy_statement, context)
        context["existing"] = registrations.live_registration(webinar, clinician.email)
        return _private(render(request, "events/register_one_click.html", context))

    form = RegistrationForm(
        request.POST if request.method == "POST" else None, privacy_statement=privacy_statement
    )
    if request.method == "POST" and not closed:
        if not ratelimit.consume(request, action="webinar_register"):
            return ratelimit.respond_429(request)
        if form.is_valid():
            data = form.cleaned_data
            key = f"{webinar.pk}:{data['email']}"
            if not ratelimit.consume(request, action="webinar_register_email", key=key):
                return ratelimit.respond_429(request)
            try:
                registration, _created = registrations.register(
                    webinar,
                    first_name=data["first_name"],
                    last_name=data["last_name"],
                    email=data["email"],
                    profession=data["profession"],
                    country=data["country"],
                    privacy_version=privacy_statement.version,
                )
            except registrations.RegistrationClosed as error:
                context["closed"] = str(error)
            else:
                if registration.status == Registration.Status.UNCONFIRMED:
                    registrations.send_code(registration)
                    request.session[PENDING] = registration.pk
                else:
                    # Already registered: the email says so, with their cancel link; this
                    # page looks the same as for a new registration.
                    registrations.send_already_registered(registration)
                    request.session.pop(PENDING, None)
                return redirect("events:registration_code", slug=webinar.slug)
    context["form"] = form
    return _private(render(request, "events/register.html", context))


def _one_click(request, webinar, clinician, privacy_statement, context):
    try:
        registration, created = registrations.register(
            webinar,
            first_name=clinician.first_name,
            last_name=clinician.last_name,
            email=clinician.email,
            profession=clinician.specialty,
            country=clinician.hospital.country if clinician.hospital_id else None,
            privacy_version=privacy_statement.version if privacy_statement else "",
            clinician=clinician,
            confirmed=True,
        )
    except registrations.RegistrationClosed as error:
        context["closed"] = str(error)
        return _private(render(request, "events/register_one_click.html", context, status=409))
    context.update(registration=registration, created=created)
    return _private(render(request, "events/registration_done.html", context))


@require_http_methods(["GET", "POST"])
def enter_code(request, slug):
    """The "enter the code we sent you" page; a right code takes a place or a place in line."""
    webinar = _webinar(slug)
    pending = Registration.objects.filter(
        pk=request.session.get(PENDING) or 0, webinar=webinar
    ).first()
    form = CodeForm(request.POST if request.method == "POST" else None)
    context = {"webinar": webinar, "form": form}
    if request.method == "POST":
        if not ratelimit.consume(request, action="webinar_code"):
            return ratelimit.respond_429(request)
        if form.is_valid():
            if pending is None:
                form.add_error(
                    "code",
                    "That code is not the one we sent: check it, or register again for a new one.",
                )
            else:
                try:
                    registration = registrations.confirm_email(pending, form.cleaned_data["code"])
                except registrations.RegistrationError as error:
                    form.add_error("code", str(error))
                else:
                    request.session.pop(PENDING, None)
                    context.update(registration=registration, created=True)
                    return _private(render(request, "events/registration_done.html", context))
    return _private(render(request, "events/registration_code.html", context))


@require_http_methods(["GET", "POST"])
def cancel(request, token):
    """The cancel-my-place page of the emailed link: no sign-in, a button to confirm; and a
    button to have the registration's personal data erased."""
    registration = Registration.objects.select_related("webinar").filter(cancel_token=token).first()
    if registration is None or not token:
        raise Http404("No registration has this link.")
    context = {"registration": registration, "webinar": registration.webinar}
    if request.method == "POST":
        if request.POST.get("action") == "forget":
            registrations.forget(registration)
            context["forgotten"] = True
        else:
            registration = registrations.cancel(registration, by="registrant")
            context.update(registration=registration, cancelled_now=True)
    return _private(render(request, "events/registration_cancel.html", context))
