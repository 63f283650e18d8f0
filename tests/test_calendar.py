"""The calendar builder: invitations, updates, cancellations and the public feed, read back with
icalendar and, independently, with vobject; and the MIME shape of an invitation as Django sends it."""

import dataclasses
import email
import re
import uuid
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import vobject
from django.core.mail import EmailMultiAlternatives
from icalendar import Calendar, Event, Timezone, vCalAddress

from events.calendar import (
    PATIENT_DATA_REMINDER,
    CalendarEvent,
    build_feed,
    build_invitation,
    calendar_mimetype,
    invitation_alternative,
    invitation_attachment,
    new_uid,
    vtimezone,
)

ATHENS = ZoneInfo("Europe/Athens")
HOST = "cmss.example.eu"
HELPDESK = "helpdesk@cmss.example.eu"
STAMP = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
RECIPIENTS = [
    ("Maria Papadopoulou", "maria@hospital-athens.example"),
    ("Иван Петров", "ivan@hospital-sofia.example"),
    ("王伟", "wang.wei@hospital.example"),
]


def conference(**changes):
    """A case conference on the day Athens moves to summer time (03:00 EET -> 04:00 EEST).

    It starts at 02:30 EET (00:30Z) and ends at 05:00 EEST (02:00Z): an offset applied to both
    ends, or a transition dated an hour off, gives a wrong instant.
    """
    values = {
        "uid": "3f2b8c1e-5d4a-4b7e-9c1f-0a2b3c4d5e6f@" + HOST,
        "sequence": 0,
        "title": "Case conference: long COVID, myocarditis",
        "start": datetime(2026, 3, 29, 2, 30, tzinfo=ATHENS),
        "end": datetime(2026, 3, 29, 5, 0, tzinfo=ATHENS),
        "time_zone": "Europe/Athens",
        "join_url": "https://cmss.webex.example/meet/j.php?MTID=m1a2b3c&x=1,2;3",
        "password": "Kx7;p,Q2",
        "dial_in": [("Greece toll", "+30 21 1198 1234"), ("Belgium toll", "+32 2 894 1234")],
        "sip_address": "2741234567@cmss.webex.example",
        "description_extra": "Clinical question: therapy options.",
        "organiser_name": "Dr Eleni Georgiou (via CMSS Helpdesk)",
        "organiser_email": HELPDESK,
        "attendees": RECIPIENTS,
        "stamp": STAMP,
    }
    values.update(changes)
    return CalendarEvent(**values)


def parse_both(ics: bytes):
    """The calendar as icalendar reads it and as vobject reads it: both must accept it."""
    assert ics.endswith(b"\r\n")
    assert all(len(line) <= 75 for line in ics.split(b"\r\n")), "lines must be folded"
    parsed = Calendar.from_ical(ics)
    other = vobject.readOne(ics.decode("utf-8"))
    return parsed, other


def only_event(calendar: Calendar) -> Event:
    (event,) = calendar.walk("VEVENT")
    return event


def utc_by_vtimezone(timezone: Timezone, local: datetime) -> datetime:
    """Convert a naive local time to UTC by the observances of ``timezone`` alone (RFC 5545
    3.6.5: the observance in force is the one with the latest onset not after the time)."""
    observances = sorted(
        (observance["DTSTART"].dt, observance["TZOFFSETTO"].td)
        for observance in timezone.walk()
        if observance.name in ("STANDARD", "DAYLIGHT")
    )
    offsets = [offset for onset, offset in observances if onset <= local]
    assert offsets, f"the VTIMEZONE does not cover {local}"
    return (local - offsets[-1]).replace(tzinfo=UTC)


