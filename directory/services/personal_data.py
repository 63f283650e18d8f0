"""A clinician's rights over their own data: see it all, download it, erase it.

The directory holds the clinician record; other apps hold more (registrations, requests). They
register a holder here, so that `directory` never imports them:

    register_holder("webinar registrations", export=..., erase=...)

`export(clinician)` returns JSON-serialisable data; `erase(clinician)` removes or anonymises what
the app holds. Both run inside the caller's transaction.
"""

import datetime
from dataclasses import dataclass

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils import timezone
from wagtail.log_actions import log
from wagtail.models import ModelLogEntry

from directory.models import Clinician

CLINICIAN_FIELDS = [
    "first_name",
    "last_name",
    "email",
    "phone",
    "specialty",
    "role",
    "languages",
    "status",
    "privacy_version",
    "consented_at",
    "mailing_opt_out",
    "time_zone",
    "last_verified",
    "source",
    "created_at",
    "updated_at",
]


@dataclass(frozen=True)
class Holder:
    name: str
    export: object
    erase: object


_holders = {}


def register_holder(name, *, export, erase):
    """Register what an app holds about a clinician. Registering a name again replaces it."""
    _holders[name] = Holder(name, export, erase)


def _plain(value):
    if isinstance(value, datetime.datetime | datetime.date):
        return value.isoformat()
    return value


def collect_own_data(clinician):
    """Everything held about `clinician`, as a JSON-serialisable dict."""
    record = {field: _plain(getattr(clinician, field)) for field in CLINICIAN_FIELDS}
    if clinician.hospital_id:
        hospital = clinician.hospital
        record["hospital"] = {
            "name": hospital.name,
            "city": hospital.city,
            "country": hospital.country.name,
        }
    data = {
        "exported_at": timezone.now().isoformat(),
        "clinician": record,
    }
    if clinician.user_id:
        data["account"] = {
            "email": clinician.user.email,
            "date_joined": _plain(clinician.user.date_joined),
            "last_login": _plain(clinician.user.last_login),
        }
    for holder in _holders.values():
        data[holder.name] = holder.export(clinician)
    return data


def record_export(clinician, user, what="own data (JSON)"):
    """Write a personal-data export to Wagtail's audit log: who, when (the entry's time), what."""
    log(
        clinician,
        "cmss.personal_data_export",
        user=user,
        title=f"Clinician #{clinician.pk}",
        data={"what": what},
    )


@transaction.atomic
def erase_clinician(clinician, *, requested_by=None):
    """Erase a clinician: every registered holder first, then the record and the user account.

    The audit entry says that an erasure happened and by whom, and keeps no contact detail
    (its title is the record number only). Raises Clinician.DoesNotExist if already erased.
    """
    clinician = Clinician.objects.select_for_update().get(pk=clinician.pk)
    for holder in _holders.values():
        holder.erase(clinician)
    by_self = requested_by is not None and requested_by.pk == clinician.user_id
    log(
        clinician,
        "cmss.erasure",
        user=None if by_self else requested_by,
        title=f"Clinician #{clinician.pk}",
        data={"requested_by": "the clinician" if by_self else "staff"},
    )
    # Earlier audit entries (approval, exports of own data) carry the name as their label.
    ModelLogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(Clinician), object_id=str(clinician.pk)
    ).update(label=f"Clinician #{clinician.pk}")
    user = clinician.user
    clinician.delete()
    if user is not None:
        user.delete()


def _mail_export(clinician):
    from cms.mail.services import messages_to

    return messages_to(clinician.email)


def _mail_erase(clinician):
    from cms.mail.services import forget_recipient

    forget_recipient(clinician.email)


# The mail log keeps every message sent to a clinician: it is theirs to see and to have erased.
register_holder("emails sent to you", export=_mail_export, erase=_mail_erase)
