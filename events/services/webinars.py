"""The Webex side of a webinar: its Webex webinar booked when the page is first published,
moved when a later publication changes its time or title, cancelled when the page is published
as cancelled; and each confirmed registrant registered on it with their own join link.

Everything here runs inside the transaction that publishes the page or confirms the
registration; Webex is only ever called by the tasks, after commit (events/tasks.py).
"""

import logging

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.db.models import F
from django.dispatch import receiver
from django.urls import reverse
from wagtail.signals import page_published

from events import signals, tasks
from events.models import Registration, WebexBooking, WebinarPage
from events.services import booking as booking_service
from events.webex import WebexError, get_backend

logger = logging.getLogger(__name__)

Status = WebexBooking.Status
# What registrants are told about when it changes (webinar_changed's ``fields``).
ANNOUNCED_FIELDS = ("title", "start", "end", "time_zone")
JOIN_SALT = "events.webinar-join"


class NotBookedYet(WebexError):
    """The webinar has no Webex webinar yet to register people on (its booking is pending)."""

    def __init__(self, webinar):
        super().__init__(
            f"“{webinar.title}” is not booked on Webex yet: registrants are added once it is",
            retryable=True,
        )


def record_automatically(webinar):
    """Webex records a webinar only if it is to be recorded and the speaker agreed."""
    return bool(webinar.recorded and webinar.speaker_consents_to_recording)


def booking_fields(webinar):
    """What the webinar's WebexBooking holds, taken from the page."""
    return {
        "title": webinar.title[:128],
        "agenda": (webinar.summary or "")[:1300],
        "start": webinar.start,
        "end": webinar.end,
        "time_zone": webinar.time_zone,
        "record_automatically": record_automatically(webinar),
    }


def _is_live(booking):
    return booking is not None and booking.status not in (Status.CANCELLING, Status.CANCELLED)


def _raise_sequence(page):
    """The page's calendar SEQUENCE up by one (registrants' updates and cancellations carry
    it), in the row and on ``page``."""
    WebinarPage.objects.filter(pk=page.pk).update(sequence=F("sequence") + 1)
    page.sequence = WebinarPage.objects.values_list("sequence", flat=True).get(pk=page.pk)


def sync_booking(webinar):
    """Bring the Webex booking of published ``webinar`` in line with the page, in the current
    transaction (one of its own if there is none); Webex is told by the booking task after
    commit.

    - scheduled, no live booking: a WebexBooking (kind webinar) is made; returns "booked";
    - scheduled, booked, title or times (or agenda, recording) changed: the booking changes
      (its SEQUENCE up), the page's SEQUENCE goes up and ``webinar_changed`` is sent with the
      fields registrants are told about; returns "changed";
    - cancelled, with a live booking: the booking is cancelled, the page's SEQUENCE goes up and
      ``webinar_cancelled`` is sent; returns "cancelled";
    - otherwise "" (nothing to do: a second publication without changes does nothing).

    Raises booking.BookingInProgress when the booking is being cancelled while a worker is
    talking to Webex about it (the publication then fails and can be repeated).
    """
    with transaction.atomic():
        page = WebinarPage.objects.select_for_update().get(pk=webinar.pk)
        booking = (
            WebexBooking.objects.select_for_update().filter(pk=page.booking_id).first()
            if page.booking_id
            else None
        )
        wanted = booking_fields(page)
        if page.state == WebinarPage.State.CANCELLED:
            if not _is_live(booking):
                return ""
            booking_service.request_cancel(booking.pk)
            tasks.enqueue_booking(booking.pk)
            _raise_sequence(page)
            signals.webinar_cancelled.send(sender=WebinarPage, webinar=page)
            return "cancelled"
        if page.state != WebinarPage.State.SCHEDULED:
            return ""
        if not _is_live(booking):
            booking = WebexBooking.objects.create(kind=WebexBooking.Kind.WEBINAR, **wanted)
            WebinarPage.objects.filter(pk=page.pk).update(booking=booking)
            page.booking = booking
            tasks.enqueue_booking(booking.pk)
            return "booked"
        changes = {name: value for name, value in wanted.items() if getattr(booking, name) != value}
        if not changes:
            return ""
        booking_service.change(booking.pk, **changes)
        tasks.enqueue_booking(booking.pk)
        announced = [name for name in ANNOUNCED_FIELDS if name in changes]
        if announced:
            _raise_sequence(page)
            signals.webinar_changed.send(sender=WebinarPage, webinar=page, fields=announced)
        return "changed"