def assert_trimmed(timezone: Timezone, first: date, last: date):
    """Every observance begins within a day of the span it is for, and none repeats."""
    observances = [obs for obs in timezone.walk() if obs.name in ("STANDARD", "DAYLIGHT")]
    assert 1 <= len(observances) <= 4, f"{len(observances)} observances"
    for observance in observances:
        assert "RRULE" not in observance
        onsets = [observance["DTSTART"].dt]
        rdates = observance.get("RDATE", [])
        for rdate in rdates if isinstance(rdates, list) else [rdates]:
            onsets.extend(period.dt for period in rdate.dts)
        for onset in onsets:
            assert first - timedelta(days=1) <= onset.date() <= last + timedelta(days=1), onset


# Invitations


def test_invitation_is_a_request_both_parsers_read():
    event = conference()
    parsed, other = parse_both(build_invitation(event))

    assert parsed["METHOD"] == "REQUEST" and other.method.value == "REQUEST"
    vevent = only_event(parsed)
    assert vevent["UID"] == event.uid == other.vevent.uid.value
    assert vevent["SEQUENCE"] == 0 and int(other.vevent.sequence.value) == 0
    assert vevent["STATUS"] == "CONFIRMED"
    assert vevent["SUMMARY"] == event.title == other.vevent.summary.value
    # DTSTAMP is a UTC date-time.
    assert vevent["DTSTAMP"].dt == STAMP and vevent["DTSTAMP"].dt.utcoffset() == timedelta(0)
    assert other.vevent.dtstamp.value == STAMP


def test_new_uid_is_a_random_uuid_at_the_host():
    first, second = new_uid(HOST), new_uid(HOST)
    assert first != second
    local, host = first.split("@")
    assert host == HOST
    assert str(uuid.UUID(local)) == local
    for bad in ("", "cmss.example.eu/webinars/", "a b", "x@y"):
        with pytest.raises(ValueError):
            new_uid(bad)


def test_update_keeps_the_uid_and_raises_the_sequence():
    event = conference()
    moved = dataclasses.replace(
        event,
        sequence=event.sequence + 1,
        start=datetime(2026, 3, 30, 10, 0, tzinfo=ATHENS),
        end=datetime(2026, 3, 30, 11, 0, tzinfo=ATHENS),
    )
    before, _ = parse_both(build_invitation(event))
    after, other = parse_both(build_invitation(moved))

    assert after["METHOD"] == "REQUEST"
    assert only_event(after)["UID"] == only_event(before)["UID"] == other.vevent.uid.value
    assert only_event(after)["SEQUENCE"] > only_event(before)["SEQUENCE"]
    assert int(other.vevent.sequence.value) == 1
    assert only_event(after)["DTSTART"].dt.astimezone(UTC) == datetime(2026, 3, 30, 7, tzinfo=UTC)


def test_cancellation_has_the_same_uid_a_higher_sequence_and_status_cancelled():
    event = conference(sequence=1)
    cancelled = dataclasses.replace(event, sequence=2)
    invitation, _ = parse_both(build_invitation(event))
    parsed, other = parse_both(build_invitation(cancelled, "CANCEL"))

    assert parsed["METHOD"] == "CANCEL" and other.method.value == "CANCEL"
    vevent = only_event(parsed)
    assert vevent["UID"] == only_event(invitation)["UID"]
    assert vevent["SEQUENCE"] > only_event(invitation)["SEQUENCE"]
    assert vevent["STATUS"] == "CANCELLED" and other.vevent.status.value == "CANCELLED"
    # Every recipient is told; nobody is asked to reply, and no reminder is set.
    assert len(vevent["ATTENDEE"]) == len(RECIPIENTS)
    assert all("RSVP" not in attendee.params for attendee in vevent["ATTENDEE"])
    assert not vevent.walk("VALARM")


def test_organiser_is_the_helpdesk_mailbox_with_the_organisers_name():
    parsed, other = parse_both(build_invitation(conference()))
    organizer = only_event(parsed)["ORGANIZER"]
    assert organizer == f"mailto:{HELPDESK}"
    assert organizer.params["CN"] == "Dr Eleni Georgiou (via CMSS Helpdesk)"
    assert other.vevent.organizer.value == f"mailto:{HELPDESK}"
    assert other.vevent.organizer.params["CN"] == ["Dr Eleni Georgiou (via CMSS Helpdesk)"]


