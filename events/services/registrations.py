"""Webinar registration: places, the waiting list, email confirmation and what registrants are sent.

Capacity is decided in one place, ``_admit``, always with the webinar's row locked (pretix's rule:
lock once, late, before counting). The lock is taken inside the transaction that writes the
registration, and only where a place may change hands (taking one, giving one up, promoting the
next in line), so a registration still waiting for its email code holds no lock and no place.
The unique constraint on (webinar, email) of live registrations catches two requests for one
address that race past the first look: the loser gets the winner's registration.

Every email goes through ``cms.mail.services`` (stored, sent after commit) and carries the
cancel-my-place link. Invitations, updates and cancellations are built by ``events.calendar``
from :func:`calendar_event_for`: the webinar's UID, its current SEQUENCE, the registrant as the
only ATTENDEE and the helpdesk mailbox as ORGANIZER.
"""

import secrets
from datetime import timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac

from cms.emails import normalise_email
from cms.mail.links import absolute_url
from cms.mail.services import queue_message, send_mail
from events import signals
from events.calendar import CalendarEvent, helpdesk_mailbox, invitation_attachment, new_uid
from events.models import Registration, WebinarPage
from events.zones import zone_or_site

Status = Registration.Status

CODE_DIGITS = 6
ORGANISER_NAME = "CMSS helpdesk"
CANCELLED_BY = ("registrant", "helpdesk", "webinar")


class RegistrationError(Exception):
    """Base of the errors a registrant can be told about; ``str()`` says what happened."""


class RegistrationClosed(RegistrationError):
    """The webinar takes no registrations now (not open yet, closed, started or cancelled)."""


class CodeError(RegistrationError):
    """The confirmation code was wrong, has expired, or too many were tried."""


def code_lifetime():
    return timedelta(minutes=int(getattr(settings, "WEBINAR_CODE_MINUTES", 30)))


def max_code_attempts():
    return int(getattr(settings, "WEBINAR_CODE_ATTEMPTS", 5))


# -- when registration is open -----------------------------------------------------------------


def closed_reason(webinar, now=None):
    """Why ``webinar`` takes no registration at ``now`` (a sentence), or None when it does."""
    now = now or timezone.now()
    if webinar.state == WebinarPage.State.CANCELLED:
        return "This webinar has been cancelled: it takes no registrations."
    if webinar.state == WebinarPage.State.HELD or webinar.start <= now:
        return "This webinar has started or is over: registration is closed."
    if webinar.registration_closes and webinar.registration_closes <= now:
        return "Registration for this webinar has closed."
    if webinar.registration_opens and webinar.registration_opens > now:
        opens = timezone.localtime(webinar.registration_opens, zone_or_site(webinar.time_zone))
        return f"Registration opens on {opens:%d %B %Y at %H:%M} ({webinar.time_zone})."
    return None


def check_open(webinar, now=None):
    """Raise ``RegistrationClosed`` (saying why) unless ``webinar`` takes registrations now."""
    reason = closed_reason(webinar, now)
    if reason:
        raise RegistrationClosed(reason)


def places_left(webinar):
    """Places not yet taken by a confirmed registrant (never below 0)."""
    taken = Registration.objects.filter(webinar_id=webinar.pk, status=Status.CONFIRMED).count()
    return max(webinar.capacity - taken, 0)


def live_registration(webinar, email):
    """The registration of ``email`` for ``webinar`` that is not cancelled, or None."""
    return (
        Registration.objects.filter(webinar_id=webinar.pk, email=_address(email))
        .exclude(status=Status.CANCELLED)
        .first()
    )


# -- registering -------------------------------------------------------------------------------


