"""Attendance (issue 10, point 7): read from Webex's meeting participants once a webinar has ended
(the simulated Webex, and the API client against the fake server), matched by email whatever the
case, minutes summed over each person's intervals; certificates of attendance from /account/."""

import datetime
import json
import re
import zlib
import zoneinfo

import pytest
from django.core.management import call_command
from django.utils import timezone

from events import certificates
from events.models import Registration, WebexBooking, WebinarIndexPage, WebinarPage
from events.services import attendance
from events.webex import WEBINAR, MeetingSpec, get_backend
from events.webex.simulated import SimulatedWebex

from .conftest import publish
from .fake_webex import SpecCheck, api_backend_against_fake
from .test_directory_pages import make_clinician, make_hospital

Status = Registration.Status


@pytest.fixture
def catalogue(home_page):
    index = WebinarIndexPage(title="Webinars", slug="webinars")
    home_page.add_child(instance=index)
    return publish(index)


def ended_webinar(parent, *, series_id="series-1", ended_ago=datetime.timedelta(hours=2), **fields):
    end = timezone.now() - ended_ago
    webinar = WebinarPage(
        title=fields.pop("title", "Prone ventilation & ECMO"),
        slug=fields.pop("slug", "ventilation"),
        summary="When to turn, and when to cannulate.",
        start=end - datetime.timedelta(hours=1),
        end=end,
        time_zone="Europe/Athens",
        **fields,
    )
    parent.add_child(instance=webinar)
    publish(webinar)
    booking = WebexBooking.objects.create(
        kind=WebexBooking.Kind.WEBINAR,
        title=webinar.title,
        start=webinar.start,
        end=webinar.end,
        status=WebexBooking.Status.BOOKED,
        webex_meeting_id=series_id,
    )
    WebinarPage.objects.filter(pk=webinar.pk).update(booking=booking)
    webinar.refresh_from_db()
    return webinar


def registrant(webinar, email, status=Status.CONFIRMED, **fields):
    return Registration.objects.create(
        webinar=webinar,
        first_name=fields.pop("first_name", email.partition("@")[0].title()),
        last_name=fields.pop("last_name", "Silva"),
        email=email,
        status=status,
        **fields,
    )


# -- the service, with the simulated Webex ------------------------------------------------------


def test_the_simulated_webex_gives_plausible_attendance_the_same_each_time(catalogue):
    webinar = ended_webinar(catalogue)
    people = [registrant(webinar, f"person{n}@example.eu") for n in range(40)]
    waiting = registrant(webinar, "waiting@example.eu", status=Status.WAITING)

    assert attendance.read_attendance() == {"read": 1, "failed": 0}

    stored = {r.email: r for r in Registration.objects.filter(pk__in=[p.pk for p in people])}
    joined = [r for r in stored.values() if r.attended]
    absent = [r for r in stored.values() if r.attended is False]
    assert len(joined) + len(absent) == 40
    assert 24 <= len(joined) <= 38, "most join, some do not"
    assert {r.minutes_attended for r in absent} == {0}
    minutes = {r.minutes_attended for r in joined}
    assert len(minutes) > 5, "varied minutes"
    assert all(15 <= m <= 60 for m in minutes), minutes
    assert Registration.objects.get(pk=waiting.pk).attended is None
    webinar.refresh_from_db()
    assert webinar.attendance_read_at is not None

    # The same people, the same minutes, another time (the demo is stable).
    again = SimulatedWebex().list_participants(f"series-1_I_{int(webinar.start.timestamp())}")
    again_by_email = {p.email.lower() for p in again if not p.host}
    assert again_by_email == {r.email for r in joined}


def test_attendance_is_read_once(catalogue):
    webinar = ended_webinar(catalogue)
    registrant(webinar, "ana@example.eu")
    assert attendance.read_attendance()["read"] == 1
    assert attendance.read_attendance()["read"] == 0
    assert attendance.read_webinar(webinar) is None  # a second run that got in finds it read


def test_webinars_not_ended_long_enough_cancelled_or_unbooked_are_not_read(catalogue):
    recent = ended_webinar(catalogue, slug="recent", ended_ago=datetime.timedelta(minutes=5))
    cancelled = ended_webinar(
        catalogue, slug="cancelled", series_id="series-2", state=WebinarPage.State.CANCELLED
    )
    unbooked = ended_webinar(catalogue, slug="unbooked", series_id="series-3")
    WebexBooking.objects.filter(pk=unbooked.booking_id).update(status=WebexBooking.Status.PENDING)
    for webinar in (recent, cancelled, unbooked):
        registrant(webinar, f"{webinar.slug}@example.eu")
    assert list(attendance.webinars_to_read()) == []
    assert attendance.read_attendance() == {"read": 0, "failed": 0}


