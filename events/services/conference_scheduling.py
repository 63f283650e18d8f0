"""The helpdesk's queue of case conferences: submitted → polling → scheduled → held → closed,
or declined (the reason goes to the requester), or cancelled.

Every step is one function here (the admin queue and anything else call these): it takes the
request's row lock, checks the step is allowed from where the request is, writes a Wagtail
audit-log entry and sends its email after commit (cms.mail).

Scheduling makes the Webex meeting (a WebexBooking of kind "meeting": never recorded, see
events.services.booking.meeting_spec) and hands it to the booking task after commit. The
invitation needs the join link, password and dial-in numbers, which exist only once Webex has
answered, so it is not sent by the step: ``send_invitations_if_due`` sends it, and it is
called by a receiver of the booking's post_save (``booking_stored``, connected here) when the
booking task (or a Retry from the admin) stores a booked meeting that owes Webex nothing. The
receiver defers the sending to after that commit and the sending takes the request's lock in
a transaction of its own: the steps lock the request and then the booking, so taking the
request's lock while the booking service holds the booking's would invite a deadlock.

``invited_sequence`` remembers the SEQUENCE participants were last sent, so the invitation
(and each update after a reschedule: same UID, higher SEQUENCE) goes out once, however often
the booking is saved. Cancelling sends METHOD:CANCEL at once: it needs nothing from Webex,
which deletes the meeting after commit.
"""

import datetime
import logging

from django.db import transaction
from django.db.models.signals import post_save
from django.dispatch import receiver
from django.utils import timezone
from wagtail.log_actions import log

from cms.mail.services import send_mail
from events import tasks
from events.calendar import (
    PATIENT_DATA_REMINDER,
    CalendarEvent,
    build_invitation,
    helpdesk_mailbox,
    new_uid,
)
from events.models import ConferenceRequest, ConferenceSlot, WebexBooking, calendar_host
from events.services import booking as booking_service
from events.services.conference_polls import local_slot, send_poll, zone_of

logger = logging.getLogger(__name__)

Status = ConferenceRequest.Status

ASK_ACTION = "cmss.conference_ask"
SCHEDULE_ACTION = "cmss.conference_schedule"
RESCHEDULE_ACTION = "cmss.conference_reschedule"
HOLD_ACTION = "cmss.conference_held"
CLOSE_ACTION = "cmss.conference_close"
DECLINE_ACTION = "cmss.conference_decline"
CANCEL_ACTION = "cmss.conference_cancel"
INVITE_ACTION = "cmss.conference_invitations_sent"

# Where each step may start from.
STEPS = {
    "ask": (Status.SUBMITTED,),
    "schedule": (Status.SUBMITTED, Status.POLLING),
    "reschedule": (Status.SCHEDULED,),
    "hold": (Status.SCHEDULED,),
    "close": (Status.HELD,),
    "decline": (Status.SUBMITTED, Status.POLLING),
    "cancel": (Status.SUBMITTED, Status.POLLING, Status.SCHEDULED),
}
STEP_VERBS = {
    "ask": "sent to the invitees",
    "schedule": "scheduled",
    "reschedule": "rescheduled",
    "hold": "marked as held",
    "close": "closed",
    "decline": "declined",
    "cancel": "cancelled",
}
ORGANISER_NAME = "CMSS helpdesk"


class TransitionNotAllowed(Exception):
    """The step cannot be taken from where the request is (e.g. scheduling a declined one)."""


class SlotNotUsable(ValueError):
    """The slot is not the request's, has passed, or is the time the conference already has."""


def allowed_steps(conference):
    """The steps the request may take now, in the queue's order."""
    return [step for step, sources in STEPS.items() if conference.status in sources]


def _check(conference, step):
    if conference.status not in STEPS[step]:
        raise TransitionNotAllowed(
            f"A request that is “{conference.get_status_display()}” cannot be {STEP_VERBS[step]}."
        )


def _locked(conference):
    # Only the request's row: the requester may be gone (PostgreSQL will not lock the outer
    # join to a missing row).
    return (
        ConferenceRequest.objects.select_for_update(of=("self",))
        .select_related("requester", "booking", "chosen_slot")
        .get(pk=conference.pk)
    )


def _move(locked, status, action, by_user, **data):
    previous = locked.status
    locked.status = status
    locked.save()
    log(
        instance=locked,
        action=action,
        user=by_user,
        data={"from": previous, "to": status, **data},
    )


