"""Public views of the directory app: enrolment at /enrol/ and its hospital search."""

import json
import re

from allauth.account import app_settings as account_settings
from allauth.account.internal.flows.signup import complete_signup, prevent_enumeration
from allauth.core import ratelimit
from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from directory.forms import FIND_BUTTON, EnrolmentForm
from directory.search import country_for_code, first_found, hospitals_matching
from directory.services import enrolment
from home.models import PrivacyStatementPage
from home.pagecache import current_generation, mark_cacheable

COMBOBOX_LIMIT = 20
# What json.dumps leaves as it is and an HTML parser would not (as django.utils.html.json_script).
JSON_ESCAPES = str.maketrans({"<": "\\u003C", ">": "\\u003E", "&": "\\u0026"})
BLANK_FORM_KEY = "directory:enrol-blank-form:{host}:{generation}"
CSRF_PLACEHOLDER = "__CMSS_ENROL_CSRF_TOKEN__"
CSRF_FIELD = re.compile(r'(name="csrfmiddlewaretoken" value=)"[^"]*"')


def _typed(data):
    """What the person typed into the enrolment form, to show it again unjudged."""
    return {name: data.get(name) for name in EnrolmentForm.base_fields if name in data}


@require_http_methods(["GET", "POST"])
def enrol(request):
    """The enrolment form. A valid form ends on allauth's "enter the code we sent" page,
    whether or not the address was already enrolled (the email says which).

    "Find my hospital" (step 1 without JavaScript) posts the same form: it is shown again with
    the hospitals found and everything typed kept, and nothing is judged yet. A link may open
    step 2 directly: /enrol/?country=BE&hospital_query=erasme.
    """
    blank = _blank_form_for_anonymous(request)
    if blank is not None:
        return blank
    privacy_statement = PrivacyStatementPage.in_force()
    if request.method == "POST" and FIND_BUTTON in request.POST:
        form = EnrolmentForm(
            initial=_typed(request.POST), privacy_statement=privacy_statement, search_asked=True
        )
    elif request.method == "POST":
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
        form = EnrolmentForm(
            initial=_typed(request.GET),
            privacy_statement=privacy_statement,
            search_asked="country" in request.GET,
        )
    return render(
        request,
        "directory/enrol.html",
        {"form": form, "privacy_statement": privacy_statement},
    )


def _blank_form_for_anonymous(request):
    """The empty form as an anonymous visitor first sees it, from the cache; None otherwise.

    It is the same page for all of them but for its CSRF token, so it is kept rendered with a
    placeholder where the token goes and each visitor gets their own token put in (and the
    cookie that goes with it, by get_token). Kept per page-cache generation: publishing a
    privacy statement or changing a country drops it as it drops the cached public pages.
    """
    if (
        request.method != "GET"
        or request.GET
        or settings.SESSION_COOKIE_NAME in request.COOKIES
        or "messages" in request.COOKIES
    ):
        return None
    key = BLANK_FORM_KEY.format(host=request.get_host(), generation=current_generation())
    page = cache.get(key)
    if page is None:
        privacy_statement = PrivacyStatementPage.in_force()
        response = render(
            request,
            "directory/enrol.html",
            {
                "form": EnrolmentForm(privacy_statement=privacy_statement),
                "privacy_statement": privacy_statement,
            },
        )
        page, found = CSRF_FIELD.subn(
            rf'\g<1>"{CSRF_PLACEHOLDER}"', response.content.decode(), count=2
        )
        if found != 1:  # one form, one token: anything else is not the page this expects
            return response
        cache.set(key, page, settings.CMSS_PAGE_CACHE_SECONDS)
    return HttpResponse(page.replace(CSRF_PLACEHOLDER, get_token(request)))


@require_GET
def enrol_hospitals(request):
    """Public JSON for the combobox of /enrol/: taking-part hospitals of ?country= whose name
    or city matches ?q=, at most COMBOBOX_LIMIT, with the number found.

    Names and cities only (and the id the form posts back); the same for everyone, so the page
    cache keeps it and a hospital's change drops it (directory/signals.py). Its Cache-Control is
    the page cache's, as for any public page: `public, max-age=0, s-maxage=N` on what it stores,
    `private, no-cache` on anything else; no browser lifetime of its own, which no
    invalidation could reach.
    """
    country = country_for_code(request.GET.get("country"))
    if country is None:
        return _json({"error": "Choose the country of your hospital first."}, status=400)
    query = (request.GET.get("q") or "")[:200]
    found = hospitals_matching(country, query)
    rows, total = first_found(found.values_list("pk", "name", "city"), COMBOBOX_LIMIT)
    # Stored only under the values as read: ?country=be, or a search with spaces around or
    # doubled, finds the same and is answered, not stored (home/pagecache.py).
    mark_cacheable(request, query_params={"country": country.code, "q": " ".join(query.split())})
    return _json(
        {
            "country": country.code,
            "total": total,
            "hospitals": [{"id": pk, "name": name, "city": city} for pk, name, city in rows],
        }
    )


def _json(data, status=200):
    body = json.dumps(data, ensure_ascii=False, separators=(",", ":")).translate(JSON_ESCAPES)
    return HttpResponse(body, status=status, content_type="application/json; charset=utf-8")


def enrol_confirmed(request):
    """Where a new clinician lands once the code confirmed their address."""
    return render(request, "directory/enrol_confirmed.html")