def test_one_attendee_per_recipient_asked_to_reply():
    parsed, other = parse_both(build_invitation(conference()))
    attendees = only_event(parsed)["ATTENDEE"]

    assert [str(attendee) for attendee in attendees] == [f"mailto:{e}" for _, e in RECIPIENTS]
    for attendee, (name, _email) in zip(attendees, RECIPIENTS, strict=True):
        assert attendee.params["CN"] == name
        assert attendee.params["RSVP"] == "TRUE"
        assert attendee.params["PARTSTAT"] == "NEEDS-ACTION"
        assert attendee.params["ROLE"] == "REQ-PARTICIPANT"
    others = other.vevent.attendee_list
    assert [a.value for a in others] == [f"mailto:{e}" for _, e in RECIPIENTS]
    assert [a.params["CN"][0] for a in others] == [name for name, _ in RECIPIENTS]
    assert all(a.params["RSVP"] == ["TRUE"] for a in others)


def test_join_details_location_url_and_patient_data_reminder():
    event = conference()
    parsed, other = parse_both(build_invitation(event))
    vevent = only_event(parsed)

    assert vevent["LOCATION"] == event.join_url == other.vevent.location.value
    assert vevent["URL"] == event.join_url == other.vevent.url.value
    for description in (str(vevent["DESCRIPTION"]), other.vevent.description.value):
        assert event.join_url in description
        assert event.password in description
        assert event.sip_address in description
        assert event.description_extra in description
        for label, number in event.dial_in:
            assert f"{label}: {number}" in description
        assert PATIENT_DATA_REMINDER in description


def test_fifteen_minute_display_alarm():
    parsed, other = parse_both(build_invitation(conference()))
    (alarm,) = only_event(parsed).walk("VALARM")
    assert alarm["ACTION"] == "DISPLAY"
    assert alarm["TRIGGER"].dt == timedelta(minutes=-15)
    assert other.vevent.valarm.trigger.value == timedelta(minutes=-15)


# Time zones


def test_times_are_in_the_event_zone_and_right_across_the_change_to_summer_time():
    parsed, other = parse_both(build_invitation(conference()))
    vevent = only_event(parsed)
    (timezone,) = parsed.walk("VTIMEZONE")

    assert timezone["TZID"] == "Europe/Athens"
    assert vevent["DTSTART"].params["TZID"] == vevent["DTEND"].params["TZID"] == "Europe/Athens"
    start_utc = datetime(2026, 3, 29, 0, 30, tzinfo=UTC)
    end_utc = datetime(2026, 3, 29, 2, 0, tzinfo=UTC)
    # icalendar resolves the TZID by name; vobject uses the VTIMEZONE in the file; and the
    # VTIMEZONE's own observances must give the same instants.
    assert vevent["DTSTART"].dt.astimezone(UTC) == start_utc
    assert vevent["DTEND"].dt.astimezone(UTC) == end_utc
    assert other.vevent.dtstart.value.astimezone(UTC) == start_utc
    assert other.vevent.dtend.value.astimezone(UTC) == end_utc
    local_start = vevent["DTSTART"].dt.replace(tzinfo=None)
    local_end = vevent["DTEND"].dt.replace(tzinfo=None)
    assert (local_start, local_end) == (datetime(2026, 3, 29, 2, 30), datetime(2026, 3, 29, 5))
    assert utc_by_vtimezone(timezone, local_start) == start_utc
    assert utc_by_vtimezone(timezone, local_end) == end_utc
    # RFC 5545 dates the change in the time in force before it: 03:00 EET.
    (daylight,) = timezone.walk("DAYLIGHT")
    assert daylight["DTSTART"].dt == datetime(2026, 3, 29, 3, 0)
    assert (daylight["TZOFFSETFROM"].td, daylight["TZOFFSETTO"].td) == (
        timedelta(hours=2),
        timedelta(hours=3),
    )