def test_minutes_count_overlapping_and_repeated_joins_once():
    t = datetime.datetime(2026, 3, 1, 9, 0, tzinfo=datetime.UTC)
    m = datetime.timedelta(minutes=1)
    assert attendance.minutes_in([(t, t + 30 * m)]) == 30
    # Two devices at once, then a rejoin after a gap.
    assert (
        attendance.minutes_in([(t, t + 30 * m), (t + 10 * m, t + 40 * m), (t + 50 * m, t + 55 * m)])
        == 45
    )
    assert attendance.minutes_in([]) == 0


def test_the_command_says_how_many_it_read(catalogue, capsys):
    webinar = ended_webinar(catalogue)
    registrant(webinar, "ana@example.eu")
    call_command("read_attendance")
    assert "Attendance read for 1 webinar(s)." in capsys.readouterr().out


# -- the API client against the fake Webex -------------------------------------------------------


def test_attendance_through_the_api_against_the_fake_webex(catalogue, monkeypatch):
    with api_backend_against_fake(monkeypatch) as server:
        start = timezone.now() - datetime.timedelta(hours=3)
        end = start + datetime.timedelta(hours=1)
        meeting = get_backend().create_meeting(
            MeetingSpec(
                title="Prone ventilation", start=start, end=end, timezone="UTC", kind=WEBINAR
            )
        )
        webinar = ended_webinar(catalogue, series_id=meeting.id)
        WebinarPage.objects.filter(pk=webinar.pk).update(start=start, end=end)
        webinar.refresh_from_db()
        ana = registrant(webinar, "ana@example.eu")
        ben = registrant(webinar, "ben@example.eu")
        cleo = registrant(webinar, "cleo@example.eu")
        m = datetime.timedelta(minutes=1)
        server.end_meeting(
            meeting.id,
            [
                ("host@cmss.example.eu", start - 10 * m, end),
                ("Ana@Example.EU", start, start + 30 * m),  # case as Webex gives it
                ("ana@example.eu", start + 20 * m, start + 50 * m),  # a second device
                ("ben@example.eu", start + 5 * m, start + 12 * m),
                ("stranger@example.org", start, end),
            ],
        )
        server.page_size = 2  # three pages of participants
        server.link_keeps_query = False

        assert attendance.read_attendance() == {"read": 1, "failed": 0}

        ana.refresh_from_db()
        ben.refresh_from_db()
        cleo.refresh_from_db()
        assert (ana.attended, ana.minutes_attended) == (True, 50)
        assert (ben.attended, ben.minutes_attended) == (True, 7)
        assert (cleo.attended, cleo.minutes_attended) == (False, 0)

        listed = server.calls("GET", "/meetings")
        assert any(
            "meetingSeriesId=" + meeting.id in e.url and "state=ended" in e.url for e in listed
        )
        pages = server.calls("GET", "/meetingParticipants")
        assert len(pages) == 3
        assert all("meetingId=" + meeting.id + "_I_" in e.url for e in pages)


def test_participant_exchanges_match_the_official_spec(catalogue, monkeypatch, tmp_path):
    """The participants endpoint is only in the full spec (not the subset): checked against it."""
    from tests import fake_webex

    full = fake_webex.SPEC_PATH.with_name("webex-meeting.json")
    reason = SpecCheck.skip_reason() or (None if full.exists() else f"no {full}")
    if reason:
        pytest.skip(reason)
    with api_backend_against_fake(monkeypatch) as server:
        start = timezone.now() - datetime.timedelta(hours=3)
        meeting = get_backend().create_meeting(
            MeetingSpec(
                title="Prone ventilation",
                start=start,
                end=start + datetime.timedelta(hours=1),
                timezone="UTC",
                kind=WEBINAR,
            )
        )
        instance = server.end_meeting(
            meeting.id, [("ana@example.eu", start, start + datetime.timedelta(minutes=30))]
        )
        backend = get_backend()
        assert backend.ended_instances(
            meeting.id, start=start, end=start + datetime.timedelta(hours=1)
        ) == [instance]
        (participant,) = backend.list_participants(instance)
        assert participant.email == "ana@example.eu"
        # The full spec names no server: the checker adds the fake's to Webex's own.
        spec = json.loads(full.read_text())
        spec.setdefault("servers", [{"url": "https://webexapis.com/v1"}])
        with_server = tmp_path / "webex-meeting.json"
        with_server.write_text(json.dumps(spec))
        monkeypatch.setattr(fake_webex, "SPEC_PATH", with_server)
        check = SpecCheck(server.url)
        exchanges = server.calls("GET", "/meetingParticipants") + [
            e for e in server.calls("GET", "/meetings") if "meetingSeriesId" in e.url
        ]
        assert exchanges
        assert check.problems(exchanges) == []


# -- the certificate -----------------------------------------------------------------------------