def title_of(conference):
    """The meeting's title: no patient data, nothing from the clinical question."""
    return f"CMSS case conference {conference.pk}"


def participants(conference):
    """(name, email, clinician) of the requester and every invitee still in the directory."""
    people = []
    seen = set()
    clinicians = [conference.requester] + [
        invitee.clinician
        for invitee in conference.invitees.filter(erased=False, clinician__isnull=False)
        .select_related("clinician__hospital__country")
        .order_by("pk")
    ]
    for clinician in clinicians:
        if clinician is None or not clinician.email or clinician.email in seen:
            continue
        seen.add(clinician.email)
        people.append((clinician.full_name, clinician.email, clinician))
    return people


def _mail(conference, template, clinician, *, kind, attachments=(), slot=None, **context):
    zone = zone_of(clinician)
    return send_mail(
        f"events/email/{template}",
        {
            "conference": conference,
            "clinician": clinician,
            "zone": zone,
            "local": local_slot(slot, zone, conference.duration_minutes) if slot else None,
            "reminder": PATIENT_DATA_REMINDER,
            **context,
        },
        clinician.email,
        to_name=clinician.full_name,
        kind=kind,
        related=conference,
        attachments=attachments,
        from_email=helpdesk_mailbox(),
    )


# -- the steps ------------------------------------------------------------------------------------


def ask_invitees(conference, *, by):
    """Send each invitee the poll (their slots in their own time, their no-login link):
    submitted → polling. Returns how many were asked. Raises TransitionNotAllowed."""
    with transaction.atomic():
        locked = _locked(conference)
        _check(locked, "ask")
        invitees = list(
            locked.invitees.filter(erased=False, clinician__isnull=False).select_related(
                "request", "clinician__hospital__country"
            )
        )
        asked = sum(1 for invitee in invitees if send_poll(invitee) is not None)
        _move(locked, Status.POLLING, ASK_ACTION, by, asked=asked)
    return asked


def _usable(locked, slot):
    if slot.request_id != locked.pk:
        raise SlotNotUsable("That slot is not one of this request's.")
    if slot.start <= timezone.now():
        raise SlotNotUsable("That slot has passed: choose a later one.")


def schedule(conference, slot, *, by):
    """Choose ``slot``: the Webex meeting is booked after commit (by the booking task) and,
    once booked, every participant is sent the invitation (see the module's docstring).
    submitted or polling → scheduled. Returns the request.

    Raises TransitionNotAllowed and SlotNotUsable.
    """
    with transaction.atomic():
        locked = _locked(conference)
        _check(locked, "schedule")
        slot = ConferenceSlot.objects.get(pk=slot.pk)
        _usable(locked, slot)
        booking = WebexBooking.objects.create(
            kind=WebexBooking.Kind.MEETING,
            title=title_of(locked),
            start=slot.start,
            end=slot.start + datetime.timedelta(minutes=locked.duration_minutes),
            time_zone=locked.time_zone,
            record_automatically=False,
        )
        locked.booking = booking
        locked.chosen_slot = slot
        if not locked.calendar_uid:
            locked.calendar_uid = new_uid(calendar_host())
        _move(locked, Status.SCHEDULED, SCHEDULE_ACTION, by, slot=slot.start.isoformat())
        tasks.enqueue_booking(booking.pk)
    return locked


def reschedule(conference, *, by, slot=None, start=None):
    """Move a scheduled conference to another of its slots, or to a new ``start`` (an aware
    datetime, kept as a new slot): the Webex meeting is moved after commit, and once Webex
    has it participants are sent the update (same UID, SEQUENCE one higher). Returns the
    request.

    Raises TransitionNotAllowed, SlotNotUsable (another request's, past, or the time it has
    already), and ValueError when neither or both of ``slot`` and ``start`` are given.
    """
    if (slot is None) == (start is None):
        raise ValueError("Give either another slot or a new start time.")
    with transaction.atomic():
        locked = _locked(conference)
        _check(locked, "reschedule")
        if slot is None:
            slot, _ = ConferenceSlot.objects.get_or_create(request=locked, start=start)
        else:
            slot = ConferenceSlot.objects.get(pk=slot.pk)
        _usable(locked, slot)
        if slot.pk == locked.chosen_slot_id:
            raise SlotNotUsable("The conference is at that time already.")
        end = slot.start + datetime.timedelta(minutes=locked.duration_minutes)
        booking_service.change(locked.booking_id, start=slot.start, end=end)
        previous = locked.chosen_slot.start.isoformat() if locked.chosen_slot else ""
        locked.chosen_slot = slot
        locked.sequence += 1
        locked.save()
        log(
            instance=locked,
            action=RESCHEDULE_ACTION,
            user=by,
            data={"from": previous, "to": slot.start.isoformat(), "sequence": locked.sequence},
        )
        tasks.enqueue_booking(locked.booking_id)
    return locked


