"""What the webinar registrations hold about a person, for their own-data download and erasure.

Registered with the directory's erasure registry (directory/services/personal_data.py) when the
app starts, so that erasing a clinician anonymises their registrations without the directory
importing events. A registrant who is not a clinician asks for the same from the cancel page
(``forget``).
"""

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import Q

from cms.mail.models import OutgoingMessage
from cms.mail.services.erasure import ERASED_UNSENT
from directory.services.personal_data import register_holder
from events.models import Registration

HOLDER = "webinar registrations"


def _of(clinician):
    who = Q(clinician=clinician)
    if clinician.email:
        who |= Q(email__iexact=clinician.email)
    return Registration.objects.filter(who, erased=False)


def export(clinician):
    """The clinician's registrations, as JSON-serialisable dicts."""
    return [
        {
            "webinar": registration.webinar.title,
            "start": registration.webinar.start.isoformat(),
            "status": registration.status,
            "first_name": registration.first_name,
            "last_name": registration.last_name,
            "email": registration.email,
            "profession": registration.profession,
            "country": registration.country.code if registration.country_id else None,
            "privacy_version": registration.privacy_version,
            "registered_at": registration.created_at.isoformat(),
            "attended": registration.attended,
            "minutes_attended": registration.minutes_attended,
        }
        for registration in _of(clinician).select_related("webinar", "country").order_by("pk")
    ]


def erase(clinician):
    """Cancel the clinician's live registrations (freeing their places, sending nothing) and
    anonymise every one of them."""
    for registration in _of(clinician):
        erase_registration(registration)


@transaction.atomic
def erase_registration(registration):
    """Anonymise ``registration``: it is cancelled first if live (its place goes to the next in
    line), its name, email, profession and country are replaced, its code and Webex links
    dropped, and the messages sent about it are blanked in the mail log. Attendance figures
    stay (they count, without a name). Returns the registration."""
    from events.services.registrations import cancel

    if registration.status != Registration.Status.CANCELLED:
        registration = cancel(registration, by="registrant", notify=False)
    Registration.objects.filter(pk=registration.pk).update(
        first_name="Erased",
        last_name="",
        email=f"erased-{registration.pk}@erased.invalid",
        profession="",
        country=None,
        clinician=None,
        code_hash="",
        join_link="",
        webex_registrant_id="",
        erased=True,
    )
    _blank_messages_about(registration)
    registration.refresh_from_db()
    return registration


def _blank_messages_about(registration):
    messages = OutgoingMessage.objects.filter(
        content_type=ContentType.objects.get_for_model(Registration),
        object_id=str(registration.pk),
    )
    # Not sent yet: cancelled, as the mail log's own erasure does (the worker, retry_mail and a
    # resend all leave a cancelled message).
    messages.filter(status__in=(OutgoingMessage.Status.QUEUED, OutgoingMessage.Status.HELD)).update(
        status=OutgoingMessage.Status.CANCELLED, last_error=ERASED_UNSENT
    )
    messages.update(
        recipient=f"erased-{registration.pk}@erased.invalid",
        recipient_name="",
        subject="(erased)",
        body_text="",
        body_html="",
        attachments=[],
    )


register_holder(HOLDER, export=export, erase=erase)


# -- case conferences ---------------------------------------------------------------------------

CONFERENCE_HOLDER = "case conferences"


def export_conferences(clinician):
    """The case conferences ``clinician`` asked for and was invited to, with their answers."""
    from events.models import ConferenceInvitee, ConferenceRequest

    def when(value):
        return value.isoformat() if value else None

    requested = [
        {
            "request": conference.pk,
            "status": conference.status,
            "urgency": conference.urgency,
            "language": conference.language,
            "duration_minutes": conference.duration_minutes,
            "clinical_question": conference.clinical_question,
            "question_erased_at": when(conference.question_erased_at),
            "proposed_slots": [when(slot.start) for slot in conference.slots.all()],
            "chosen_slot": when(conference.chosen_slot.start) if conference.chosen_slot else None,
            "invitees": conference.invitees.count(),
            "created_at": when(conference.created_at),
        }
        for conference in ConferenceRequest.objects.filter(requester=clinician)
        .select_related("chosen_slot")
        .prefetch_related("slots")
        .order_by("pk")
    ]
    invited = [
        {
            "request": invitee.request_id,
            "status": invitee.request.status,
            "answered_at": when(invitee.answered_at),
            "answers": [
                {"slot": when(answer.slot.start), "answer": answer.answer}
                for answer in invitee.answers.select_related("slot").order_by("slot__start")
            ],
        }
        for invitee in ConferenceInvitee.objects.filter(clinician=clinician, erased=False)
        .select_related("request")
        .order_by("pk")
    ]
    return {"requested": requested, "invited": invited}


def erase_conferences(clinician):
    """Anonymise ``clinician``'s case conferences: their requests lose their requester (the
    country stays, for statistics), their invitations their clinician (erased, country kept,
    the poll link replaced so it opens nothing); their poll answers stay, now no one's."""
    from events.models import ConferenceInvitee, ConferenceRequest, new_link_token

    country_id = clinician.hospital.country_id if clinician.hospital_id else None
    requests = ConferenceRequest.objects.filter(requester=clinician)
    requests.filter(requester_country__isnull=True).update(requester_country_id=country_id)
    requests.update(requester=None)
    for invitee in ConferenceInvitee.objects.filter(clinician=clinician):
        invitee.clinician = None
        invitee.erased = True
        invitee.country_id = invitee.country_id or country_id
        invitee.poll_token = new_link_token()
        invitee.save(update_fields=["clinician", "erased", "country", "poll_token"])


register_holder(CONFERENCE_HOLDER, export=export_conferences, erase=erase_conferences)