@receiver(page_published, sender=WebinarPage, dispatch_uid="events.webinars.published")
def webinar_published(sender, instance, **kwargs):
    try:
        sync_booking(instance)
    except booking_service.BookingInProgress:
        # Cancelled while a worker is making its Webex webinar: the publication stands, the
        # edit view's Webex panel says the webinar is cancelled but its booking is not, and
        # publishing again (once the worker is done) cancels it and tells registrants.
        logger.warning("Webinar %s published cancelled while it was being booked", instance.pk)


def join_details(webinar):
    """What a registrant needs to join ``webinar`` beside their own link: a dict with the
    webinar's Webex link, meeting number, password and dial-in numbers, or None while it is
    not booked (or cancelled)."""
    booking = (
        WebexBooking.objects.filter(pk=webinar.booking_id).first() if webinar.booking_id else None
    )
    if booking is None or booking.status != Status.BOOKED:
        return None
    return {
        "web_link": booking.web_link,
        "meeting_number": booking.meeting_number,
        "password": booking.password,
        "sip_address": booking.sip_address,
        "access_code": booking.access_code,
        "call_in_numbers": booking.call_in_numbers,
    }


@receiver(signals.registration_confirmed, dispatch_uid="events.webinars.registrant")
def registrant_confirmed(sender, registration, **kwargs):
    """Register the confirmed registrant on the Webex webinar, by a task after commit."""
    tasks.enqueue_registrant(registration.pk)


def join_token(registration):
    """The unguessable part of a registrant's own join address (signed, not stored)."""
    return signing.Signer(salt=JOIN_SALT).sign(str(registration.pk))


def registration_for_token(token):
    """The registration a join token stands for, or None for a token that is not ours."""
    try:
        pk = int(signing.Signer(salt=JOIN_SALT).unsign(token))
    except (signing.BadSignature, ValueError):
        return None
    return Registration.objects.select_related("webinar").filter(pk=pk).first()


def personal_join_url(registration):
    """The registrant's own join link: an address of this site that, when followed, asks
    Webex for a fresh join link for them (Webex's own expire within an hour) and goes there.
    It stops working when the registration is cancelled."""
    path = reverse("events:join", args=[join_token(registration)])
    return f"{settings.CMSS_BASE_URL.rstrip('/')}{path}"


def _booked(webinar):
    booking = (
        WebexBooking.objects.filter(pk=webinar.booking_id).first() if webinar.booking_id else None
    )
    if booking is None or booking.status != Status.BOOKED or not booking.webex_meeting_id:
        raise NotBookedYet(webinar)
    return booking


def register_on_webex(registration_id):
    """Register confirmed registration ``registration_id`` on its Webex webinar and store
    their registrant id and their own join link (personal_join_url). Returns the
    registration; does nothing for one that is no longer confirmed, erased, or already
    registered.

    Call it outside a transaction (it talks to Webex). Raises Registration.DoesNotExist,
    NotBookedYet (retryable: the booking is still pending) and WebexError.
    """
    registration = Registration.objects.select_related("webinar").get(pk=registration_id)
    if (
        registration.status != Registration.Status.CONFIRMED
        or registration.erased
        or registration.webex_registrant_id
    ):
        return registration
    booking = _booked(registration.webinar)
    registrant = get_backend().register(
        booking.webex_meeting_id,
        email=registration.email,
        first_name=registration.first_name,
        last_name=registration.last_name,
    )
    link = personal_join_url(registration)
    Registration.objects.filter(pk=registration.pk).update(
        webex_registrant_id=registrant.id, join_link=link
    )
    registration.webex_registrant_id, registration.join_link = registrant.id, link
    return registration


def webex_join_link(registration):
    """A fresh Webex join link for confirmed ``registration`` (made with their Webex
    registration id; registered first if they are not yet). Raises NotBookedYet and
    WebexError."""
    booking = _booked(registration.webinar)
    backend = get_backend()
    registrant = backend.find_registrant(booking.webex_meeting_id, registration.email)
    if registrant is None:
        registrant = backend.register(
            booking.webex_meeting_id,
            email=registration.email,
            first_name=registration.first_name,
            last_name=registration.last_name,
        )
    return backend.join_link(
        booking.webex_meeting_id,
        email=registration.email,
        display_name=f"{registration.first_name} {registration.last_name}".strip(),
        registration_id=registrant.registration_id,
        password=booking.password,
    )