def mark_held(conference, *, by):
    """The conference took place: scheduled → held; the retention period counts from now.
    Raises TransitionNotAllowed (also before the chosen slot has started)."""
    with transaction.atomic():
        locked = _locked(conference)
        _check(locked, "hold")
        if locked.chosen_slot and locked.chosen_slot.start > timezone.now():
            raise TransitionNotAllowed("The conference has not started yet: it cannot be held.")
        locked.ended_at = timezone.now()
        _move(locked, Status.HELD, HOLD_ACTION, by)
    return locked


def close(conference, *, by):
    """Nothing left to do: held → closed. Raises TransitionNotAllowed."""
    with transaction.atomic():
        locked = _locked(conference)
        _check(locked, "close")
        _move(locked, Status.CLOSED, CLOSE_ACTION, by)
    return locked


def decline(conference, *, by, reason):
    """Decline the request and send the requester ``reason``; invitees already asked are told
    the poll is closed. submitted or polling → declined. Raises TransitionNotAllowed, and
    ValueError for an empty reason."""
    if not (reason or "").strip():
        raise ValueError("Say why: the requester is sent this reason.")
    with transaction.atomic():
        locked = _locked(conference)
        _check(locked, "decline")
        was_polling = locked.status == Status.POLLING
        locked.decline_reason = reason.strip()
        # The retention period of its free text counts from here too.
        locked.ended_at = timezone.now()
        _move(locked, Status.DECLINED, DECLINE_ACTION, by)
        if locked.requester is not None and locked.requester.email:
            _mail(
                locked,
                "conference_declined",
                locked.requester,
                kind="conference_declined",
                reason=locked.decline_reason,
            )
        if was_polling:
            _tell_invitees_called_off(locked)
    return locked


def cancel(conference, *, by, reason=""):
    """Cancel the conference: submitted, polling or scheduled → cancelled. A scheduled one's
    participants are sent METHOD:CANCEL (same UID, SEQUENCE one higher) if they had the
    invitation, a notice otherwise, and its Webex meeting is deleted after commit.
    Returns the request.

    Raises TransitionNotAllowed, and booking.BookingInProgress while a worker is talking to
    Webex about the meeting (nothing changes: try again in a moment).
    """
    with transaction.atomic():
        locked = _locked(conference)
        _check(locked, "cancel")
        previous = locked.status
        if locked.booking_id:
            booking_service.request_cancel(locked.booking_id)
            tasks.enqueue_booking(locked.booking_id)
        locked.ended_at = timezone.now()
        if previous == Status.SCHEDULED:
            locked.sequence += 1
        _move(locked, Status.CANCELLED, CANCEL_ACTION, by, reason=reason)
        if previous == Status.SCHEDULED and locked.invited_sequence is not None:
            ics = build_invitation(calendar_event(locked, locked.booking), "CANCEL")
            attachment = ("invite.ics", ics, "text/calendar; method=CANCEL")
            for _name, _email, clinician in participants(locked):
                _mail(
                    locked,
                    "conference_cancelled",
                    clinician,
                    kind="conference_cancelled",
                    attachments=[attachment],
                    reason=reason,
                    slot=locked.chosen_slot,
                )
            locked.invited_sequence = locked.sequence
            locked.save(update_fields=["invited_sequence"])
        else:
            _tell_everyone_called_off(locked, reason, previous)
    return locked


def _tell_invitees_called_off(locked, reason=""):
    for invitee in locked.invitees.filter(erased=False, clinician__isnull=False).select_related(
        "clinician__hospital__country"
    ):
        _mail(
            locked,
            "conference_cancelled",
            invitee.clinician,
            kind="conference_cancelled",
            reason=reason,
        )


def _tell_everyone_called_off(locked, reason, previous):
    if locked.requester is not None and locked.requester.email:
        _mail(
            locked,
            "conference_cancelled",
            locked.requester,
            kind="conference_cancelled",
            reason=reason,
        )
    # Invitees hear of a request only once they are asked.
    if previous != Status.SUBMITTED:
        _tell_invitees_called_off(locked, reason)


