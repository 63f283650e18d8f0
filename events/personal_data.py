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
    messages.filter(status__in=(OutgoingMessage.Status.QUEUED, OutgoingMessage.Status.HELD)).update(
        status=OutgoingMessage.Status.FAILED,
        last_error="Cancelled: the recipient's personal data was erased before this was sent.",
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
