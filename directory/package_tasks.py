"""Background tasks that send the information package (directory/services/package_mail.py) and
tell members of a new privacy statement (directory/consent.py).
They take primary keys and may run twice: a delivery is recorded once per version and address."""

from django.contrib.auth import get_user_model
from django_tasks import task

BACKEND = "background"


@task(backend=BACKEND, queue_name="mail")
def send_package_to_list(version_id, user_id=None):
    """Send version `version_id` of the package to the members who have not had it."""
    from directory.services import package_mail

    user = get_user_model().objects.filter(pk=user_id).first() if user_id else None
    return package_mail.send_to_list(version_id, by_user=user)


@task(backend=BACKEND, queue_name="mail")
def send_package_to_clinician(clinician_id):
    """Send the current package to a newly approved clinician, once per version."""
    from directory.services import package_mail

    delivery = package_mail.send_to_clinician(clinician_id)
    return delivery.pk if delivery else None


@task(backend=BACKEND, queue_name="mail")
def tell_members_of_privacy_version(version_id):
    """Tell the clinicians what changed in privacy statement version `version_id`, once each."""
    from directory import consent

    return consent.tell_members(version_id)
