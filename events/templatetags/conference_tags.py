"""The member's case conferences on /account/ (the directory's page cannot import events, so
its template loads this tag)."""

from django import template
from django.db.models import Q

from events.models import ConferenceRequest, WebexBooking
from events.services.conference_requests import zone_of

register = template.Library()

Status = ConferenceRequest.Status
POLLING = (Status.SUBMITTED, Status.POLLING)


@register.inclusion_tag("events/conference_account_list.html")
def member_conferences(clinician):
    """The conferences ``clinician`` asked for or is invited to (an erased invitation is not
    theirs any more), newest first: status, the chosen time (or the proposed ones while the
    invitees are asked) in the clinician's zone, and the join link once Webex has booked it."""
    zone = zone_of(clinician)
    conferences = (
        ConferenceRequest.objects.filter(
            Q(requester=clinician) | Q(invitees__clinician=clinician, invitees__erased=False)
        )
        .distinct()
        .select_related("booking", "chosen_slot")
        .prefetch_related("slots")
        .order_by("-created_at", "-pk")
    )
    rows = []
    for conference in conferences:
        chosen = conference.chosen_slot if conference.status not in POLLING else None
        booking = conference.booking
        joinable = (
            conference.status == Status.SCHEDULED
            and booking is not None
            and booking.status == WebexBooking.Status.BOOKED
            and booking.web_link
        )
        rows.append(
            {
                "conference": conference,
                "asked_by_you": conference.requester_id == clinician.pk,
                "times": [chosen.start] if chosen else list(conference.slots.all()),
                "chosen": chosen is not None,
                "join_link": booking.web_link if joinable else "",
            }
        )
    return {"rows": rows, "zone": zone, "clinician": clinician}
