"""Approving and suspending clinicians, with an audit-log entry for each change, and the queue of
enrolments awaiting approval that the helpdesk and national contact points work.

Approval also sends the welcome email (information package links) and the information package
itself (once per version, directory/services/package_mail.py), once the change is committed.
"""

from django.db import transaction
from wagtail.log_actions import log

from directory.models import Clinician
from directory.services import contact_persons
from directory.services.access import clinicians_visible_to

APPROVE_ACTION = "cmss.clinician_approve"
SUSPEND_ACTION = "cmss.clinician_suspend"


def _change_status(clinician, status, action, by_user):
    with transaction.atomic():
        if clinician.hospital_id is not None:
            # The hospital before the clinician, the lock order of every contact-person check.
            contact_persons.lock([clinician.hospital_id])
        locked = Clinician.objects.select_for_update().get(pk=clinician.pk)
        previous = locked.status
        if previous == status:
            clinician.status = status
            return False
        locked.status = status
        # Approving a suspended contact person takes a place again, if one is free.
        contact_persons.reserve(locked)
        locked.save(update_fields=["status", "updated_at"])
        log(
            instance=locked,
            action=action,
            user=by_user,
            data={"from": previous, "to": status},
        )
    clinician.status = status
    return True


def approve_clinician(clinician, by_user):
    """Approve ``clinician``: status "approved" and an audit-log entry by ``by_user``.

    Returns True if the status changed, False if they were already approved (and then sends no
    second welcome). Raises ValidationError (contact_persons.message) if they are a suspended
    contact person of a hospital that has named two others since. The welcome email goes out
    after the transaction commits, and the information package by a background task (a
    clinician approved again after a suspension gets it only if the version is new to them).
    """
    from directory.package_tasks import send_package_to_clinician
    from directory.services.enrolment import send_welcome_email

    changed = _change_status(clinician, Clinician.Status.APPROVED, APPROVE_ACTION, by_user)
    if changed:
        pk = clinician.pk
        transaction.on_commit(lambda: send_welcome_email(Clinician.objects.get(pk=pk)))
        transaction.on_commit(lambda: send_package_to_clinician.enqueue(pk))
    return changed


def suspend_clinician(clinician, by_user):
    """Suspend ``clinician``: status "suspended" and an audit-log entry by ``by_user``.

    Returns True if the status changed, False if they were already suspended. Raises nothing.
    """
    return _change_status(clinician, Clinician.Status.SUSPENDED, SUSPEND_ACTION, by_user)


def may_approve(user):
    """Whether ``user`` may approve and suspend clinicians (of the countries they keep)."""
    return bool(getattr(user, "is_authenticated", False)) and user.has_perm(
        "directory.change_clinician"
    )


def awaiting_approval(user):
    """The enrolments ``user`` may approve that await approval, oldest first.

    Empty for anyone who may not approve; a national contact point's are those of their own
    countries (services/access.py). Raises nothing.
    """
    if not may_approve(user):
        return Clinician.objects.none()
    return (
        clinicians_visible_to(user)
        .filter(status=Clinician.Status.AWAITING)
        .select_related("hospital__country")
        .order_by("created_at", "pk")
    )
