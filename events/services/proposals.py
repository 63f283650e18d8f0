"""Webinar proposals: a clinician offers a webinar, and the helpdesk works the offer through
new → announced → scheduled, or declines it.

Every step is one function here (the public form, the admin queue and anything else call
these), takes the proposal's row lock, checks the step is allowed from where the proposal is,
writes a Wagtail audit-log entry and emails the proposer after commit (cms.mail). Announcing
sends the opportunity to the mailing list; scheduling makes a draft WebinarPage in the
catalogue for the helpdesk to finish and publish.
"""

import datetime
import zoneinfo

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify
from wagtail.log_actions import log

from cms.mail.services import send_mail
from directory.models import Clinician
from directory.services.access import NATIONAL_CONTACT_POINT_PREFIX
from events.models import WebinarIndexPage, WebinarPage, WebinarProposal, WebinarSpeaker

Status = WebinarProposal.Status

SUBMIT_ACTION = "cmss.webinar_proposal_submit"
ANNOUNCE_ACTION = "cmss.webinar_proposal_announce"
SCHEDULE_ACTION = "cmss.webinar_proposal_schedule"
DECLINE_ACTION = "cmss.webinar_proposal_decline"

# Where each step may start from.
STEPS = {
    "announce": (Status.NEW,),
    "schedule": (Status.NEW, Status.ANNOUNCED),
    "decline": (Status.NEW, Status.ANNOUNCED),
}
MAX_SLOTS = 5


class TransitionNotAllowed(Exception):
    """The step cannot be taken from where the proposal is (e.g. announcing a declined one)."""


class NoCatalogue(Exception):
    """There is no webinar catalogue (WebinarIndexPage) to make the draft webinar in."""


def allowed_steps(proposal):
    """The steps ("announce", "schedule", "decline") the proposal may take now."""
    return [step for step, sources in STEPS.items() if proposal.status in sources]


def _check(proposal, step):
    if proposal.status not in STEPS[step]:
        raise TransitionNotAllowed(
            f"A proposal that is “{proposal.get_status_display()}” cannot be {step}d."
        )


def _absolute(path):
    return f"{settings.CMSS_BASE_URL.rstrip('/')}{path}"


def _tell_proposer(proposal, template, **context):
    clinician = proposal.proposer
    if clinician is None or not clinician.email:
        return None
    return send_mail(
        f"events/email/{template}",
        {"proposal": proposal, "clinician": clinician, **context},
        clinician.email,
        to_name=clinician.full_name,
        kind="webinar_proposal",
        related=proposal,
    )


def _slot_data(slots, time_zone):
    zone = zoneinfo.ZoneInfo(time_zone)
    return [
        {
            "start": start.astimezone(zone).isoformat(timespec="minutes"),
            "end": end.astimezone(zone).isoformat(timespec="minutes"),
        }
        for start, end in slots
    ]


def slots_of(proposal):
    """The proposal's available slots as (start, end) aware datetimes, in its zone."""
    return [
        (datetime.datetime.fromisoformat(s["start"]), datetime.datetime.fromisoformat(s["end"]))
        for s in proposal.available_slots
    ]


def submit(
    clinician,
    *,
    title,
    abstract,
    language,
    topics=(),
    slots,
    time_zone,
    wants_recording=False,
    recording_consent=False,
):
    """Store a new proposal by approved ``clinician`` and tell them it has arrived.

    ``slots`` are (start, end) aware datetimes (the form checks them: 1 to 5, future, not
    overlapping). Raises ValueError if recording is wanted without consent or the slots are
    missing.
    """
    if wants_recording and not recording_consent:
        raise ValueError("A recording needs the speaker's consent.")
    if not 1 <= len(slots) <= MAX_SLOTS:
        raise ValueError(f"Give 1 to {MAX_SLOTS} time slots.")
    with transaction.atomic():
        proposal = WebinarProposal.objects.create(
            proposer=clinician,
            title=title,
            abstract=abstract,
            language=language,
            available_slots=_slot_data(slots, time_zone),
            time_zone=time_zone,
            wants_recording=wants_recording,
            recording_consent=recording_consent,
            recording_consent_at=timezone.now() if recording_consent else None,
        )
        proposal.topics.set(topics)
        log(instance=proposal, action=SUBMIT_ACTION, user=clinician.user, data={"to": Status.NEW})
        _tell_proposer(proposal, "proposal_received", slots=slots_of(proposal))
    return proposal


def _locked(proposal):
    # Only the proposal's row: the proposer may be gone (an outer join PostgreSQL will not lock).
    return (
        WebinarProposal.objects.select_for_update(of=("self",))
        .select_related("proposer")
        .get(pk=proposal.pk)
    )


def _move(locked, status, action, by_user, **data):
    previous = locked.status
    locked.status = status
    locked.save()
    log(instance=locked, action=action, user=by_user, data={"from": previous, "to": status, **data})


