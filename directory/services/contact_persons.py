"""The rule that a hospital names at most two contact persons, in one place.

Enrolment (its form and record_enrolment), the admin's create, edit and copy forms, approval and
the import all ask here, and all say the same thing when a hospital is full. A suspended contact
person holds no place; approving them again takes one.

``has_room`` and ``message`` are for forms, to say it nicely before anything is written. The check
that counts is ``reserve``/``lock_and_count``: they lock the hospital rows (select_for_update),
so two writers cannot both take the last place. Lock order: hospital rows (by id) before
clinician rows. Clinician.clean() and Clinician.save() ask here too (save() calls ``reserve``,
the last word for a writer that did not).
"""

from django.core.exceptions import ValidationError
from django.db import transaction

from directory.models import MAX_CONTACT_PERSONS, Clinician, Hospital

PUBLIC_ADVICE = "Choose “Case manager” or “Other”, or ask the helpdesk."
STAFF_ADVICE = (
    "a hospital names at most two contact persons. "
    "Choose another role, or change one of them first."
)


def holders(hospital_id=None, exclude=None, hospital_ids=None):
    """The clinicians holding a contact-person place at the hospital (or hospitals), leaving out
    the clinician with id ``exclude``. Suspended contact persons hold none."""
    queryset = Clinician.objects.filter(role=Clinician.Role.CONTACT_PERSON).exclude(
        status=Clinician.Status.SUSPENDED
    )
    if hospital_ids is not None:
        queryset = queryset.filter(hospital_id__in=hospital_ids)
    else:
        queryset = queryset.filter(hospital_id=hospital_id)
    if exclude is not None:
        queryset = queryset.exclude(pk=exclude)
    return queryset


def has_room(hospital_id, exclude=None):
    """Whether the hospital has a free contact-person place (without ``exclude``). No lock: for a
    form's message only; ``reserve`` decides."""
    return holders(hospital_id, exclude).count() < MAX_CONTACT_PERSONS


def message(hospital, public=False):
    """What a person is told when ``hospital`` is full, saying what to do instead."""
    if public:
        return (
            f"{hospital} already has {MAX_CONTACT_PERSONS} contact persons and a hospital names "
            f"at most two. {PUBLIC_ADVICE}"
        )
    return f"{hospital} already has {MAX_CONTACT_PERSONS} contact persons; {STAFF_ADVICE}"


def refusal(hospital, public=False):
    return ValidationError({"role": message(hospital, public)})


def lock(hospital_ids):
    """Lock the rows of the hospitals ``hospital_ids``, in id order. Call inside a transaction."""
    ids = sorted(set(hospital_ids))
    list(Hospital.objects.select_for_update().filter(pk__in=ids).order_by("pk").values("pk"))
    return ids


def lock_and_count(hospital_ids):
    """Lock the rows of the hospitals ``hospital_ids`` and return the lower-cased emails of their
    contact persons, ``{hospital_id: set}``. Call inside a transaction."""
    ids = lock(hospital_ids)
    current = {}
    for hospital_id, email in holders(hospital_ids=ids).values_list("hospital_id", "email"):
        current.setdefault(hospital_id, set()).add(email.lower())
    return current


def reserve(clinician, public=False):
    """Check, with the hospital row locked, that ``clinician`` (as it is about to be saved) may
    hold a contact-person place. Raises ValidationError on the "role" field if the hospital
    already has two others. Does nothing for anyone who takes no place.

    Call inside the transaction that saves the clinician, so the lock lasts until the commit.
    """
    if not clinician.takes_a_contact_place:
        return
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("contact_persons.reserve() must run inside the saving transaction")
    lock([clinician.hospital_id])
    if not has_room(clinician.hospital_id, exclude=clinician.pk):
        raise refusal(Hospital.objects.get(pk=clinician.hospital_id), public)