@pytest.fixture
def member(db, django_user_model):
    hospital = make_hospital("Rigshospitalet", "København", "DK")
    user = django_user_model.objects.create_user("mette", "mette.hansen@example.eu")
    return make_clinician(
        "Mette",
        "Hansen",
        hospital,
        email="mette.hansen@example.eu",
        user=user,
        privacy_version="1.0",
    )


def pdf_text(data):
    """The text drawn on the pages of an fpdf2 PDF set in a core font (literal strings)."""
    streams = re.findall(rb"stream\r?\n(.*?)\r?\nendstream", data, re.S)
    text = b""
    for stream in streams:
        try:
            text += zlib.decompress(stream)
        except zlib.error:
            text += stream
    return " ".join(s.decode("latin-1") for s in re.findall(rb"\((.*?)\) Tj", text))


def pdf_info(data, name):
    """A metadata entry (/Title, /Lang...) of the PDF, decoded."""
    match = re.search(rb"/" + name.encode() + rb" (<feff[0-9a-f]+>|\([^)]*\))", data)
    value = match.group(1)
    if value.startswith(b"<"):
        return bytes.fromhex(value[5:-1].decode()).decode("utf-16-be")
    return value[1:-1].decode("latin-1")


def test_the_certificate_names_the_attendee_the_webinar_its_date_and_minutes(catalogue, settings):
    settings.WEBINAR_CERTIFICATE_FONT = "/nonexistent.ttf"  # the core font: its text is readable
    webinar = ended_webinar(catalogue)
    registration = registrant(
        webinar,
        "mette.hansen@example.eu",
        first_name="Mette",
        last_name="Hansen",
        attended=True,
        minutes_attended=47,
    )
    data = certificates.certificate_pdf(registration)
    assert data.startswith(b"%PDF-")
    text = pdf_text(data)
    assert "Mette Hansen" in text
    assert "Prone ventilation & ECMO" in text
    start = timezone.localtime(webinar.start, zoneinfo.ZoneInfo("Europe/Athens"))
    assert f"{start:%d %B %Y}" in text
    assert "for 47 minutes." in text
    assert pdf_info(data, "Title") == "Certificate of attendance: Prone ventilation & ECMO"
    assert pdf_info(data, "Lang") == "en"


def test_the_certificate_sets_any_european_name_in_the_unicode_font(catalogue):
    webinar = ended_webinar(catalogue, title="Ώρα για ECMO")
    registration = registrant(
        webinar,
        "z@example.eu",
        first_name="Zoë",
        last_name="Wójcik-Παπαδοπούλου",
        attended=True,
        minutes_attended=1,
    )
    data = certificates.certificate_pdf(registration)
    assert pdf_info(data, "Title") == "Certificate of attendance: Ώρα για ECMO"
    assert "Zoë Wójcik-Παπαδοπούλου" in pdf_info(data, "Subject")


def test_no_certificate_without_recorded_attendance(catalogue):
    webinar = ended_webinar(catalogue)
    with pytest.raises(certificates.NotAttended):
        certificates.certificate_pdf(registrant(webinar, "a@example.eu", attended=False))


def test_an_attendee_downloads_their_own_certificate_and_nobody_elses(client, catalogue, member):
    webinar = ended_webinar(catalogue)
    own = registrant(webinar, "mette.hansen@example.eu", attended=True, minutes_attended=55)
    absent = ended_webinar(catalogue, slug="other", series_id="series-2")
    not_attended = registrant(absent, "mette.hansen@example.eu", attended=False, minutes_attended=0)
    someone_else = registrant(webinar, "lars@example.eu", attended=True, minutes_attended=60)
    url = "/account/webinars/{}/certificate/"

    assert client.get(url.format(own.pk))["Location"].startswith("/accounts/login/")

    client.force_login(member.user)
    response = client.get(url.format(own.pk))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert 'filename="certificate-ventilation.pdf"' in response["Content-Disposition"]
    assert "no-store" in response["Cache-Control"]
    assert b"".join(response).startswith(b"%PDF-")
    for other in (someone_else, not_attended):
        assert client.get(url.format(other.pk)).status_code == 404
    assert client.get(url.format(999999)).status_code == 404


def test_the_account_page_links_the_certificate_of_each_attended_registration(
    client, catalogue, member
):
    attended = registrant(
        ended_webinar(catalogue), "mette.hansen@example.eu", attended=True, minutes_attended=55
    )
    missed = registrant(
        ended_webinar(catalogue, slug="missed", series_id="series-2"),
        "mette.hansen@example.eu",
        attended=False,
        minutes_attended=0,
    )
    client.force_login(member.user)
    html = client.get("/account/").content.decode()
    assert f"/account/webinars/{attended.pk}/certificate/" in html
    assert f"/account/webinars/{missed.pk}/certificate/" not in html
