"""/conferences/request/: an approved clinician asks for a case conference; the helpdesk works
it in the admin. Thin: the form checks the input against the service's rules, and
``conference_requests.submit_request`` stores it.

Without JavaScript the invitee picker is the same form posted with "Find": it comes back with the
matches as checkboxes and everything typed kept, and nothing is judged yet. With JavaScript,
static/js/invitee-picker.js searches as one types through ``invitee_search`` (JSON).
"""

import json
import uuid

from django.contrib.auth.views import redirect_to_login
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from directory.access import clinician_for, private_response
from directory.models import Clinician
from events.conference_forms import ConferenceRequestForm
from events.models import ConferenceRequest
from events.services import conference_requests as service

FIND_BUTTON = "find"
# The picker's JSON: at most this many searches per person per window.
SEARCHES_PER_WINDOW = 120
SEARCH_WINDOW_SECONDS = 600
JSON_ESCAPES = str.maketrans({"<": "\\u003C", ">": "\\u003E", "&": "\\u0026"})


def _approved(clinician):
    return clinician is not None and clinician.status == Clinician.Status.APPROVED


def _refusal(request, clinician):
    return private_response(
        render(
            request,
            "events/conference_request_not_member.html",
            {"clinician": clinician},
            status=403,
        )
    )


def _typed(post, clinician):
    """What was typed, as the initial values of a form shown again after "Find"."""
    initial = {name: post.get(name) for name in post if name not in ("people", "hospitals")}
    initial["people"] = post.getlist("people")
    initial["hospitals"] = post.getlist("hospitals")
    initial.setdefault("time_zone", service.zone_of(clinician))
    return initial


def _earlier(post, clinician):
    """The request an earlier submit of this form made (same one-time key), or None."""
    try:
        key = uuid.UUID(post.get("submission_key") or "")
    except ValueError:
        return None
    return ConferenceRequest.objects.filter(submission_key=key, requester=clinician).first()


@require_http_methods(["GET", "POST"])
def request_conference(request):
    """GET: the form. POST with "Find": the form again with the matches. POST: the request
    (submit_request), then its confirmation; the same form posted twice shows the first."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    clinician = clinician_for(request.user)
    if not _approved(clinician):
        return _refusal(request, clinician)
    if request.method == "POST":
        earlier = _earlier(request.POST, clinician)
        if earlier is not None:
            return redirect("events:conference_request_sent", pk=earlier.pk)
    if request.method == "POST" and FIND_BUTTON in request.POST:
        form = ConferenceRequestForm(
            initial=_typed(request.POST, clinician),
            requester=clinician,
            search=(request.POST.get("invitee_query") or "").strip()[:200],
        )
    elif request.method == "POST":
        form = ConferenceRequestForm(request.POST, requester=clinician)
        if form.is_valid():
            data = dict(form.cleaned_data)
            if data.get("submission_key") is None:
                data["submission_key"] = uuid.uuid4()
            try:
                conference = service.submit_request(clinician, data)
            except ValidationError as error:
                for field, messages in error.message_dict.items():
                    form.add_error(field if field in form.fields else None, messages)
            else:
                return redirect("events:conference_request_sent", pk=conference.pk)
    else:
        form = ConferenceRequestForm(
            initial={"submission_key": uuid.uuid4(), "time_zone": service.zone_of(clinician)},
            requester=clinician,
        )
    return private_response(
        render(
            request,
            "events/conference_request.html",
            {
                "form": form,
                "clinician": clinician,
                "participant_limit": service.participant_limit(),
            },
        )
    )


@require_GET
def request_sent(request, pk):
    """The confirmation of a request, for its requester only."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    clinician = clinician_for(request.user)
    if clinician is None:
        raise Http404
    conference = (
        ConferenceRequest.objects.filter(pk=pk, requester=clinician)
        .prefetch_related("slots", "invitees__clinician__hospital__country")
        .first()
    )
    if conference is None:
        raise Http404
    return private_response(
        render(request, "events/conference_request_sent.html", {"conference": conference})
    )


@require_GET
def invitee_search(request):
    """JSON for the invitee picker: people and hospitals matching ?q= (names, hospitals, cities
    and countries: never an email or a phone number), for approved clinicians only; at most
    SEARCHES_PER_WINDOW searches per person in SEARCH_WINDOW_SECONDS."""
    clinician = clinician_for(request.user)
    if not _approved(clinician):
        return _json({"error": "The directory search is for approved members."}, status=403)
    if not _within_rate(request.user.pk):
        response = _json({"error": "Too many searches: wait a few minutes."}, status=429)
        response["Retry-After"] = str(SEARCH_WINDOW_SECONDS)
        return response
    query = (request.GET.get("q") or "")[:200]
    return _json(service.invitee_search(query, exclude=clinician))


def _within_rate(user_pk):
    window = int(timezone.now().timestamp()) // SEARCH_WINDOW_SECONDS
    key = f"events:conference-invitee-search:{user_pk}:{window}"
    if cache.add(key, 1, SEARCH_WINDOW_SECONDS):
        return True
    try:
        return cache.incr(key) <= SEARCHES_PER_WINDOW
    except ValueError:  # expired between add and incr: a new window
        cache.set(key, 1, SEARCH_WINDOW_SECONDS)
        return True


def _json(data, status=200):
    body = json.dumps(data, ensure_ascii=False, separators=(",", ":")).translate(JSON_ESCAPES)
    response = HttpResponse(body, status=status, content_type="application/json; charset=utf-8")
    return private_response(response)
