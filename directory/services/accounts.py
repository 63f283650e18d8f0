"""User accounts for clinicians who came into the directory without enrolling (import, helpdesk).

Such clinicians have no user yet. When one asks for a sign-in code, an account is made for them
on the spot, so the code reaches them like anyone else's; receiving and typing the code is what
proves the address is theirs.
"""

from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction

from directory.models import Clinician

# Only members the helpdesk has accepted get an account this way.
PROVISIONED_STATUSES = (Clinician.Status.APPROVED,)


def ensure_account_for(email):
    """Give the approved clinician with `email` a user account if they have none.

    Returns the user, or None when no approved clinician without an account has this address.
    Raises nothing: a concurrent request that made the account first is simply used.
    """
    email = (email or "").strip().lower()
    clinician = (
        Clinician.objects.filter(
            email__iexact=email, user__isnull=True, status__in=PROVISIONED_STATUSES
        )
        .only("pk", "email", "first_name", "last_name")
        .first()
    )
    if clinician is None:
        return None
    User = get_user_model()
    try:
        with transaction.atomic():
            locked = Clinician.objects.select_for_update().get(pk=clinician.pk)
            if locked.user_id:
                return locked.user
            user = User(
                username=f"clinician-{locked.pk}",
                email=locked.email,
                first_name=locked.first_name[:150],
                last_name=locked.last_name[:150],
            )
            user.set_unusable_password()
            user.save()
            EmailAddress.objects.create(user=user, email=locked.email, verified=True, primary=True)
            locked.user = user
            locked.save(update_fields=["user", "updated_at"])
            return user
    except IntegrityError:
        return User.objects.filter(email__iexact=email).first()