def register(
    webinar,
    *,
    first_name,
    last_name,
    email,
    profession="",
    country=None,
    privacy_version="",
    clinician=None,
    confirmed=False,
):
    """Register ``email`` for ``webinar``; returns ``(registration, created)``.

    ``confirmed=True`` (a signed-in clinician, whose address is known) takes a place at once or
    joins the waiting list; otherwise the registration waits for its email code
    (:func:`send_code`, then :func:`confirm_email`). Registering an address again returns its
    live registration (``created`` False); a confirmed request for one still waiting for its
    code confirms it. Raises ``RegistrationClosed``.
    """
    email = _address(email)
    check_open(webinar)
    existing = live_registration(webinar, email)
    if existing is not None:
        if confirmed and existing.status == Status.UNCONFIRMED:
            existing = _take_place(existing)
        return existing, False
    registration = Registration(
        webinar_id=webinar.pk,
        clinician=clinician,
        first_name=first_name.strip(),
        last_name=last_name.strip(),
        email=email,
        profession=profession.strip(),
        country=country,
        privacy_version=privacy_version,
    )
    try:
        with transaction.atomic():
            if confirmed:
                locked = _lock(webinar)
                check_open(locked)
                # Read again under the lock: a request for the same address may have just
                # committed while this one waited.
                existing = live_registration(webinar, email)
                if existing is not None:
                    return existing, False
                _admit(locked, registration)
            else:
                registration.save()
    except IntegrityError:
        # The same address registered in another request between our look and our insert.
        existing = live_registration(webinar, email)
        if existing is None:
            raise
        return existing, False
    return registration, True


