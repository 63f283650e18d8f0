"""Case conference requests: an approved clinician asks for a conference with colleagues chosen
from the directory (people, or a hospital meaning its contact persons).

The rules a request must keep live here, once: who may be invited (``resolve_invitees``), what
makes a set of proposed slots acceptable (``slot_errors``), and how many take part
(``participant_limit``). The request form asks these to put each error on its field, and
``submit_request`` asks them again inside its transaction, so no caller can store a request
that breaks them. ``invitee_search`` is the directory search that the invitee picker uses, and
it returns names, hospitals and countries only.
"""

import datetime
import uuid
import zoneinfo
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from wagtail.log_actions import log
from wagtail.log_actions import registry as log_actions
from wagtail.models import Site

from cms.mail.services import send_mail
from directory.models import Clinician, Hospital
from directory.search import first_found, search_terms
from directory.services.contact_persons import holders
from events.models import ConferenceInvitee, ConferenceRequest, ConferenceSlot
from events.zones import clinician_zone_name
from home.models import SiteSettings

SUBMIT_ACTION = "cmss.conference_request_submit"
MAX_SLOTS = 5
URGENT_WITHIN = datetime.timedelta(hours=48)
SEARCH_LIMIT = 10
DEFAULT_PARTICIPANT_LIMIT = 100

Urgency = ConferenceRequest.Urgency

# Registered where the action is logged (only this module logs it), so that it exists whatever
# was imported first; the admin's history and filters show its label.
log_actions.register_action(
    SUBMIT_ACTION, "Request case conference", "Requested the case conference"
)


@dataclass(frozen=True)
class Invitation:
    """One invitee as the request will store them: chosen by name, or through a hospital."""

    clinician: Clinician
    via_hospital: Hospital | None = None


def participant_limit():
    """The licensed participants per meeting (CMSS settings of the default site)."""
    site = Site.objects.filter(is_default_site=True).first()
    if site is None:
        return DEFAULT_PARTICIPANT_LIMIT
    return SiteSettings.for_site(site).participant_limit


def zone_of(clinician):
    """The zone a clinician's times are shown in: their own, else their hospital country's."""
    return clinician_zone_name(clinician, fallback=settings.TIME_ZONE)


def invitable():
    """Who can be invited by name: the approved clinicians, as the directory lists them."""
    return Clinician.objects.filter(status=Clinician.Status.APPROVED)


def hospital_contacts(hospital_ids):
    """The approved, not suspended contact persons of the hospitals: {hospital_id: [clinician]}."""
    found = {}
    people = (
        holders(hospital_ids=list(hospital_ids))
        .filter(status=Clinician.Status.APPROVED)
        .select_related("hospital__country")
        .order_by("last_name", "first_name", "pk")
    )
    for clinician in people:
        found.setdefault(clinician.hospital_id, []).append(clinician)
    return found


def resolve_invitees(requester, people_ids, hospital_ids, *, limit=None):
    """The invitations that ``people_ids`` and ``hospital_ids`` make, each clinician once (a
    person chosen by name and through a hospital is invited by name; the requester, as a
    hospital's contact person, is left out).

    Raises ValidationError with a message per field ("people", "hospitals"): nobody chosen, a
    person who is suspended, erased or not approved, the requester themself, a hospital without
    contact persons, and more participants (requester included) than ``limit`` (by default the
    site's participant limit).
    """
    people_ids = list(dict.fromkeys(int(pk) for pk in people_ids))
    hospital_ids = list(dict.fromkeys(int(pk) for pk in hospital_ids))
    errors = {"people": [], "hospitals": []}
    if not people_ids and not hospital_ids:
        errors["people"].append(
            "Choose at least one colleague or hospital to invite: search the directory above."
        )
    found = Clinician.objects.select_related("hospital__country").in_bulk(people_ids)
    invitations = {}
    for pk in people_ids:
        clinician = found.get(pk)
        if requester is not None and pk == requester.pk:
            errors["people"].append(
                "You are the requester and take part anyway: remove yourself from the invitees."
            )
        elif clinician is None:
            errors["people"].append(
                "One of the people chosen is no longer in the directory (their data was "
                "erased): remove them, and choose someone else if needed."
            )
        elif clinician.status == Clinician.Status.SUSPENDED:
            errors["people"].append(
                f"{clinician.full_name} is suspended from the network and cannot be invited: "
                "remove them, or ask the helpdesk."
            )
        elif clinician.status != Clinician.Status.APPROVED:
            errors["people"].append(
                f"{clinician.full_name} is not an approved member yet and cannot be invited: "
                "remove them."
            )
        else:
            invitations[pk] = Invitation(clinician)
    hospitals = Hospital.objects.select_related("country").in_bulk(hospital_ids)
    contacts = hospital_contacts(hospitals)
    for pk in hospital_ids:
        hospital = hospitals.get(pk)
        if hospital is None:
            errors["hospitals"].append(
                "One of the hospitals chosen is no longer in the directory: remove it."
            )
            continue
        people = [c for c in contacts.get(pk, []) if requester is None or c.pk != requester.pk]
        if not people:
            errors["hospitals"].append(
                f"{hospital} has no contact person to invite: invite a colleague there by name "
                "instead, or ask the helpdesk."
            )
            continue
        for clinician in people:
            invitations.setdefault(clinician.pk, Invitation(clinician, hospital))
    limit = participant_limit() if limit is None else limit
    if invitations and 1 + len(invitations) > limit:
        errors["people"].append(
            f"Too many invitees: with you, {1 + len(invitations)} people would take part, and a "
            f"conference allows at most {limit}. Remove {1 + len(invitations) - limit} of them "
            "(a hospital counts as each of its contact persons)."
        )
    errors = {field: messages for field, messages in errors.items() if messages}
    if errors:
        raise ValidationError(errors)
    return list(invitations.values())


