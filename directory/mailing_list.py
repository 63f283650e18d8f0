"""The mailing list: who is on it, how one leaves and rejoins it without signing in, and the
audiences an announcement can be narrowed to.

Members are the approved clinicians who have not left it (``Clinician.mailing_opt_out``) and the
national contact points (active users in a "National contact point – <country>" group) who have
not left it (``MailingListDeparture``); an address is a member once. Each member has a key,
"c:<clinician pk>" or "u:<user pk>", which the unsubscribe link carries signed (Django's signing,
its own salt): unguessable, and no address in the URL.

Other apps add audiences (``register_audience``) from their AppConfig.ready: the directory does
not import them. An audience is a function from a chosen value (a webinar's id) to a queryset of
lower-cased addresses, and a function listing the values the helpdesk may choose.
"""

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.core import signing
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.db.models.functions import Lower
from django.utils import timezone
from wagtail.log_actions import log

from directory.models import Clinician, MailingListDeparture
from directory.services.access import NATIONAL_CONTACT_POINT_PREFIX, is_helpdesk

UNSUBSCRIBE_SALT = "cmss.mailing-list.unsubscribe"
LEAVE_ACTION = "cmss.mailing_list.leave"
REJOIN_ACTION = "cmss.mailing_list.rejoin"
NCP_ROLE = "ncp"
ROLES = [*Clinician.Role.choices, (NCP_ROLE, "National contact point")]
ROLE_LABELS = dict(ROLES)


class UnknownMember(Exception):
    """An unsubscribe token that is forged, damaged, or names someone no longer held."""


@dataclass(frozen=True)
class Member:
    key: str
    email: str
    name: str
    country: str
    role: str
    on_list: bool
    clinician_id: int | None = None

    @property
    def role_label(self):
        return ROLE_LABELS.get(self.role, self.role)


def may_send_announcements(user):
    """The helpdesk and the administrators."""
    return is_helpdesk(user)


# --- membership -------------------------------------------------------------------------------


def _ncp_users():
    User = get_user_model()
    return User.objects.filter(
        is_active=True, groups__name__startswith=NATIONAL_CONTACT_POINT_PREFIX
    ).exclude(email="")


def clinician_members(*, countries=(), roles=(), emails=None, include_departed=False):
    """Approved clinicians (those still on the list unless ``include_departed``)."""
    rows = Clinician.objects.filter(status=Clinician.Status.APPROVED)
    if not include_departed:
        rows = rows.filter(mailing_opt_out=False)
    if countries:
        rows = rows.filter(hospital__country__in=countries)
    if roles:
        rows = rows.filter(role__in=roles)
    if emails is not None:
        rows = rows.filter(email__in=emails)
    return rows


def ncp_members(*, countries=(), emails=None, include_departed=False):
    """National contact points' users, each once, who are not approved clinicians (those are
    members as clinicians)."""
    users = _ncp_users().annotate(lower_email=Lower("email"))
    clinician = Clinician.objects.filter(
        email=OuterRef("lower_email"), status=Clinician.Status.APPROVED
    )
    users = users.exclude(Exists(clinician))
    if not include_departed:
        departed = MailingListDeparture.objects.filter(email=OuterRef("lower_email"))
        opted_out = Clinician.objects.filter(email=OuterRef("lower_email"), mailing_opt_out=True)
        users = users.exclude(Exists(departed)).exclude(Exists(opted_out))
    if countries:
        names = [f"{NATIONAL_CONTACT_POINT_PREFIX}{c.name}" for c in countries]
        users = users.filter(groups__name__in=names)
    if emails is not None:
        users = users.filter(lower_email__in=emails)
    return users.distinct()


def iter_members(*, countries=(), roles=(), emails=None, include_departed=False, chunk=2000):
    """The list's members (``Member``), clinicians first, read ``chunk`` rows at a time.

    ``countries`` (Country rows) and ``roles`` (keys of ``ROLES``) narrow it; ``emails`` (a
    queryset of lower-cased addresses, an audience's) too."""
    clinician_roles = [r for r in roles if r != NCP_ROLE]
    if not roles or clinician_roles:
        rows = clinician_members(
            countries=countries,
            roles=clinician_roles,
            emails=emails,
            include_departed=include_departed,
        ).values_list(
            "pk",
            "email",
            "first_name",
            "last_name",
            "hospital__country__name",
            "role",
            "mailing_opt_out",
        )
        for pk, email, first, last, country, role, opted_out in rows.order_by("pk").iterator(
            chunk_size=chunk
        ):
            yield Member(
                f"c:{pk}", email, f"{first} {last}", country or "", role, not opted_out, pk
            )
    if not roles or NCP_ROLE in roles:
        users = ncp_members(countries=countries, emails=emails, include_departed=include_departed)
        departed = set(MailingListDeparture.objects.values_list("email", flat=True))
        for user in users.order_by("pk").prefetch_related("groups").iterator(chunk_size=chunk):
            country = next(
                (
                    g.name.removeprefix(NATIONAL_CONTACT_POINT_PREFIX)
                    for g in user.groups.all()
                    if g.name.startswith(NATIONAL_CONTACT_POINT_PREFIX)
                ),
                "",
            )
            name = user.get_full_name() or user.email
            yield Member(
                f"u:{user.pk}",
                user.email.lower(),
                name,
                country,
                NCP_ROLE,
                user.email.lower() not in departed,
            )


