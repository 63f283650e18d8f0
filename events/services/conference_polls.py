"""The slot poll of a case conference: each invitee marks the proposed slots yes, if need be or
no through a link that needs no sign-in (their ``poll_token``), and the helpdesk sees every
slot in each participant's own time with the answers, the slots that fall outside someone's
working day, and the slot that suits most.

Sending the poll is a step of the queue (events/services/conference_scheduling.py, "Ask
invitees"); this module holds what the poll page and the helpdesk's view need.
"""

import datetime
import zoneinfo
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from cms.mail.services import send_mail
from events.calendar import PATIENT_DATA_REMINDER
from events.models import ConferenceInvitee, ConferenceRequest, SlotAnswer
from events.zones import clinician_zone_name

Status = ConferenceRequest.Status
Answer = SlotAnswer.Answer

# The poll can be answered (and answered again) until the conference is scheduled.
OPEN_STATUSES = (Status.SUBMITTED, Status.POLLING)
WORKING_HOURS = (datetime.time(8, 0), datetime.time(18, 0))
SCORES = {Answer.YES: 2, Answer.IF_NEED_BE: 1, Answer.NO: 0}


class PollClosed(Exception):
    """The request is scheduled, held, closed, declined or cancelled: answers are no longer
    taken."""


class UnknownSlot(ValueError):
    """An answer names a slot that is not one of the request's."""


def zone_of(clinician):
    """The IANA zone ``clinician`` lives in: their own, else their hospital's country's, else
    the site's."""
    return clinician_zone_name(clinician, fallback=settings.TIME_ZONE)


def poll_is_open(conference):
    return conference.status in OPEN_STATUSES


def invitee_for_token(token):
    """The invitee whose poll link ends in ``token`` (not erased). Raises
    ConferenceInvitee.DoesNotExist."""
    return ConferenceInvitee.objects.select_related("request", "clinician__hospital__country").get(
        poll_token=token, erased=False, clinician__isnull=False
    )


def poll_url(invitee):
    """The absolute no-login link of ``invitee``'s poll."""
    from django.urls import reverse

    path = reverse("events:conference_poll", args=[invitee.poll_token])
    return f"{settings.CMSS_BASE_URL.rstrip('/')}{path}"


@dataclass
class LocalSlot:
    """A slot as one participant sees it: start and end in their zone, and whether it falls
    outside 08:00–18:00 there or on a Saturday or Sunday."""

    slot: object
    start: datetime.datetime
    end: datetime.datetime
    zone: str

    @property
    def label(self):
        """E.g. "Tuesday 8 December 2026, 14:00–15:00 (Europe/Lisbon)", written here because
        the template date filter would turn it back into the site's zone."""
        start, end = self.start, self.end
        day = f"{start:%A} {start.day} {start:%B %Y}"
        until = f"{end:%H:%M}" if end.date() == start.date() else f"{end:%A %H:%M}"
        return f"{day}, {start:%H:%M}–{until} ({self.zone})"

    @property
    def time_label(self):
        """E.g. "Tue 8 Dec, 14:00–15:00": for a table whose column names the zone."""
        start, end = self.start, self.end
        return f"{start:%a} {start.day} {start:%b}, {start:%H:%M}–{end:%H:%M}"

    @property
    def weekend(self):
        return self.start.weekday() >= 5

    @property
    def outside_hours(self):
        first, last = WORKING_HOURS
        # An end at 18:00 sharp is inside; one that runs past midnight is outside.
        return (
            self.start.time() < first
            or self.start.date() != self.end.date()
            or self.end.time() > last
        )

    @property
    def flagged(self):
        return self.weekend or self.outside_hours

    @property
    def flag_text(self):
        reasons = []
        if self.weekend:
            reasons.append("weekend")
        if self.outside_hours:
            reasons.append("outside 08:00–18:00")
        return ", ".join(reasons)


def local_slot(slot, zone, duration_minutes):
    tz = zoneinfo.ZoneInfo(zone)
    start = slot.start.astimezone(tz)
    return LocalSlot(
        slot=slot,
        start=start,
        end=(slot.start + datetime.timedelta(minutes=duration_minutes)).astimezone(tz),
        zone=zone,
    )


def slots_for(invitee):
    """``invitee``'s request's slots in the invitee's zone, each with their answer so far
    (``answer``: "yes", "maybe", "no" or "")."""
    conference = invitee.request
    zone = zone_of(invitee.clinician)
    answers = dict(invitee.answers.values_list("slot_id", "answer"))
    rows = []
    for slot in conference.slots.all():
        local = local_slot(slot, zone, conference.duration_minutes)
        rows.append({"slot": slot, "local": local, "answer": answers.get(slot.pk, "")})
    return rows


def send_poll(invitee):
    """Email ``invitee`` the proposed slots in their own time and their poll link (after
    commit, through the mail service). Returns the OutgoingMessage, or None when the invitee
    has no address (erased)."""
    clinician = invitee.clinician
    if invitee.erased or clinician is None or not clinician.email:
        return None
    conference = invitee.request
    return send_mail(
        "events/email/conference_poll",
        {
            "conference": conference,
            "clinician": clinician,
            "requester": conference.requester,
            "slots": slots_for(invitee),
            "zone": zone_of(clinician),
            "poll_url": poll_url(invitee),
            "reminder": PATIENT_DATA_REMINDER,
        },
        clinician.email,
        to_name=clinician.full_name,
        kind="conference_poll",
        related=conference,
    )


