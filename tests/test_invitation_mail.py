"""A real invitation through the one mail service, as it leaves for the SMTP server."""

import datetime
import email
import email.policy
from zoneinfo import ZoneInfo

import icalendar
import pytest
import vobject

from cms.mail import services
from cms.mail.models import OutgoingMessage
from events.calendar import CalendarEvent, build_invitation, invitation_attachment, new_uid

ATHENS = ZoneInfo("Europe/Athens")


def event(sequence=0, **changes):
    fields = {
        "uid": "7d3c1f0e-2b1c-4d8e-9a55-0c1b2d3e4f50@cmss.example.eu",
        "sequence": sequence,
        "title": "Case conference: ventilation, 'prone' position; second opinion",
        "start": datetime.datetime(2026, 12, 3, 15, 0, tzinfo=ATHENS),
        "end": datetime.datetime(2026, 12, 3, 16, 0, tzinfo=ATHENS),
        "time_zone": "Europe/Athens",
        "join_url": "https://example.webex.com/example/j.php?MTID=m0123456789abcdef",
        "password": "Xy7pQ2",
        "dial_in": [("Belgium", "+32 2 555 01 01")],
        "organiser_name": "CMSS helpdesk",
        "organiser_email": "helpdesk@cmss.example.eu",
        "attendees": [("Νίκος Παπαδόπουλος", "nikos@example.eu")],
    }
    fields.update(changes)
    return CalendarEvent(**fields)


def sent_message(smtp_server, method, sequence, django_capture_on_commit_callbacks):
    filename, content, mimetype = invitation_attachment(event(sequence), method)
    with django_capture_on_commit_callbacks(execute=True):
        services.send_mail(
            "directory/email/welcome",
            {"clinician": {"full_name": "Νίκος Παπαδόπουλος"}, "sign_in_url": "x", "links": []},
            "nikos@example.eu",
            to_name="Νίκος Παπαδόπουλος",
            kind="invitation",
            attachments=[(filename, content, mimetype)],
        )
    _, _, raw = smtp_server.received[-1]
    return email.message_from_bytes(raw, policy=email.policy.default), content


@pytest.mark.django_db
@pytest.mark.parametrize("method, sequence", [("REQUEST", 0), ("REQUEST", 1), ("CANCEL", 2)])
def test_invitation_mime_structure_as_sent(
    smtp_server, method, sequence, django_capture_on_commit_callbacks
):
    sent, content = sent_message(smtp_server, method, sequence, django_capture_on_commit_callbacks)
    assert sent.get_content_type() == "multipart/mixed"
    body, attachment = sent.get_payload()
    assert body.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in body.get_payload()] == [
        "text/plain",
        "text/html",
        "text/calendar",
    ]
    alternative = body.get_payload()[2]
    assert alternative.get_param("method") == method
    assert alternative.get_content_charset() == "utf-8"
    assert alternative.get_content_disposition() is None
    assert alternative.get_content().encode("utf-8").replace(b"\r\n", b"\n") == content.replace(
        b"\r\n", b"\n"
    )
    assert attachment.get_content_type() == "application/ics"
    assert attachment.get_filename() == "invite.ics"
    assert attachment.get_content() == content

    for ics in (alternative.get_content(), attachment.get_content().decode("utf-8")):
        parsed = icalendar.Calendar.from_ical(ics)
        assert str(parsed["METHOD"]) == method
        vevent = parsed.walk("VEVENT")[0]
        assert int(vevent["SEQUENCE"]) == sequence
        assert str(vevent["SUMMARY"]) == event().title
        second = vobject.readOne(ics)
        assert second.method.value == method
        assert second.vevent.summary.value == event().title
    assert OutgoingMessage.objects.get().status == "sent"


def test_uid_is_not_made_from_a_url():
    uid = new_uid("cmss.example.eu")
    assert uid.endswith("@cmss.example.eu") and "/" not in uid
    assert b"UID:" + uid.encode() in build_invitation(event(uid=uid))
