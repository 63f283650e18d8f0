"""The one place that builds iCalendar data: invitations, updates and cancellations sent to the
people taking part in a case conference or webinar (iTIP over email, RFC 5546/6047), and the public
webinar feed.

Everything here is a plain function over a :class:`CalendarEvent`; callers turn their models into one.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from icalendar import (
    Alarm,
    Calendar,
    Event,
    Timezone,
    TimezoneDaylight,
    TimezoneStandard,
    vCalAddress,
    vText,
)

PRODID = "-//CMSS//Case conferences and webinars//EN"
METHODS = ("REQUEST", "CANCEL")
PATIENT_DATA_REMINDER = (
    "Please do not share any data that could identify a patient (names, dates of birth, "
    "addresses, phone numbers, email addresses, ID numbers) before, during or after this meeting."
)
INVITATION_FILENAME = "invite.ics"

# Control characters (CR, LF, tab, ...) and runs of whitespace in a display name.
_NAME_WHITESPACE = re.compile(r"[\s\x00-\x1f\x7f]+")
# A deliberately strict shape for addresses put into mailto: URIs.
_EMAIL = re.compile(r"^[^\s@<>\"(),;:\\\[\]\x00-\x1f\x7f]+@[^\s@<>\"(),;:\\\[\]\x00-\x1f\x7f]+$")
_HOST = re.compile(r"^[A-Za-z0-9.-]+$")


@dataclass(frozen=True)
class CalendarEvent:
    """One conference or webinar as calendar clients must see it.

    ``uid`` never changes for the life of the conference or webinar (see :func:`new_uid`);
    ``sequence`` is raised by the caller on every change that recipients must see (time, join
    details, cancellation). ``start`` and ``end`` are aware datetimes; they are written in
    ``time_zone`` (an IANA name such as ``"Europe/Athens"``).

    ``join_url``, ``password``, ``dial_in`` and ``sip_address`` go into invitations only;
    ``public_url`` (the public page of a webinar) is what the public feed links to.

    Raises ``ValueError`` when the datetimes are naive or reversed, the time zone is unknown,
    the sequence is negative, or an email address is malformed.
    """

    uid: str
    sequence: int
    title: str
    start: datetime
    end: datetime
    time_zone: str
    join_url: str = ""
    password: str = ""
    dial_in: Sequence[tuple[str, str]] = ()
    sip_address: str = ""
    description_extra: str = ""
    organiser_name: str = ""
    organiser_email: str = ""
    attendees: Sequence[tuple[str, str]] = ()
    alarm_minutes: int | None = 15
    status: str = "CONFIRMED"
    public_url: str = ""
    stamp: datetime | None = field(default=None, compare=False)

    def __post_init__(self):
        if self.start.tzinfo is None or self.end.tzinfo is None:
            raise ValueError("start and end must be aware datetimes")
        if self.end <= self.start:
            raise ValueError("end must be after start")
        if self.sequence < 0:
            raise ValueError("sequence must not be negative")
        try:
            ZoneInfo(self.time_zone)
        except (ZoneInfoNotFoundError, ValueError) as error:
            raise ValueError(f"unknown time zone {self.time_zone!r}") from error
        for email in [self.organiser_email, *(email for _name, email in self.attendees)]:
            if email and not _EMAIL.match(email):
                raise ValueError(f"not a usable email address: {email!r}")
        if self.status not in ("CONFIRMED", "TENTATIVE", "CANCELLED"):
            raise ValueError(f"unknown status {self.status!r}")


def new_uid(host: str) -> str:
    """A UID for a new conference or webinar: ``<random uuid>@<host>``.

    Store it with the conference or webinar and reuse it for every update and cancellation; it
    carries nothing derived from URLs, titles or people. Raises ``ValueError`` for a bad host.
    """
    if not host or not _HOST.match(host):
        raise ValueError(f"not a host name: {host!r}")
    return f"{uuid.uuid4()}@{host.lower()}"


def build_invitation(event: CalendarEvent, method: str = "REQUEST") -> bytes:
    """The iTIP message sent to every participant: ``METHOD:REQUEST`` for an invitation or an
    update (same UID, higher SEQUENCE), ``METHOD:CANCEL`` for a cancellation.

    Raises ``ValueError`` for another method, or when there is no organiser or no attendee.
    """
    method = method.upper()
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, not {method!r}")
    if not event.organiser_email:
        raise ValueError("an invitation needs the organiser's (helpdesk) email address")
    if not event.attendees:
        raise ValueError("an invitation needs at least one attendee")

    calendar = _calendar(method, [event])
    vevent = _vevent(event, status="CANCELLED" if method == "CANCEL" else event.status)
    if event.join_url:
        vevent.add("LOCATION", event.join_url)
        vevent.add("URL", event.join_url)
    vevent.add("DESCRIPTION", invitation_description(event))
    vevent.add("CLASS", "PRIVATE")
    vevent.add("ORGANIZER", _address(event.organiser_name, event.organiser_email))
    for name, email in event.attendees:
        attendee = _address(name, email)
        attendee.params["CUTYPE"] = "INDIVIDUAL"
        attendee.params["ROLE"] = "REQ-PARTICIPANT"
        attendee.params["PARTSTAT"] = "NEEDS-ACTION"
        if method == "REQUEST":
            attendee.params["RSVP"] = "TRUE"
        vevent.add("ATTENDEE", attendee)
    if method == "REQUEST" and event.alarm_minutes:
        vevent.add_component(_alarm(event))
    calendar.add_component(vevent)
    return calendar.to_ical()


def build_feed(
    events: Iterable[CalendarEvent],
    name: str,
    description: str = "",
    *,
    organiser_email: str,
) -> bytes:
    """A public ``METHOD:PUBLISH`` feed (the webinar catalogue).

    It carries titles, times, the public page and the public description only: no attendees,
    join link, password or dial-in numbers, whatever the events hold, so that no personal data
    and nothing reserved for registrants reaches the public. Each event's ORGANIZER, which RFC
    5546 (3.2.1) requires in a PUBLISH, is ``organiser_email`` (the helpdesk mailbox: see
    :func:`helpdesk_mailbox`), never the person an event names.

    Raises ``ValueError`` when ``organiser_email`` is not an email address.
    """
    if not organiser_email or not _EMAIL.match(organiser_email):
        raise ValueError(f"the feed needs the helpdesk mailbox, not {organiser_email!r}")
    events = list(events)
    calendar = _calendar("PUBLISH", events)
    # icalendar writes a property it has no type for (NAME, X-WR-*) as given: as vText it is
    # escaped like any TEXT value (RFC 5545 3.3.11), so a line break or a comma stays text.
    calendar.add("NAME", _text(name))
    calendar.add("X-WR-CALNAME", _text(name))
    if description:
        calendar.add("DESCRIPTION", _text(description))
        calendar.add("X-WR-CALDESC", _text(description))
    calendar.add("REFRESH-INTERVAL", timedelta(hours=6), parameters={"VALUE": "DURATION"})
    calendar.add("X-PUBLISHED-TTL", "PT6H")
    for event in events:
        vevent = _vevent(event, status=event.status)
        vevent.add("CLASS", "PUBLIC")
        vevent.add("ORGANIZER", vCalAddress(f"mailto:{organiser_email}"))
        vevent.add("LOCATION", "Online")
        if event.public_url:
            vevent.add("URL", event.public_url)
        text = "\n\n".join(part for part in (event.description_extra, event.public_url) if part)
        if text:
            vevent.add("DESCRIPTION", text)
        calendar.add_component(vevent)
    return calendar.to_ical()


def helpdesk_mailbox() -> str:
    """The helpdesk's address, for the feed's ORGANIZER: the CMSS settings of the default site
    (*Settings → CMSS settings*), or the HELPDESK_EMAIL setting when there are none."""
    from django.conf import settings

    from home.models import SiteSettings

    stored = (
        SiteSettings.objects.filter(site__is_default_site=True)
        .values_list("helpdesk_email", flat=True)
        .first()
    )
    return stored or settings.HELPDESK_EMAIL


def invitation_description(event: CalendarEvent) -> str:
    """The plain-text DESCRIPTION of an invitation: join details and the patient-data reminder."""
    parts = []
    if event.description_extra:
        parts.append(event.description_extra.strip())
    joining = []
    if event.join_url:
        joining.append(f"Join: {event.join_url}")
    if event.password:
        joining.append(f"Password: {event.password}")
    if event.sip_address:
        joining.append(f"Video system (SIP): {event.sip_address}")
    if joining:
        parts.append("\n".join(joining))
    if event.dial_in:
        parts.append(
            "\n".join(
                ["Join by phone:", *(f"{label}: {number}" for label, number in event.dial_in)]
            )
        )
    parts.append(PATIENT_DATA_REMINDER)
    return "\n\n".join(parts)


def invitation_alternative(event: CalendarEvent, method: str = "REQUEST") -> tuple[str, str]:
    """``(content, mimetype)`` for ``EmailMultiAlternatives.attach_alternative``.

    This is the part that makes Outlook, Gmail and Apple Mail offer Accept/Decline: a
    ``text/calendar`` alternative of the text and HTML bodies, with no Content-Disposition, whose
    ``method`` parameter matches the calendar's METHOD (RFC 6047 2.4; Microsoft's [MS-OXCMAIL]
    writes meeting requests as multipart/alternative of text/plain, text/html, text/calendar).
    Django adds ``charset="utf-8"`` itself; naming a charset here would give the part two.
    """
    return build_invitation(event, method).decode("utf-8"), calendar_mimetype(method)


def invitation_attachment(
    event: CalendarEvent, method: str = "REQUEST", *, beside_alternative: bool = False
) -> tuple[str, bytes, str]:
    """``(filename, content, mimetype)`` for ``EmailMessage.attach``: the calendar as a file.

    On its own it is ``text/calendar; method=...``, so that a client which finds no
    alternative still sees an iTIP message. ``beside_alternative=True`` is for a message that
    also carries :func:`invitation_alternative`: the copy is then ``application/ics`` (as Google
    Calendar sends it), so that no client acts on the invitation twice.
    """
    mimetype = "application/ics" if beside_alternative else calendar_mimetype(method)
    return INVITATION_FILENAME, build_invitation(event, method), mimetype


def calendar_mimetype(method: str) -> str:
    """``text/calendar; method=REQUEST`` (or CANCEL), without a charset: the mail layer adds it."""
    method = method.upper()
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, not {method!r}")
    return f"text/calendar; method={method}"


def _calendar(method: str, events: Sequence[CalendarEvent]) -> Calendar:
    calendar = Calendar()
    calendar.add("PRODID", PRODID)
    calendar.add("VERSION", "2.0")
    calendar.add("CALSCALE", "GREGORIAN")
    calendar.add("METHOD", method)
    for timezone in _timezones(events):
        calendar.add_component(timezone)
    return calendar


def _timezones(events: Sequence[CalendarEvent]) -> list[Timezone]:
    """One VTIMEZONE per zone used, covering only the days of the events that use it."""
    spans: dict[str, tuple[date, date]] = {}
    for event in events:
        if _is_utc(event.time_zone):
            continue
        zone = ZoneInfo(event.time_zone)
        first = event.start.astimezone(zone).date()
        last = event.end.astimezone(zone).date() + timedelta(days=1)
        if event.time_zone in spans:
            known_first, known_last = spans[event.time_zone]
            first, last = min(first, known_first), max(last, known_last)
        spans[event.time_zone] = (first, last)
    return [vtimezone(name, first, last) for name, (first, last) in sorted(spans.items())]


def vtimezone(name: str, first: date, last: date) -> Timezone:
    """A VTIMEZONE for the IANA zone ``name`` from midnight on ``first`` to midnight on ``last``.

    A full definition (icalendar's default spans 1970-2038) is well over a hundred observances
    per zone; clients need only the offset in force when the span begins and each transition
    inside it. We compute them from zoneinfo rather than use ``Timezone.from_tzinfo``, which
    dates a transition in the new local time; RFC 5545 (3.6.5) dates it in the local time in
    force before it (the daylight-saving change in Athens is at 03:00, not 04:00).
    """
    zone = ZoneInfo(name)
    begin = datetime.combine(first, time(), zone).astimezone(UTC)
    end = datetime.combine(last, time(), zone).astimezone(UTC)
    timezone = Timezone()
    timezone.add("TZID", name)
    state = _zone_state(zone, begin)
    timezone.add_component(_observance(state, state[0], datetime.combine(first, time())))
    instant = begin
    while instant < end:
        following = min(instant + timedelta(hours=1), end)
        if _zone_state(zone, following) != state:
            # The change lies in (instant, following]: narrow it down to the second.
            low, high = instant, following
            while high - low > timedelta(seconds=1):
                middle = low + (high - low) / 2
                if _zone_state(zone, middle) == state:
                    low = middle
                else:
                    high = middle
            new_state = _zone_state(zone, high)
            onset = (high + state[0]).replace(tzinfo=None)
            timezone.add_component(_observance(new_state, state[0], onset))
            state = new_state
        instant = following
    return timezone


def _zone_state(zone: ZoneInfo, instant: datetime) -> tuple[timedelta, timedelta, str]:
    local = instant.astimezone(zone)
    return local.utcoffset(), local.dst(), local.tzname()


def _observance(
    state: tuple[timedelta, timedelta, str], offset_from: timedelta, onset: datetime
) -> TimezoneStandard | TimezoneDaylight:
    offset_to, dst, name = state
    observance = TimezoneDaylight() if dst else TimezoneStandard()
    observance.add("DTSTART", onset)
    observance.add("TZOFFSETFROM", offset_from)
    observance.add("TZOFFSETTO", offset_to)
    observance.add("TZNAME", name)
    return observance


def _is_utc(name: str) -> bool:
    return name.upper() in ("UTC", "ETC/UTC", "Z")


def _vevent(event: CalendarEvent, status: str) -> Event:
    zone = UTC if _is_utc(event.time_zone) else ZoneInfo(event.time_zone)
    vevent = Event()
    vevent.add("UID", event.uid)
    vevent.add("SEQUENCE", event.sequence)
    vevent.add("DTSTAMP", (event.stamp or datetime.now(UTC)).astimezone(UTC))
    vevent.add("DTSTART", event.start.astimezone(zone))
    vevent.add("DTEND", event.end.astimezone(zone))
    vevent.add("SUMMARY", event.title)
    vevent.add("STATUS", status)
    vevent.add("TRANSP", "OPAQUE")
    return vevent


def _text(value: str) -> vText:
    """A TEXT value, its line breaks (CRLF, CR or LF) written as the escaped newline."""
    return vText(value.replace("\r\n", "\n").replace("\r", "\n"))


def _alarm(event: CalendarEvent) -> Alarm:
    alarm = Alarm()
    alarm.add("ACTION", "DISPLAY")
    alarm.add("DESCRIPTION", event.title)
    alarm.add("TRIGGER", timedelta(minutes=-event.alarm_minutes))
    return alarm


def _address(name: str, email: str) -> vCalAddress:
    address = vCalAddress(f"mailto:{email}")
    display = display_name(name)
    if display:
        address.params["CN"] = display
    return address


def display_name(name: str) -> str:
    """A name made safe for a CN parameter.

    Line breaks and other control characters become single spaces and double quotes become
    single ones: icalendar would escape them (RFC 6868), but Outlook and vobject do not decode
    that escape, and a parameter value can hold neither.
    """
    return _NAME_WHITESPACE.sub(" ", name or "").replace('"', "'").strip()