def slot_errors(starts, *, duration_minutes, urgency, numbers=None, now=None):
    """What is wrong with proposed slot starts: ``{index: message}`` (index into ``starts``),
    plus ``"urgency"`` or ``"slots"`` keys for what concerns the whole set. ``numbers`` are the
    slots' numbers as the person sees them (1, 2, ... by default).

    A slot must be to come; two slots overlap when one starts before the other has ended (the
    same start included); an urgent request needs one slot within 48 hours; one to five slots.
    """
    now = now or timezone.now()
    numbers = list(numbers) if numbers is not None else list(range(1, len(starts) + 1))
    errors = {}
    length = datetime.timedelta(minutes=int(duration_minutes))
    kept = []
    for index, start in enumerate(starts):
        if start <= now:
            errors[index] = (
                f"Time slot {numbers[index]} is in the past: choose a date and time to come."
            )
            continue
        clash = next((other for other, s in kept if abs(start - s) < length), None)
        if clash is not None:
            errors[index] = (
                f"Time slot {numbers[index]} overlaps time slot {numbers[clash]} (a conference "
                f"lasts {int(duration_minutes)} minutes): start it at least that long before or "
                "after."
            )
            continue
        kept.append((index, start))
    if not starts:
        errors["slots"] = "Give at least one time slot for the conference."
    elif len(starts) > MAX_SLOTS:
        errors["slots"] = f"Give at most {MAX_SLOTS} time slots."
    soon = [s for s in starts if now < s <= now + URGENT_WITHIN]
    if urgency == Urgency.URGENT and starts and not soon:
        errors["urgency"] = (
            "An urgent request needs at least one time slot within the next 48 hours: add one, "
            "or choose “Routine”."
        )
    return errors


def invitee_search(query, *, exclude=None, limit=SEARCH_LIMIT):
    """People (approved) and hospitals (taking part, with a contact person) matching every word
    of ``query``, for the picker: ``{"people": [...], "hospitals": [...], "total_*": n}``.

    Only names, hospital names, cities and countries: never an email address or a phone number.
    """
    terms = search_terms(query, limit=6)
    if not terms:
        return {"people": [], "hospitals": [], "total_people": 0, "total_hospitals": 0}
    people = invitable().select_related("hospital__country")
    if exclude is not None:
        people = people.exclude(pk=exclude.pk)
    for term in terms:
        people = people.filter(search_text__contains=term)
    people_rows, total_people = first_found(people.order_by("last_name", "first_name", "pk"), limit)
    hospitals = Hospital.objects.filter(taking_part=True).select_related("country")
    for term in terms:
        hospitals = hospitals.filter(search_text__contains=term)
    hospitals = hospitals.filter(
        pk__in=Clinician.objects.filter(
            role=Clinician.Role.CONTACT_PERSON, status=Clinician.Status.APPROVED
        ).values("hospital_id")
    )
    hospital_rows, total_hospitals = first_found(
        hospitals.order_by("country__name", "name", "pk"), limit
    )
    return {
        "people": [person_label(c) for c in people_rows],
        "hospitals": [hospital_label(h) for h in hospital_rows],
        "total_people": total_people,
        "total_hospitals": total_hospitals,
    }


def person_label(clinician):
    """What the picker and the form show of a person: name, hospital, country."""
    hospital = clinician.hospital
    return {
        "id": clinician.pk,
        "name": clinician.full_name,
        "hospital": hospital.name if hospital else "",
        "country": hospital.country.name if hospital else "",
    }


def hospital_label(hospital):
    """What the picker and the form show of a hospital: name, city, country."""
    return {
        "id": hospital.pk,
        "name": hospital.name,
        "city": hospital.city,
        "country": hospital.country.name,
    }


def _absolute(path):
    return f"{settings.CMSS_BASE_URL.rstrip('/')}{path}"


def admin_url(conference):
    """Where the helpdesk opens the request in the admin (the queue's page for it, once the
    queue exists; its list until then)."""
    for name in (
        "events_conferencerequest_modeladmin_inspect",
        "events_conferencerequest_modeladmin_edit",
    ):
        try:
            return _absolute(reverse(name, args=[conference.pk]))
        except NoReverseMatch:
            continue
    return _absolute("/admin/events/conferencerequest/")


