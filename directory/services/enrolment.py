"""Enrolment of clinicians at /enrol/: the record, email confirmation and the welcome email.

The email code and the sign-in itself are allauth's; this module keeps the Clinician row in
step with them (unconfirmed → awaiting approval) and never tells a caller whether an address
was already known, so that views cannot leak it either.
"""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from cms.emails import email_variants, normalise_email
from cms.mail.links import absolute_url
from cms.mail.services import send_mail
from directory.models import Clinician, Hospital, match_text
from directory.services import contact_persons

PROPOSED_NOTE = "Proposed at enrolment by {name} <{email}>; the helpdesk has not confirmed it yet."

INFORMATION_PACKAGE_LINKS = [
    ("Information package", "/information-package/"),
    ("Privacy statement", "/information-package/privacy-statement/"),
]


def email_is_known(email):
    """True if a clinician or a user account already has this address (any case)."""
    from allauth.account.models import EmailAddress

    # The domain in Unicode or in IDNA ASCII is one mailbox (cms/emails.py); rows stored before
    # addresses were normalised may hold either form.
    written = Q()
    for variant in email_variants(email):
        written |= Q(email__iexact=variant)
    return (
        Clinician.objects.filter(written).exists()
        or EmailAddress.objects.filter(written).exists()
        or get_user_model().objects.filter(written).exists()
    )


def propose_hospital(name, city, country, proposed_by):
    """The hospital a clinician named that is not in the list, kept out of the public list.

    An existing hospital with the same name and city (as compared by the import) is reused.
    """
    existing = Hospital.objects.filter(
        country=country, match_name=match_text(name), match_city=match_text(city)
    ).first()
    if existing is not None:
        return existing
    hospital = Hospital(name=name.strip(), city=city.strip(), country=country, taking_part=False)
    hospital.staff_notes = PROPOSED_NOTE.format(
        name=f"{proposed_by['first_name']} {proposed_by['last_name']}",
        email=proposed_by["email"],
    )
    hospital.save()
    return hospital


@transaction.atomic
def record_enrolment(data, privacy_statement):
    """Create the user account and the unconfirmed Clinician for a new address.

    ``data`` is the enrolment form's cleaned data. Returns the Clinician. Raises
    ``ValueError`` if the address is already known: callers check ``email_is_known`` first
    and answer both cases the same way; ValidationError (services/contact_persons.py) if the
    hospital named its second contact person since the form was checked.
    """
    from allauth.account.adapter import get_adapter
    from allauth.account.models import EmailAddress

    email = normalise_email(data["email"]).lower()
    if email_is_known(email):
        raise ValueError("This address is already enrolled.")
    hospital = data.get("hospital")
    if hospital is None and data.get("proposed_name"):
        hospital = propose_hospital(
            data["proposed_name"], data["proposed_city"], data["proposed_country"], data
        )
    User = get_user_model()
    user = User(
        username=get_adapter().generate_unique_username(
            [data["first_name"], data["last_name"], email]
        ),
        email=email,
        first_name=data["first_name"],
        last_name=data["last_name"],
    )
    # Clinicians sign in with a code by email only.
    user.set_unusable_password()
    user.save()
    EmailAddress.objects.create(user=user, email=email, primary=True, verified=False)
    clinician = Clinician(
        first_name=data["first_name"],
        last_name=data["last_name"],
        email=email,
        phone=data.get("phone", ""),
        specialty=data.get("specialty", ""),
        role=data["role"],
        languages=data.get("languages", ""),
        hospital=hospital,
        status=Clinician.Status.UNCONFIRMED,
        source=Clinician.Source.ENROLMENT,
        privacy_version=privacy_statement.version_label,
        consented_at=timezone.now(),
        user=user,
    )
    # The form said it nicely if the hospital was full; this decides, with the hospital locked.
    contact_persons.reserve(clinician, public=True)
    clinician.save()
    return clinician


def mark_email_confirmed(email_address):
    """allauth confirmed ``email_address``: its unconfirmed clinician now awaits approval.

    Returns the number of clinicians moved (0 or 1). Raises nothing.
    """
    return Clinician.objects.filter(
        user_id=email_address.user_id,
        email__iexact=email_address.email,
        status=Clinician.Status.UNCONFIRMED,
    ).update(status=Clinician.Status.AWAITING, updated_at=timezone.now())


def on_email_confirmed(sender, request, email_address, **kwargs):
    """Receiver of allauth's ``email_confirmed`` signal (connected in DirectoryConfig.ready)."""
    mark_email_confirmed(email_address)


def welcome_context(clinician):
    return {
        "clinician": clinician,
        "sign_in_url": absolute_url(settings.LOGIN_URL),
        "links": [(title, absolute_url(path)) for title, path in INFORMATION_PACKAGE_LINKS],
    }


def send_welcome_email(clinician):
    """Queue the welcome email with the information package links for ``clinician``.

    Call it once the helpdesk has approved them; it is sent after the transaction commits
    (cms.mail). Returns the ``OutgoingMessage``. Raises ``cms.mail.services.InvalidRecipient``
    if the clinician's address is not a valid one.
    """
    return send_mail(
        "directory/email/welcome",
        welcome_context(clinician),
        clinician.email,
        to_name=clinician.full_name,
        kind="welcome",
        related=clinician,
    )
