"""/webinars/join/<token>/: a registrant's own join link. Webex's per-person join links expire
within an hour, so the emails carry this address instead; following it asks Webex for a fresh
link for that registrant and goes there (events.services.webinars)."""

import logging

from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from directory.access import private_response
from events.models import Registration, WebinarPage
from events.services import webinars
from events.webex import WebexError

logger = logging.getLogger(__name__)


@require_GET
def join(request, token):
    registration = webinars.registration_for_token(token)
    if registration is None:
        return private_response(
            render(request, "events/join_unavailable.html", {"reason": "unknown"}, status=404)
        )
    webinar = registration.webinar
    if registration.status != Registration.Status.CONFIRMED or registration.erased:
        reason = "not_registered"
    elif webinar.state == WebinarPage.State.CANCELLED:
        reason = "cancelled"
    else:
        reason = ""
    if reason:
        return private_response(
            render(
                request,
                "events/join_unavailable.html",
                {"reason": reason, "webinar": webinar},
                status=410,
            )
        )
    try:
        link = webinars.webex_join_link(registration)
    except WebexError as error:
        logger.warning("No fresh join link for registration %s: %s", registration.pk, error)
        details = webinars.join_details(webinar)
        if details and details["web_link"]:
            # Webex's page for the webinar: it asks for the registrant's name and email.
            return private_response(redirect(details["web_link"]))
        return private_response(
            render(
                request,
                "events/join_unavailable.html",
                {"reason": "not_ready", "webinar": webinar},
                status=503,
            )
        )
    return private_response(redirect(link))