def test_change_back_to_winter_time_is_dated_in_summer_time():
    timezone = vtimezone("Europe/Athens", date(2026, 10, 24), date(2026, 10, 26))
    (standard,) = timezone.walk("STANDARD")
    assert standard["DTSTART"].dt == datetime(2026, 10, 25, 4, 0)
    assert utc_by_vtimezone(timezone, datetime(2026, 10, 25, 10)) == datetime(
        2026, 10, 25, 8, tzinfo=UTC
    )
    assert utc_by_vtimezone(timezone, datetime(2026, 10, 24, 10)) == datetime(
        2026, 10, 24, 7, tzinfo=UTC
    )


def test_vtimezone_is_trimmed_to_the_event_dates():
    parsed, other = parse_both(build_invitation(conference()))
    (timezone,) = parsed.walk("VTIMEZONE")
    assert_trimmed(timezone, date(2026, 3, 29), date(2026, 3, 29))
    assert len(other.vtimezone.contents.get("standard", [])) == 1


def test_the_trimming_check_catches_a_full_timezone():
    untrimmed = Timezone.from_tzid("Europe/Athens")  # icalendar's default: 1970 to 2038
    with pytest.raises(AssertionError):
        assert_trimmed(untrimmed, date(2026, 3, 29), date(2026, 3, 29))


def test_an_event_in_utc_needs_no_vtimezone():
    event = conference(
        time_zone="UTC",
        start=datetime(2026, 5, 4, 9, tzinfo=UTC),
        end=datetime(2026, 5, 4, 10, tzinfo=UTC),
    )
    parsed, other = parse_both(build_invitation(event))
    assert not parsed.walk("VTIMEZONE")
    assert only_event(parsed)["DTSTART"].dt == datetime(2026, 5, 4, 9, tzinfo=UTC)
    assert other.vevent.dtstart.value == datetime(2026, 5, 4, 9, tzinfo=UTC)


# Text that must survive


@pytest.mark.parametrize(
    "title",
    [
        'Webinar: "ARDS", ventilation; prone position',
        "Line one\nLine two\n\nafter a blank line",
        "Λοίμωξη COVID-19 στη ΜΕΘ",
        "Синдром после COVID-19; опыт",
        "新冠肺炎后遗症: 病例讨论",
        "Back\\slash, caret ^ and colon: done",
        "A long title that must be folded across lines: Μακρύς τίτλος με ελληνικά γράμματα "
        "και 中文字符 που πρέπει να διπλωθεί σωστά",
    ],
)
def test_titles_survive_intact_in_both_parsers(title):
    event = conference(title=title, description_extra=title)
    parsed, other = parse_both(build_invitation(event))
    vevent = only_event(parsed)
    assert vevent["SUMMARY"] == title
    assert other.vevent.summary.value == title
    assert str(vevent["DESCRIPTION"]).startswith(title)
    assert other.vevent.description.value.startswith(title)
    assert only_event(parsed).walk("VALARM")[0]["DESCRIPTION"] == title


def test_line_breaks_and_quotes_in_names_cannot_break_out_of_the_cn_parameter():
    hostile = 'Eve "the admin"\r\nATTENDEE;RSVP=TRUE:mailto:intruder@attacker.example\r\n'
    event = conference(
        organiser_name="Helpdesk\r\nORGANIZER:mailto:intruder@attacker.example",
        attendees=[(hostile, "eve@hospital.example"), ("Δρ. Ζωή, Παπά; MD", "zoe@h.example")],
    )
    ics = build_invitation(event)
    parsed, other = parse_both(ics)
    vevent = only_event(parsed)

    lines = ics.replace(b"\r\n ", b"").split(b"\r\n")
    assert sum(line.startswith(b"ATTENDEE") for line in lines) == 2
    assert sum(line.startswith(b"ORGANIZER") for line in lines) == 1
    assert [str(a) for a in vevent["ATTENDEE"]] == [
        "mailto:eve@hospital.example",
        "mailto:zoe@h.example",
    ]
    assert [a.value for a in other.vevent.attendee_list] == [
        "mailto:eve@hospital.example",
        "mailto:zoe@h.example",
    ]
    expected = "Eve 'the admin' ATTENDEE;RSVP=TRUE:mailto:intruder@attacker.example"
    assert vevent["ATTENDEE"][0].params["CN"] == expected
    assert other.vevent.attendee_list[0].params["CN"] == [expected]
    assert other.vevent.attendee_list[1].params["CN"] == ["Δρ. Ζωή, Παπά; MD"]
    assert vevent["ORGANIZER"] == f"mailto:{HELPDESK}"
    assert other.vevent.organizer.value == f"mailto:{HELPDESK}"