def count_members(*, countries=(), roles=(), emails=None):
    clinician_roles = [r for r in roles if r != NCP_ROLE]
    total = 0
    if not roles or clinician_roles:
        total += clinician_members(
            countries=countries, roles=clinician_roles, emails=emails
        ).count()
    if not roles or NCP_ROLE in roles:
        total += ncp_members(countries=countries, emails=emails).count()
    return total


def is_member(email):
    email = (email or "").strip().lower()
    return any(iter_members(emails=[email]))


# --- leaving and rejoining --------------------------------------------------------------------


def unsubscribe_token(member_key):
    """The signed token of a member's one-click unsubscribe link."""
    return signing.Signer(salt=UNSUBSCRIBE_SALT).sign(member_key)


def member_for_token(token):
    """``(clinician or None, user or None, email)`` for a token; raises ``UnknownMember``."""
    try:
        key = signing.Signer(salt=UNSUBSCRIBE_SALT).unsign(token)
    except signing.BadSignature as error:
        raise UnknownMember from error
    kind, _, pk = key.partition(":")
    if not pk.isdigit():
        raise UnknownMember
    if kind == "c":
        clinician = Clinician.objects.filter(pk=pk).first()
        if clinician is None:
            raise UnknownMember
        return clinician, None, clinician.email
    if kind == "u":
        user = get_user_model().objects.filter(pk=pk).exclude(email="").first()
        if user is None:
            raise UnknownMember
        email = user.email.lower()
        return Clinician.objects.filter(email=email).first(), user, email
    raise UnknownMember


def on_list(clinician, email):
    if clinician is not None:
        return not clinician.mailing_opt_out
    return not MailingListDeparture.objects.filter(email=email).exists()


def set_membership(*, stay, clinician=None, email="", user=None, how="account"):
    """Leave (``stay`` False) or rejoin the list; audit-logged. A clinician's choice is their
    record's ``mailing_opt_out``; a national contact point without a record leaves a
    ``MailingListDeparture``. Returns True if anything changed."""
    with transaction.atomic():
        if clinician is not None:
            changed = (
                Clinician.objects.filter(pk=clinician.pk, mailing_opt_out=stay).update(
                    mailing_opt_out=not stay, updated_at=timezone.now()
                )
                > 0
            )
            clinician.mailing_opt_out = not stay
            if stay:
                MailingListDeparture.objects.filter(email=clinician.email).delete()
            target = clinician
        else:
            email = email.strip().lower()
            if stay:
                changed = MailingListDeparture.objects.filter(email=email).delete()[0] > 0
            else:
                changed = MailingListDeparture.objects.get_or_create(email=email)[1]
            target = user
        if changed and target is not None:
            log(
                target,
                REJOIN_ACTION if stay else LEAVE_ACTION,
                user=user if (user is not None and user.is_authenticated) else None,
                title=f"{'Clinician' if clinician is not None else 'User'} #{target.pk}",
                data={"how": how},
            )
    return changed


def leave_by_token(token, how="link"):
    """Leave the list through an unsubscribe link; raises ``UnknownMember``."""
    clinician, user, email = member_for_token(token)
    set_membership(stay=False, clinician=clinician, email=email, user=user, how=how)
    return email


def rejoin_by_token(token):
    clinician, user, email = member_for_token(token)
    set_membership(stay=True, clinician=clinician, email=email, user=user, how="link")
    return email


# --- audiences --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Audience:
    key: str
    label: str
    emails: object  # value -> queryset of lower-cased addresses
    choices: object  # () -> [(value, label)]


_audiences = {}


def register_audience(key, label, queryset_of_emails_fn, choices_fn):
    """Add an audience; registering a key again replaces it."""
    _audiences[key] = Audience(key, label, queryset_of_emails_fn, choices_fn)


def audiences():
    return dict(_audiences)


def audience(key):
    """The registered audience ``key``; raises KeyError."""
    return _audiences[key]