# -- the invitation -------------------------------------------------------------------------------


def calendar_event(conference, booking):
    """The CalendarEvent every participant is sent: the request's UID and SEQUENCE, the chosen
    slot, Webex's join link, password and dial-in numbers, every participant as ATTENDEE and
    the helpdesk mailbox as ORGANIZER."""
    slot = conference.chosen_slot
    return CalendarEvent(
        uid=conference.calendar_uid,
        sequence=conference.sequence,
        title=title_of(conference),
        start=slot.start,
        end=slot.start + datetime.timedelta(minutes=conference.duration_minutes),
        time_zone=conference.time_zone,
        join_url=booking.web_link if booking else "",
        password=booking.password if booking else "",
        dial_in=[
            (number.get("label") or "Call-in", number.get("number", ""))
            for number in (booking.call_in_numbers if booking else [])
            if number.get("number")
        ],
        sip_address=booking.sip_address if booking else "",
        description_extra=(
            "A case conference of the CMSS network. Nothing said in it is recorded or stored."
        ),
        organiser_name=ORGANISER_NAME,
        organiser_email=helpdesk_mailbox(),
        attendees=[(name, email) for name, email, _clinician in participants(conference)],
    )


def invitation_is_due(conference, booking):
    """Whether participants are owed the invitation or an update: scheduled, booked on Webex
    with nothing left to tell it, and not sent this SEQUENCE yet."""
    return (
        conference.status == Status.SCHEDULED
        and booking is not None
        and booking.status == WebexBooking.Status.BOOKED
        and not booking.changed_since_booked
        and (
            conference.invited_sequence is None or conference.invited_sequence < conference.sequence
        )
    )


def send_invitations_if_due(conference_id):
    """Send every participant the invitation (or, after a reschedule, the update) if it is due
    (see invitation_is_due): one METHOD:REQUEST calendar with every participant as ATTENDEE,
    attached to a message to each of them, from the helpdesk mailbox. Returns how many
    messages were queued (0 when nothing was due). Safe to call any number of times."""
    with transaction.atomic():
        try:
            locked = _locked(ConferenceRequest(pk=conference_id))
        except ConferenceRequest.DoesNotExist:
            return 0
        booking = WebexBooking.objects.filter(pk=locked.booking_id).first()
        if not invitation_is_due(locked, booking):
            return 0
        update = locked.invited_sequence is not None
        ics = build_invitation(calendar_event(locked, booking), "REQUEST")
        attachment = ("invite.ics", ics, "text/calendar; method=REQUEST")
        people = participants(locked)
        for _name, _email, clinician in people:
            _mail(
                locked,
                "conference_updated" if update else "conference_invitation",
                clinician,
                kind="conference_update" if update else "conference_invitation",
                attachments=[attachment],
                booking=booking,
                slot=locked.chosen_slot,
                dial_in=calendar_event(locked, booking).dial_in,
                participants=[name for name, _email, _c in people],
            )
        locked.invited_sequence = locked.sequence
        locked.save(update_fields=["invited_sequence", "updated_at"])
        log(
            instance=locked,
            action=INVITE_ACTION,
            user=None,
            data={"sequence": locked.sequence, "recipients": len(people), "update": update},
        )
    return len(people)


@receiver(post_save, sender=WebexBooking, dispatch_uid="events.conferences.booking_stored")
def booking_stored(sender, instance, **kwargs):
    """A meeting's booking was saved: if it is now booked and in step with Webex, its case
    conference's participants may be owed the invitation; send it after this commit."""
    if instance.kind != WebexBooking.Kind.MEETING:
        return
    if instance.status != WebexBooking.Status.BOOKED or instance.changed_since_booked:
        return
    conference_id = (
        ConferenceRequest.objects.filter(booking_id=instance.pk)
        .values_list("pk", flat=True)
        .first()
    )
    if conference_id is not None:
        transaction.on_commit(lambda: _invite_after_booking(conference_id))


def _invite_after_booking(conference_id):
    # Runs in the booking task, after it stored the booking: a failure here must not fail the
    # task (Webex has the meeting). It is logged, and the request's page says the invitation
    # has not gone out.
    try:
        send_invitations_if_due(conference_id)
    except Exception:
        logger.exception("Case conference %s: the invitation could not be sent", conference_id)