def test_without_cleaning_a_quoted_name_reads_differently_in_vobject():
    """Why names are cleaned: icalendar escapes quotes and line breaks in parameters (RFC
    6868), which vobject, like Outlook, does not undo."""
    raw = Event()
    attendee = vCalAddress("mailto:eve@hospital.example")
    attendee.params["CN"] = 'Eve "the admin"\nX'
    raw.add("ATTENDEE", attendee)
    raw.add("UID", "x@" + HOST)
    wrapped = b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\n" + raw.to_ical() + b"END:VCALENDAR\r\n"
    read = vobject.readOne(wrapped.decode()).vevent.attendee.params["CN"][0]
    assert read != 'Eve "the admin"\nX'


@pytest.mark.parametrize(
    "bad_address",
    ["eve@hospital.example\r\nBcc: all@example.org", "eve hospital.example", "<eve@h.example>"],
)
def test_malformed_addresses_are_refused(bad_address):
    with pytest.raises(ValueError, match="email address"):
        conference(attendees=[("Eve", bad_address)])


def test_events_that_cannot_be_written_are_refused():
    with pytest.raises(ValueError, match="aware"):
        conference(start=datetime(2026, 3, 29, 10))
    with pytest.raises(ValueError, match="after start"):
        conference(end=datetime(2026, 3, 29, 2, 0, tzinfo=ATHENS))
    with pytest.raises(ValueError, match="time zone"):
        conference(time_zone="Europe/Atlantis")
    with pytest.raises(ValueError, match="method"):
        build_invitation(conference(), "PUBLISH")
    with pytest.raises(ValueError, match="attendee"):
        build_invitation(conference(attendees=[]))


# The public feed

EMAIL_ADDRESS = re.compile(rb"[\w.+-]+@[\w-]+\.[\w.-]+")


def webinar(**changes):
    values = {
        "uid": new_uid(HOST),
        "title": "Webinar: imaging in post-COVID lung disease",
        "description_extra": "Abstract: what CT shows a year on.",
        "public_url": "https://cmss.example.eu/webinars/imaging-post-covid/",
    }
    values.update(changes)
    return conference(**values)


def test_feed_is_published_without_personal_data_or_join_details():
    winter = webinar()
    summer = webinar(
        start=datetime(2026, 7, 2, 16, tzinfo=ATHENS),
        end=datetime(2026, 7, 2, 17, 30, tzinfo=ATHENS),
        public_url="https://cmss.example.eu/webinars/summer/",
    )
    ics = build_feed([winter, summer], "CMSS webinars", organiser_email=HELPDESK)
    parsed, other = parse_both(ics)

    assert parsed["METHOD"] == "PUBLISH" and other.method.value == "PUBLISH"
    assert parsed["X-WR-CALNAME"] == "CMSS webinars"
    vevents = parsed.walk("VEVENT")
    assert [v["UID"] for v in vevents] == [winter.uid, summer.uid]
    assert [v["URL"] for v in vevents] == [winter.public_url, summer.public_url]
    for forbidden in ("ATTENDEE", "VALARM"):
        assert forbidden.encode() not in ics
    unfolded = ics.replace(b"\r\n ", b"")
    # The one address in the feed is the helpdesk mailbox, as each event's ORGANIZER.
    helpdesk_line = f"ORGANIZER:mailto:{HELPDESK}".encode()
    for line in unfolded.split(b"\r\n"):
        if not line.startswith(b"UID:") and line != helpdesk_line:
            assert not EMAIL_ADDRESS.search(line), line
    for secret in (winter.join_url, winter.password, winter.sip_address, *dict(winter.dial_in)):
        assert secret.encode() not in unfolded
    for _name, address in RECIPIENTS:
        assert address.encode() not in unfolded
    assert b"Eleni" not in unfolded