def record_answers(invitee, answers):
    """Store ``invitee``'s answers, ``{slot id: "yes" | "maybe" | "no"}``, replacing earlier
    ones; slots left out keep what they had. Returns the invitee.

    Takes the request's row lock, so an answer never lands after the request was scheduled or
    cancelled. Raises PollClosed once the poll is closed, UnknownSlot for a slot of another
    request, ValueError for an answer that is not one of the three.
    """
    with transaction.atomic():
        conference = ConferenceRequest.objects.select_for_update().get(pk=invitee.request_id)
        if not poll_is_open(conference):
            raise PollClosed(
                f"This case conference is {conference.get_status_display().lower()}: "
                "the poll is closed."
            )
        slot_ids = set(conference.slots.values_list("pk", flat=True))
        for slot_id, answer in answers.items():
            if int(slot_id) not in slot_ids:
                raise UnknownSlot(f"Slot {slot_id} is not one of this request's.")
            if answer not in Answer.values:
                raise ValueError(f"“{answer}” is not an answer (yes, maybe or no).")
        for slot_id, answer in answers.items():
            SlotAnswer.objects.update_or_create(
                invitee=invitee, slot_id=int(slot_id), defaults={"answer": answer}
            )
        invitee.answered_at = timezone.now()
        invitee.save(update_fields=["answered_at"])
    return invitee


# -- the helpdesk's view ------------------------------------------------------------------------


@dataclass
class Participant:
    """Someone taking part: the requester or an invitee (None where erased)."""

    label: str
    name: str
    zone: str
    clinician: object = None
    invitee: object = None
    answered: bool = False

    @property
    def is_requester(self):
        return self.invitee is None


@dataclass
class SlotRow:
    slot: object
    cells: list = field(default_factory=list)  # (participant, LocalSlot, answer) in order
    score: int = 0
    flags: int = 0
    answers: dict = field(default_factory=dict)  # answer -> count
    suggested: bool = False


def participants_of(conference):
    """The requester (first) and each invitee, in their own zones. An erased person shows as
    such, in the zone of the country kept for statistics."""
    people = []
    requester = conference.requester
    if requester is not None:
        people.append(Participant("Requester", requester.full_name, zone_of(requester), requester))
    else:
        zone = conference.requester_country.time_zone if conference.requester_country else None
        people.append(Participant("Requester", "(erased)", zone or conference.time_zone))
    for invitee in conference.invitees.select_related("clinician__hospital__country", "country"):
        clinician = None if invitee.erased else invitee.clinician
        if clinician is not None:
            name, zone = clinician.full_name, zone_of(clinician)
        else:
            name = "(erased)"
            zone = invitee.country.time_zone if invitee.country else settings.TIME_ZONE
        people.append(
            Participant(
                "Invitee",
                name,
                zone,
                clinician,
                invitee,
                answered=invitee.answered_at is not None,
            )
        )
    return people


def slot_table(conference):
    """Every slot of ``conference`` in each participant's local time, with the invitees'
    answers, the flags, a score and the suggested slot: ``(participants, rows)``.

    How the suggestion is made: each invitee's answer scores the slot (yes 2, if need be 1,
    no or no answer 0; the requester proposed every slot and is not asked). The slot with the
    highest score suits most. Between slots with the same score, the one
    that falls outside 08:00–18:00 or on a weekend for fewer participants wins; then the one
    fewer invitees said no to; then the earliest. A slot that has already started is never
    suggested.
    """
    participants = participants_of(conference)
    answers = {
        (invitee_id, slot_id): answer
        for invitee_id, slot_id, answer in SlotAnswer.objects.filter(
            slot__request=conference
        ).values_list("invitee_id", "slot_id", "answer")
    }
    rows = []
    now = timezone.now()
    for slot in conference.slots.all():
        row = SlotRow(slot=slot)
        for person in participants:
            local = local_slot(slot, person.zone, conference.duration_minutes)
            # The requester proposed every slot: they have no answer to give.
            answer = "" if person.is_requester else answers.get((person.invitee.pk, slot.pk), "")
            row.cells.append((person, local, answer))
            row.score += SCORES.get(answer, 0)
            row.flags += int(local.flagged)
            if answer:
                row.answers[answer] = row.answers.get(answer, 0) + 1
        rows.append(row)
    candidates = [row for row in rows if row.slot.start > now]
    if candidates:
        best = min(candidates, key=suggestion_key)
        best.suggested = True
    return participants, rows


def suggestion_key(row):
    """Sorts the slot that suits most first (see slot_table)."""
    return (-row.score, row.flags, row.answers.get(Answer.NO, 0), row.slot.start)


def suggested_slot(conference):
    """The slot that suits most (see slot_table), or None."""
    _participants, rows = slot_table(conference)
    return next((row.slot for row in rows if row.suggested), None)