def send_code(registration):
    """Make a new confirmation code for ``registration`` and email it (it replaces any earlier one).

    Returns the ``OutgoingMessage``. Raises ``cms.mail.services.InvalidRecipient``.
    """
    code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
    now = timezone.now()
    Registration.objects.filter(pk=registration.pk).update(
        code_hash=_code_hash(registration, code), code_sent_at=now, code_attempts=0, updated_at=now
    )
    registration.refresh_from_db(fields=["code_hash", "code_sent_at", "code_attempts"])
    context = {
        **_mail_context(registration),
        "code": code,
        "minutes": int(code_lifetime().total_seconds() // 60),
        "confirm_url": absolute_url(
            reverse("events:registration_code", args=[registration.webinar.slug])
        ),
    }
    template = "events/email/registration_code"
    return queue_message(
        registration.email,
        render_to_string(f"{template}_subject.txt", context),
        render_to_string(f"{template}.txt", context),
        html=render_to_string(f"{template}.html", context),
        to_name=registration.full_name,
        kind="webinar_registration_code",
        related=registration,
        carries_secret=True,
    )


def confirm_email(registration, code):
    """Check ``code`` for an unconfirmed ``registration``; then it takes a place or joins the line.

    A registration already confirmed (or waiting) is returned as it is. Each wrong code counts,
    whatever happens to the request afterwards. Raises ``CodeError`` (wrong, expired, too many
    tries: ask for a new code) and ``RegistrationClosed``.
    """
    registration.refresh_from_db()
    if registration.status in (Status.CONFIRMED, Status.WAITING):
        return registration
    if registration.status != Status.UNCONFIRMED or not registration.code_hash:
        raise CodeError("This registration has no code waiting: register again for a new one.")
    if timezone.now() - registration.code_sent_at > code_lifetime():
        raise CodeError("This code has expired: ask for a new one.")
    # Counted with a conditional UPDATE, so parallel guesses cannot pass the limit together.
    with transaction.atomic():
        counted = Registration.objects.filter(
            pk=registration.pk, code_attempts__lt=max_code_attempts()
        ).update(code_attempts=F("code_attempts") + 1)
    if not counted:
        raise CodeError("Too many wrong codes: ask for a new one.")
    code = "".join(str(code or "").split())
    if not constant_time_compare(_code_hash(registration, code), registration.code_hash):
        raise CodeError("That code is not the one we sent: check it and try again.")
    return _take_place(registration)


def _take_place(registration):
    with transaction.atomic():
        locked = _lock(registration.webinar)
        check_open(locked)
        registration = Registration.objects.select_for_update().get(pk=registration.pk)
        if registration.status != Status.UNCONFIRMED:
            return registration
        registration.code_hash = ""
        _admit(locked, registration)
    return registration


def _lock(webinar):
    """The webinar's row, locked until the transaction ends: everything that takes or frees a
    place takes this lock first, then counts. Only the events table's row is locked (``of``),
    not Wagtail's page row that editors write."""
    return (
        WebinarPage.objects.select_for_update(of=("self",))
        .only(
            "pk",
            "capacity",
            "state",
            "start",
            "time_zone",
            "registration_opens",
            "registration_closes",
        )
        .get(pk=webinar.pk)
    )


def _admit(locked, registration):
    """Give ``registration`` a place, or a place in line; saves it and sends its email.
    The caller holds the webinar's lock (``locked``)."""
    now = timezone.now()
    _fill_free_places(locked)
    registration.queued_at = now
    if places_left(locked) > 0:
        registration.status = Status.CONFIRMED
        registration.confirmed_at = now
    else:
        registration.status = Status.WAITING
    registration.save()
    if registration.status == Status.CONFIRMED:
        _send_invitation(registration, "events/email/registration_confirmed", "confirmed")
        signals.registration_confirmed.send(sender=Registration, registration=registration)
    else:
        _send(registration, "events/email/registration_waiting", "waiting")


# -- giving places up and promoting ------------------------------------------------------------


def cancel(registration, *, by, notify=True):
    """Give up ``registration``'s place (or place in line); the first in line takes a freed place.

    ``by`` is "registrant", "helpdesk" or "webinar" (the webinar was cancelled: nobody is
    promoted). A registrant who held a place is sent a cancellation (``METHOD:CANCEL``); one in
    line is told they left it; ``notify=False`` sends them nothing (their data is being erased).
    Cancelling twice changes nothing. Returns the registration. Raises ``ValueError`` for
    another ``by``.
    """
    if by not in CANCELLED_BY:
        raise ValueError(f"by must be one of {CANCELLED_BY}, not {by!r}")
    with transaction.atomic():
        locked = _lock(registration.webinar)
        registration = Registration.objects.select_for_update().get(pk=registration.pk)
        if registration.status == Status.CANCELLED:
            return registration
        was = registration.status
        registration.status = Status.CANCELLED
        registration.cancelled_at = timezone.now()
        registration.cancelled_by = by
        registration.code_hash = ""
        registration.save()
        signals.registration_cancelled.send(sender=Registration, registration=registration)
        if notify and was == Status.CONFIRMED:
            _send_invitation(
                registration, "events/email/registration_cancelled", "cancelled", method="CANCEL"
            )
        elif notify and was == Status.WAITING:
            _send(registration, "events/email/registration_cancelled", "cancelled")
        if by != "webinar":
            _fill_free_places(locked)
    return registration


def forget(registration):
    """A registrant's own request to be forgotten: cancel (if live) and anonymise the
    registration (events/personal_data.py). Returns it."""
    from events.personal_data import erase_registration

    return erase_registration(registration)


def send_already_registered(registration):
    """Tell someone who filled in the form again that they are registered (with the cancel link)."""
    return _send(registration, "events/email/registration_known", "known")


def promote_next(webinar):
    """Give a free place to the first in line (``queued_at`` order); returns them, or None when
    there is no free place or nobody waiting. Raises nothing."""
    with transaction.atomic():
        locked = _lock(webinar)
        promoted = _fill_free_places(locked, limit=1)
    return promoted[0] if promoted else None


def _fill_free_places(locked, limit=None):
    """Promote waiting registrants, first in line first, while places are free (the caller holds
    the webinar's lock). Returns the promoted registrations."""
    free = places_left(locked)
    if limit is not None:
        free = min(free, limit)
    if free <= 0 or locked.state != WebinarPage.State.SCHEDULED:
        return []
    waiting = list(
        Registration.objects.select_for_update()
        .filter(webinar_id=locked.pk, status=Status.WAITING)
        .order_by("queued_at", "pk")[:free]
    )
    now = timezone.now()
    for registration in waiting:
        registration.status = Status.CONFIRMED
        registration.confirmed_at = now
        registration.save(update_fields=["status", "confirmed_at", "updated_at"])
        _send_invitation(registration, "events/email/registration_promoted", "promoted")
        signals.registration_confirmed.send(sender=Registration, registration=registration)
    return waiting


# -- what registrants are sent -----------------------------------------------------------------


def calendar_event_for(registration, *, method="REQUEST"):
    """The ``CalendarEvent`` for ``registration``: the webinar's UID and SEQUENCE, its join link
    (the registrant's own from Webex, else the webinar's), the registrant as only ATTENDEE."""
    webinar = registration.webinar
    booking = webinar.booking
    join_url = join_link(registration)
    return CalendarEvent(
        uid=_calendar_uid(webinar),
        sequence=webinar.sequence,
        title=webinar.title,
        start=webinar.start,
        end=webinar.end,
        time_zone=webinar.time_zone,
        join_url=join_url,
        password=booking.password if booking and join_url else "",
        description_extra="\n\n".join(
            [webinar.summary, f"Cancel your place: {cancel_url(registration)}"]
        ),
        organiser_name=ORGANISER_NAME,
        organiser_email=helpdesk_mailbox(),
        attendees=[(registration.full_name, registration.email)],
        alarm_minutes=15 if method == "REQUEST" else None,
        public_url=webinar_url(webinar),
    )


def join_link(registration):
    """The registrant's own join link from Webex, else the webinar's, else ""."""
    booking = registration.webinar.booking
    return registration.join_link or (booking.web_link if booking else "")


def webinar_url(webinar):
    """The webinar's public page as an absolute link for email ("" if it has no URL yet)."""
    parts = webinar.get_url_parts()
    return absolute_url(parts[2]) if parts else ""


def cancel_url(registration):
    return absolute_url(reverse("events:registration_cancel", args=[registration.cancel_token]))


def send_to_registrants(webinar, *, subject, text, statuses=("confirmed",), kind="webinar_message"):
    """Mail ``subject`` and ``text`` to every registrant of ``webinar`` in ``statuses`` (not
    erased), each with their own cancel link. Returns the number of messages queued."""
    registrations = Registration.objects.filter(
        webinar_id=webinar.pk, status__in=list(statuses), erased=False
    ).select_related("webinar")
    count = 0
    for registration in registrations:
        context = {**_mail_context(registration), "subject": subject, "text": text}
        send_mail(
            "events/email/registration_message",
            context,
            registration.email,
            to_name=registration.full_name,
            kind=kind,
            related=registration,
        )
        count += 1
    return count


def send_update(webinar):
    """Send every confirmed registrant the webinar as it is now (same UID, current SEQUENCE)."""
    registrations = Registration.objects.filter(
        webinar_id=webinar.pk, status=Status.CONFIRMED, erased=False
    ).select_related("webinar", "webinar__booking")
    for registration in registrations:
        _send_invitation(registration, "events/email/registration_updated", "updated")


def _send(registration, template, what, attachments=()):
    return send_mail(
        template,
        _mail_context(registration),
        registration.email,
        to_name=registration.full_name,
        kind=f"webinar_registration_{what}",
        related=registration,
        attachments=attachments,
    )


def _send_invitation(registration, template, what, method="REQUEST"):
    event = calendar_event_for(registration, method=method)
    return _send(registration, template, what, [invitation_attachment(event, method)])


def _mail_context(registration):
    webinar = registration.webinar
    zone = zone_or_site(webinar.time_zone)
    return {
        "registration": registration,
        "webinar": webinar,
        "name": registration.full_name,
        "start": timezone.localtime(webinar.start, zone),
        "end": timezone.localtime(webinar.end, zone),
        "cancel_url": cancel_url(registration),
        "join_url": join_link(registration) if registration.status == Status.CONFIRMED else "",
        "webinar_url": webinar_url(webinar),
    }


def _calendar_uid(webinar):
    """The webinar's stored UID; one is made and stored the first time a webinar needs it."""
    if not webinar.calendar_uid:
        host = urlsplit(settings.CMSS_BASE_URL).hostname or "cmss.invalid"
        uid = new_uid(host)
        # Another request may have stored one first: keep whichever is stored.
        WebinarPage.objects.filter(pk=webinar.pk, calendar_uid="").update(calendar_uid=uid)
        webinar.calendar_uid = (
            WebinarPage.objects.filter(pk=webinar.pk).values_list("calendar_uid", flat=True).get()
        )
    return webinar.calendar_uid


def _code_hash(registration, code):
    return salted_hmac(
        "events.registration.code", f"{registration.pk}:{code}", algorithm="sha256"
    ).hexdigest()


def _address(email):
    return normalise_email(email or "").strip().lower()


# -- what other parts of the webinar work tell us ---------------------------------------------


def on_webinar_changed(sender, webinar, fields=(), **kwargs):
    """Registrants get an update: the same UID, the SEQUENCE the sender has raised
    (events/services/webinars.py raises it before sending the signal)."""
    webinar.sequence = WebinarPage.objects.values_list("sequence", flat=True).get(pk=webinar.pk)
    send_update(webinar)


def on_webinar_cancelled(sender, webinar, **kwargs):
    """Every live registration ends; those who held a place get ``METHOD:CANCEL`` (with the
    SEQUENCE the sender has raised)."""
    webinar.sequence = WebinarPage.objects.values_list("sequence", flat=True).get(pk=webinar.pk)
    for registration in Registration.objects.filter(webinar_id=webinar.pk).exclude(
        status=Status.CANCELLED
    ):
        registration.webinar = webinar
        cancel(registration, by="webinar")