def test_every_published_event_has_the_helpdesk_as_organiser():
    """RFC 5546 (3.2.1): a PUBLISH VEVENT carries an ORGANIZER; the feed's is the helpdesk
    mailbox, never the organiser an event names (a person)."""
    events = [webinar(), webinar(uid=new_uid(HOST))]
    parsed, other = parse_both(build_feed(events, "CMSS webinars", organiser_email=HELPDESK))
    assert [str(v["ORGANIZER"]) for v in parsed.walk("VEVENT")] == [f"mailto:{HELPDESK}"] * 2
    assert [v.organizer.value for v in other.vevent_list] == [f"mailto:{HELPDESK}"] * 2
    with pytest.raises(ValueError):
        build_feed(events, "CMSS webinars", organiser_email="not an address")


@pytest.mark.django_db
def test_the_feed_organiser_is_the_helpdesk_mailbox_of_the_site_settings(home_page):
    from django.test import override_settings

    from events.calendar import helpdesk_mailbox
    from home.models import SiteSettings

    site_settings = SiteSettings.for_site(home_page.get_site())
    site_settings.helpdesk_email = "desk@network.example.eu"
    site_settings.save()
    assert helpdesk_mailbox() == "desk@network.example.eu"
    SiteSettings.objects.all().delete()
    with override_settings(HELPDESK_EMAIL="fallback@network.example.eu"):
        assert helpdesk_mailbox() == "fallback@network.example.eu"


@pytest.mark.parametrize(
    "name, description",
    [
        ("CMSS webinars\nspring 2026", "Line one\nLine two; with, punctuation\\ and a backslash"),
        ("Webinars; COVID, lung", "Multi\r\nline\rdescription"),
    ],
)
def test_the_feed_name_and_description_are_escaped(name, description):
    ics = build_feed([webinar()], name, description, organiser_email=HELPDESK)
    parsed, other = parse_both(ics)
    for line in ics.split(b"\r\n"):
        assert b"\r" not in line and b"\n" not in line
    expected_description = description.replace("\r\n", "\n").replace("\r", "\n")
    assert other.contents["name"][0].value == name
    assert other.x_wr_calname.value == name
    assert other.x_wr_caldesc.value == expected_description
    assert other.description.value == expected_description
    assert str(parsed["DESCRIPTION"]) == expected_description
    assert len(parsed.walk("VEVENT")) == 1


def test_the_feed_email_check_would_see_an_address():
    assert EMAIL_ADDRESS.search(b"DESCRIPTION:write to maria@hospital-athens.example")


def test_feed_times_and_timezone_cover_every_event_and_no_more():
    winter = webinar()
    summer = webinar(
        start=datetime(2026, 7, 2, 16, tzinfo=ATHENS),
        end=datetime(2026, 7, 2, 17, 30, tzinfo=ATHENS),
    )
    parsed, other = parse_both(
        build_feed([winter, summer], "CMSS webinars", organiser_email=HELPDESK)
    )
    (timezone,) = parsed.walk("VTIMEZONE")
    assert_trimmed(timezone, date(2026, 3, 29), date(2026, 7, 2))
    for vevent, source in zip(parsed.walk("VEVENT"), (winter, summer), strict=True):
        local = vevent["DTSTART"].dt.replace(tzinfo=None)
        assert utc_by_vtimezone(timezone, local) == source.start.astimezone(UTC)
    starts = sorted(v.dtstart.value.astimezone(UTC) for v in other.vevent_list)
    assert starts == [winter.start.astimezone(UTC), summer.start.astimezone(UTC)]