def _acknowledge(conference, invitations, slots):
    """The requester's and the helpdesk's acknowledgements, sent after commit.

    Neither repeats the clinical question: it is sensitive clinical text, and a copy in a
    mailbox (and in the outgoing-mail log) outlives the request's retention period. The
    requester wrote it; the helpdesk reads it in the admin, which the email links to.
    """
    requester = conference.requester
    context = {
        "conference": conference,
        "requester": requester,
        "invitations": invitations,
        "slots": slots,
        "zone": conference.time_zone,
        "account_url": _absolute(reverse("directory:account")),
        "admin_url": admin_url(conference),
    }
    if requester.email:
        send_mail(
            "events/email/conference_ack",
            context,
            requester.email,
            to_name=requester.full_name,
            kind="conference_request",
            related=conference,
        )
    site = Site.objects.filter(is_default_site=True).first()
    helpdesk = SiteSettings.for_site(site).helpdesk_email if site else settings.HELPDESK_EMAIL
    send_mail(
        "events/email/conference_ack_helpdesk",
        context,
        helpdesk or settings.HELPDESK_EMAIL,
        to_name="CMSS helpdesk",
        kind="conference_request",
        related=conference,
    )


def submit_request(requester, data):
    """Store ``requester``'s conference request and acknowledge it to them and the helpdesk.

    ``data`` (as the request form cleans it): ``people`` and ``hospitals`` (ids), ``slots``
    (aware datetimes), ``time_zone``, ``duration_minutes``, ``language``, ``urgency``,
    ``clinical_question`` and ``submission_key`` (the form's one-time key: a second submit with
    the same key returns the request the first one made, and sends nothing).

    One transaction: the request, its slots and invitees, the audit-log entry, and the two
    emails (sent after commit). Raises PermissionError if the requester is not approved, and
    ValidationError (per field, as ``resolve_invitees`` and ``slot_errors``) if the request
    breaks a rule.
    """
    if requester is None or requester.status != Clinician.Status.APPROVED:
        raise PermissionError("Only approved clinicians can request a case conference.")
    key = data.get("submission_key")
    if key:
        earlier = ConferenceRequest.objects.filter(submission_key=key).first()
        if earlier is not None and earlier.requester_id == requester.pk:
            return earlier
        if earlier is not None:
            # Someone else's key (copied, or guessed): a request of its own, not theirs.
            key = uuid.uuid4()
    try:
        with transaction.atomic():
            return _store(requester, data, key)
    except IntegrityError:
        # The same key committed a moment ago in a parallel request: that one is the request.
        earlier = ConferenceRequest.objects.filter(submission_key=key).first() if key else None
        if earlier is None or earlier.requester_id != requester.pk:
            raise
        return earlier


def _store(requester, data, key):
    zone = data["time_zone"]
    zoneinfo.ZoneInfo(zone)  # a zone name the form has checked; fails loudly otherwise
    slots = sorted(data["slots"])
    problems = slot_errors(
        slots, duration_minutes=data["duration_minutes"], urgency=data["urgency"]
    )
    if problems:
        raise ValidationError({"slots": list(problems.values())})
    invitations = resolve_invitees(requester, data.get("people", ()), data.get("hospitals", ()))
    question = data["clinical_question"]
    check_question(question)
    conference = ConferenceRequest.objects.create(
        requester=requester,
        requester_country=requester.hospital.country if requester.hospital_id else None,
        clinical_question=question,
        language=data["language"],
        duration_minutes=int(data["duration_minutes"]),
        urgency=data["urgency"],
        time_zone=zone,
        submission_key=key,
    )
    ConferenceSlot.objects.bulk_create(
        ConferenceSlot(request=conference, start=start) for start in slots
    )
    for invitation in invitations:
        clinician = invitation.clinician
        ConferenceInvitee.objects.create(
            request=conference,
            clinician=clinician,
            via_hospital=invitation.via_hospital,
            country=clinician.hospital.country if clinician.hospital_id else None,
        )
    log(
        instance=conference,
        action=SUBMIT_ACTION,
        user=requester.user,
        data={
            "to": ConferenceRequest.Status.SUBMITTED,
            "invitees": len(invitations),
            "slots": len(slots),
            "urgency": data["urgency"],
        },
    )
    _acknowledge(conference, invitations, [s.astimezone(zoneinfo.ZoneInfo(zone)) for s in slots])
    return conference


def check_question(text):
    """Raise ValidationError (on "clinical_question") if the patient-identifier guard
    (events.identifiers.check) finds something that could identify a patient in ``text``."""
    # Imported when used: the guard's package is written beside this one (issue 11, point 2).
    from events.identifiers import check

    try:
        check(text)
    except ValidationError as refusal:
        raise ValidationError({"clinical_question": refusal.messages}) from refusal