def mailing_list():
    """(email, name, kind) of everyone the network's announcements go to: approved clinicians
    who have not left the list, then the national contact points; each address once."""
    seen, recipients = set(), []
    clinicians = Clinician.objects.filter(
        status=Clinician.Status.APPROVED, mailing_opt_out=False
    ).order_by("last_name", "first_name", "pk")
    for clinician in clinicians:
        email = clinician.email.strip().lower()
        if email and email not in seen:
            seen.add(email)
            recipients.append((email, clinician.full_name, "clinician"))
    contact_points = (
        get_user_model()
        .objects.filter(groups__name__startswith=NATIONAL_CONTACT_POINT_PREFIX, is_active=True)
        .exclude(email="")
        .distinct()
        .order_by("pk")
    )
    for user in contact_points:
        email = user.email.strip().lower()
        if email not in seen:
            seen.add(email)
            recipients.append((email, user.get_full_name(), "contact point"))
    return recipients


def announce(proposal, *, by):
    """Announce the opportunity to the mailing list and tell the proposer: new → announced.

    Returns the proposal and how many were mailed. Raises TransitionNotAllowed.
    """
    with transaction.atomic():
        locked = _locked(proposal)
        _check(locked, "announce")
        recipients = mailing_list()
        _move(locked, Status.ANNOUNCED, ANNOUNCE_ACTION, by, recipients=len(recipients))
        context = {
            "proposal": locked,
            "slots": slots_of(locked),
            "topics": list(locked.topics.all()),
            "mailing_list_url": _absolute("/account/mailing-list/"),
        }
        proposer_email = locked.proposer.email.lower() if locked.proposer else ""
        for email, name, kind in recipients:
            if email == proposer_email:
                continue
            send_mail(
                "events/email/proposal_opportunity",
                {**context, "name": name, "clinician_recipient": kind == "clinician"},
                email,
                to_name=name,
                kind="webinar_announcement",
                related=locked,
            )
        _tell_proposer(locked, "proposal_announced")
    _refresh(proposal, locked)
    return proposal, len(recipients)


def catalogue():
    """The webinar catalogue page the drafts go under."""
    index = WebinarIndexPage.objects.order_by("path").first()
    if index is None:
        raise NoCatalogue("Make the webinar catalogue page first: the draft webinar goes in it.")
    return index


def _unique_slug(parent, title):
    base = slugify(title)[:60] or "webinar"
    slug, n = base, 1
    siblings = parent.get_children()
    while siblings.filter(slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    return slug


def schedule(proposal, *, by):
    """Make a draft WebinarPage in the catalogue from the proposal (title, summary from the
    abstract, language, topics, the proposer as speaker, their recording consent; start and
    end from their first slot, for the helpdesk to set) and tell the proposer:
    new/announced → scheduled. The helpdesk edits and publishes the page.

    Returns the proposal (with ``webinar`` set). Raises TransitionNotAllowed and NoCatalogue.
    """
    with transaction.atomic():
        locked = _locked(proposal)
        _check(locked, "schedule")
        parent = catalogue()
        start, end = slots_of(locked)[0] if locked.available_slots else (None, None)
        if start is None:
            start = timezone.now() + datetime.timedelta(days=30)
            end = start + datetime.timedelta(hours=1)
        abstract = " ".join(locked.abstract.split())
        summary = abstract if len(abstract) <= 300 else abstract[:299].rsplit(" ", 1)[0] + "…"
        consent = locked.recording_consent
        page = WebinarPage(
            title=locked.title,
            slug=_unique_slug(parent, locked.title),
            summary=summary,
            language=locked.language,
            start=start,
            end=end,
            time_zone=locked.time_zone,
            speaker_consents_to_recording=consent,
            recorded=bool(locked.wants_recording and consent),
            live=False,
            owner=by,
        )
        # Set before the page is first saved: a page's clusters are saved with it.
        page.topics = list(locked.topics.all())
        if locked.proposer is not None:
            page.speakers = [WebinarSpeaker(clinician=locked.proposer, sort_order=0)]
        parent.add_child(instance=page)
        page.save_revision(user=by, log_action=True)
        locked.webinar = page
        _move(locked, Status.SCHEDULED, SCHEDULE_ACTION, by, webinar=page.pk)
        _tell_proposer(locked, "proposal_scheduled")
    _refresh(proposal, locked)
    return proposal


def decline(proposal, *, by, reason):
    """Decline the proposal with ``reason``, which the proposer is sent: new/announced →
    declined. Raises TransitionNotAllowed, and ValueError for an empty reason."""
    reason = (reason or "").strip()
    if not reason:
        raise ValueError("Say why the proposal is declined: the proposer is sent the reason.")
    with transaction.atomic():
        locked = _locked(proposal)
        _check(locked, "decline")
        locked.decline_reason = reason
        _move(locked, Status.DECLINED, DECLINE_ACTION, by)
        _tell_proposer(locked, "proposal_declined", reason=reason)
    _refresh(proposal, locked)
    return proposal


def _refresh(proposal, locked):
    for name in ("status", "decline_reason", "webinar_id", "updated_at"):
        setattr(proposal, name, getattr(locked, name))
    if locked.webinar_id:
        proposal.webinar = locked.webinar