# The message as sent


def sent_message(mailoutbox, method):
    event = conference() if method == "REQUEST" else conference(sequence=1)
    message = EmailMultiAlternatives(
        subject="Case conference: invitation",
        body="You are invited. Join: " + event.join_url,
        from_email=HELPDESK,
        to=[address for _name, address in RECIPIENTS],
    )
    message.attach_alternative("<p>You are invited.</p>", "text/html")
    message.attach_alternative(*invitation_alternative(event, method))
    message.attach(*invitation_attachment(event, method, beside_alternative=True))
    message.send()
    (outgoing,) = mailoutbox
    # The bytes Django's SMTP backend puts on the wire; compat32 keeps repeated parameters.
    raw = outgoing.message().as_bytes(linesep="\r\n")
    return event, email.message_from_bytes(raw)


@pytest.mark.parametrize("method", ["REQUEST", "CANCEL"])
def test_invitation_mime_structure(mailoutbox, method):
    event, parsed = sent_message(mailoutbox, method)

    assert parsed.get_content_type() == "multipart/mixed"
    alternative, attachment = parsed.get_payload()
    assert alternative.get_content_type() == "multipart/alternative"
    assert [part.get_content_type() for part in alternative.get_payload()] == [
        "text/plain",
        "text/html",
        "text/calendar",
    ]
    calendar_part = alternative.get_payload()[2]
    # RFC 6047 2.4: the method parameter is there and matches the calendar's METHOD.
    assert calendar_part.get_param("method") == method
    assert [key for key, _ in calendar_part.get_params()].count("charset") == 1
    assert calendar_part.get_content_charset() == "utf-8"
    assert calendar_part.get_content_disposition() is None
    expected = build_invitation(event, method)
    assert calendar_part.get_payload(decode=True) == expected
    assert Calendar.from_ical(calendar_part.get_payload(decode=True))["METHOD"] == method

    assert attachment.get_content_type() == "application/ics"
    assert attachment.get_content_disposition() == "attachment"
    assert attachment.get_filename() == "invite.ics"
    assert attachment.get_payload(decode=True) == expected


def test_the_charset_check_catches_a_mimetype_that_names_its_own_charset():
    message = EmailMultiAlternatives("s", "body", HELPDESK, ["maria@hospital-athens.example"])
    ics = build_invitation(conference()).decode()
    message.attach_alternative(ics, "text/calendar; method=REQUEST; charset=UTF-8")
    parsed = email.message_from_bytes(message.message().as_bytes(linesep="\r\n"))
    calendar_part = parsed.get_payload()[1]
    assert [key for key, _ in calendar_part.get_params()].count("charset") == 2


@pytest.mark.parametrize("method", ["REQUEST", "CANCEL"])
def test_invitation_as_the_only_calendar_part_keeps_its_method(mailoutbox, method):
    event = conference()
    message = EmailMultiAlternatives("Invitation", "You are invited.", HELPDESK, [RECIPIENTS[0][1]])
    message.attach(*invitation_attachment(event, method))
    message.send()
    raw = mailoutbox[0].message().as_bytes(linesep="\r\n")
    _body, attachment = email.message_from_bytes(raw).get_payload()

    assert attachment.get_content_type() == "text/calendar"
    assert attachment.get_param("method") == method
    assert [key for key, _ in attachment.get_params()].count("charset") == 1
    assert attachment.get_filename() == "invite.ics"
    assert attachment.get_payload(decode=True) == build_invitation(event, method)


def test_calendar_mimetype_names_only_known_methods():
    assert calendar_mimetype("cancel") == "text/calendar; method=CANCEL"
    with pytest.raises(ValueError):
        calendar_mimetype("REQUEST; charset=UTF-8")
