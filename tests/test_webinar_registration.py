"""Webinar registration (issue 10, point 4; point 8's erasure and /account/ listing): the form and
its emailed code, one click for a signed-in clinician, capacity and the waiting list, the emails
and their invitations, the cancel-my-place page, and erasure."""

import datetime
import re
from zoneinfo import ZoneInfo

import icalendar
import pytest
from bs4 import BeautifulSoup
from django.contrib.auth import get_user_model
from django.core import mail
from django.db import IntegrityError
from django.db.models import F
from django.utils import timezone

from cms.mail.models import OutgoingMessage
from directory.models import Clinician, Country
from directory.services import personal_data
from events import signals
from events.models import Registration, WebinarIndexPage, WebinarPage, WebinarSpeaker
from events.services import registrations

from .conftest import publish

Status = Registration.Status


@pytest.fixture(autouse=True)
def webex_fails_fast(settings):
    """The test webinars have no Webex booking: registering someone on Webex fails at once
    instead of waiting out the retry delays (events/tasks.py)."""
    settings.WEBEX_BOOKING_RETRY_DELAYS = []


def make_webinar(parent, slug="ventilation", capacity=100, **fields):
    start = fields.pop("start", timezone.now() + datetime.timedelta(days=7))
    webinar = WebinarPage(
        title=fields.pop("title", "Prone ventilation & ECMO"),
        slug=slug,
        summary="When to turn, and when to cannulate.",
        start=start,
        end=start + datetime.timedelta(hours=1),
        time_zone="Europe/Athens",
        capacity=capacity,
        **fields,
    )
    parent.add_child(instance=webinar)
    WebinarSpeaker.objects.create(page=webinar, name="Dr Eleni Georgiou")
    return publish(webinar)


@pytest.fixture
def catalogue(home_page):
    index = WebinarIndexPage(title="Webinars", slug="webinars")
    home_page.add_child(instance=index)
    return publish(index)


@pytest.fixture
def webinar(catalogue, privacy_page):
    return make_webinar(catalogue)


def person(number=1, **fields):
    return {
        "first_name": fields.pop("first_name", f"Ana{number}"),
        "last_name": fields.pop("last_name", "Silva"),
        "email": fields.pop("email", f"ana{number}@example.eu"),
        **fields,
    }


def one_click(webinar, number=1, **fields):
    registration, _created = registrations.register(
        webinar, **person(number, **fields), confirmed=True
    )
    return registration


def calendars(message):
    """The iCalendar attachments of a sent email, parsed."""
    found = []
    for attachment in message.attachments:
        filename, content, mimetype = attachment
        if filename.endswith(".ics"):
            found.append(icalendar.Calendar.from_ical(content))
    for content, mimetype in getattr(message, "alternatives", []):
        if mimetype.startswith("text/calendar"):
            found.append(icalendar.Calendar.from_ical(content))
    return found


def the_event(message):
    (calendar,) = calendars(message)[:1]
    return calendar, calendar.walk("VEVENT")[0]


def mails_to(address):
    return [m for m in mail.outbox if m.to == [address] or address in m.to[0]]


def code_in(message):
    return re.search(r"\b(\d{6})\b", message.body).group(1)


def form_data(**changes):
    data = {
        "first_name": "Ana",
        "last_name": "Silva",
        "email": "Ana.Silva@Example.eu",
        "profession": "Intensive care nurse",
        "country": "PT",
        "consent": "on",
    }
    data.update(changes)
    return data


@pytest.fixture
def member(db, django_user_model):
    user = django_user_model.objects.create_user("mette", "mette@example.eu")
    return Clinician.objects.create(
        first_name="Mette",
        last_name="Hansen",
        email="mette@example.eu",
        status=Clinician.Status.APPROVED,
        user=user,
        time_zone="Europe/Copenhagen",
    )


# -- the form and its code ----------------------------------------------------------------------


def test_the_form_registers_after_the_emailed_code(
    client, webinar, privacy_page, django_capture_on_commit_callbacks
):
    page = client.get(f"/webinars/{webinar.slug}/register/")
    assert page.status_code == 200
    assert "no-cache" in page["Cache-Control"] or "private" in page["Cache-Control"]
    names = {field["name"] for field in BeautifulSoup(page.content, "html.parser").select("[name]")}
    assert {"first_name", "last_name", "email", "profession", "country", "consent"} <= names

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/webinars/{webinar.slug}/register/", form_data())
    assert response.status_code == 302
    assert response["Location"] == f"/webinars/{webinar.slug}/register/code/"
    registration = Registration.objects.get()
    assert registration.status == Status.UNCONFIRMED
    assert registration.email == "ana.silva@example.eu"
    assert registration.country.code == "PT"
    assert registration.privacy_version == privacy_page.version
    assert registration.code_hash and len(registration.code_hash) == 64
    (code_mail,) = mail.outbox
    code = code_in(code_mail)
    assert code not in code_mail.subject
    assert code not in registration.code_hash
    stored = OutgoingMessage.objects.get(kind="webinar_registration_code")
    assert stored.carries_secret
    assert code not in stored.body_text  # blanked once sent

    confirmed = []
    signals.registration_confirmed.connect(
        lambda sender, registration, **kw: confirmed.append(registration.pk),
        weak=False,
        dispatch_uid="test-confirmed",
    )
    try:
        with django_capture_on_commit_callbacks(execute=True):
            done = client.post(response["Location"], {"code": code})
    finally:
        signals.registration_confirmed.disconnect(dispatch_uid="test-confirmed")
    assert done.status_code == 200
    assert b"You are registered" in done.content
    registration.refresh_from_db()
    assert registration.status == Status.CONFIRMED
    assert registration.code_hash == ""
    assert confirmed == [registration.pk]

    invitation = mail.outbox[-1]
    calendar, event = the_event(invitation)
    webinar.refresh_from_db()
    assert str(calendar["METHOD"]) == "REQUEST"
    assert str(event["UID"]) == webinar.calendar_uid
    assert int(event["SEQUENCE"]) == webinar.sequence
    attendees = event["ATTENDEE"]
    attendees = attendees if isinstance(attendees, list) else [attendees]
    assert [str(a) for a in attendees] == ["mailto:ana.silva@example.eu"]
    assert str(event["ORGANIZER"]) == "mailto:helpdesk@cmss.example.eu"
    assert registrations.cancel_url(registration) in invitation.body


def test_a_wrong_code_is_refused_and_counted(client, webinar, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/webinars/{webinar.slug}/register/", form_data())
    code = code_in(mail.outbox[0])
    wrong = f"{(int(code) + 1) % 1000000:06d}"
    response = client.post(f"/webinars/{webinar.slug}/register/code/", {"code": wrong})
    assert response.status_code == 200
    assert b"not the one we sent" in response.content
    registration = Registration.objects.get()
    assert registration.status == Status.UNCONFIRMED
    assert registration.code_attempts == 1


def test_too_many_wrong_codes_lock_the_code_out(webinar):
    registration, _ = registrations.register(webinar, **person())
    registrations.send_code(registration)
    code = _known_code(registration)
    for _ in range(registrations.max_code_attempts()):
        with pytest.raises(registrations.CodeError, match="not the one"):
            registrations.confirm_email(registration, "000000")
    # Even the right one is refused now: a new code must be asked for.
    with pytest.raises(registrations.CodeError, match="Too many"):
        registrations.confirm_email(registration, code)
    registration.refresh_from_db()
    assert registration.status == Status.UNCONFIRMED


def _known_code(registration, code="123456"):
    """Put a code we know in place of the emailed one (the mail holds it only until sent)."""
    Registration.objects.filter(pk=registration.pk).update(
        code_hash=registrations._code_hash(registration, code)
    )
    return code


def test_an_expired_code_is_refused(webinar, settings):
    registration, _ = registrations.register(webinar, **person())
    registrations.send_code(registration)
    code = _known_code(registration)
    Registration.objects.filter(pk=registration.pk).update(
        code_sent_at=timezone.now() - datetime.timedelta(minutes=31)
    )
    with pytest.raises(registrations.CodeError, match="expired"):
        registrations.confirm_email(registration, code)
    Registration.objects.filter(pk=registration.pk).update(code_sent_at=timezone.now())
    assert registrations.confirm_email(registration, code).status == Status.CONFIRMED


def test_the_code_page_without_a_pending_registration_confirms_nothing(client, webinar):
    registration, _ = registrations.register(webinar, **person())
    code = _known_code(registration)
    Registration.objects.filter(pk=registration.pk).update(code_sent_at=timezone.now())
    response = client.post(f"/webinars/{webinar.slug}/register/code/", {"code": code})
    assert response.status_code == 200
    registration.refresh_from_db()
    assert registration.status == Status.UNCONFIRMED


def test_form_errors_name_the_field(client, webinar):
    response = client.post(
        f"/webinars/{webinar.slug}/register/", form_data(email="not-an-address", consent="")
    )
    assert response.status_code == 200
    summary = BeautifulSoup(response.content, "html.parser").select_one(".error-summary")
    text = summary.get_text(" ", strip=True)
    assert "Enter an email address like" in text
    assert "Tick the box to agree to the privacy statement" in text
    assert not Registration.objects.exists()


def test_the_form_is_rate_limited_per_address(client, webinar, django_capture_on_commit_callbacks):
    codes = []
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(4):
            codes.append(
                client.post(f"/webinars/{webinar.slug}/register/", form_data()).status_code
            )
    assert codes == [302, 302, 302, 429]
    assert len(mail.outbox) == 3


# -- one registration per address ---------------------------------------------------------------


def test_registering_twice_returns_the_same_registration(webinar):
    first, created = registrations.register(webinar, **person(), confirmed=True)
    again, created_again = registrations.register(
        webinar, **person(email="ANA1@example.eu"), confirmed=True
    )
    assert created and not created_again
    assert again.pk == first.pk
    assert Registration.objects.count() == 1


def test_a_race_past_the_first_look_returns_the_winner(webinar, monkeypatch):
    """The unique constraint decides; the loser gets the existing registration."""
    winner = one_click(webinar)
    real = registrations.live_registration
    looks = []

    def blind_first_looks(webinar, email):
        looks.append(email)
        return None if len(looks) <= 2 else real(webinar, email)

    monkeypatch.setattr(registrations, "live_registration", blind_first_looks)
    again, created = registrations.register(webinar, **person(), confirmed=True)
    assert not created and again.pk == winner.pk
    assert Registration.objects.count() == 1


def test_without_the_constraint_catch_the_race_is_an_error(webinar, monkeypatch):
    """Control for the test above: the insert does hit the constraint."""
    one_click(webinar)
    monkeypatch.setattr(registrations, "live_registration", lambda webinar, email: None)
    with pytest.raises(IntegrityError):
        registrations.register(webinar, **person(), confirmed=True)


def test_the_form_again_for_a_registered_address_says_so_by_email(
    client, webinar, django_capture_on_commit_callbacks
):
    registration = one_click(webinar, email="ana.silva@example.eu")
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/webinars/{webinar.slug}/register/", form_data())
    # The same answer as for a new address: nothing tells the visitor it was known.
    assert response.status_code == 302
    assert response["Location"] == f"/webinars/{webinar.slug}/register/code/"
    (known,) = mail.outbox
    assert "already registered" in known.subject
    assert registrations.cancel_url(registration) in known.body
    assert Registration.objects.count() == 1
    # The code page confirms nothing for the visitor: no registration is pending in the session.
    assert registrations._code_hash(registration, "123456") != registration.code_hash


# -- capacity and the waiting list --------------------------------------------------------------


def test_past_capacity_registrants_wait_and_the_first_in_line_is_promoted(
    catalogue, privacy_page, django_capture_on_commit_callbacks
):
    webinar = make_webinar(catalogue, capacity=2)
    with django_capture_on_commit_callbacks(execute=True):
        first, second, third, fourth = (one_click(webinar, n) for n in range(1, 5))
    assert [r.status for r in (first, second, third, fourth)] == [
        Status.CONFIRMED,
        Status.CONFIRMED,
        Status.WAITING,
        Status.WAITING,
    ]
    assert registrations.places_left(webinar) == 0
    (waiting_notice,) = mails_to("ana3@example.eu")
    assert "Waiting list" in waiting_notice.subject
    assert calendars(waiting_notice) == []
    assert registrations.cancel_url(third) in waiting_notice.body

    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        registrations.cancel(first, by="registrant")
    third.refresh_from_db()
    fourth.refresh_from_db()
    assert third.status == Status.CONFIRMED and fourth.status == Status.WAITING

    (cancellation,) = mails_to("ana1@example.eu")
    calendar, event = the_event(cancellation)
    assert str(calendar["METHOD"]) == "CANCEL"
    assert str(event["ATTENDEE"]) == "mailto:ana1@example.eu"
    (promotion,) = mails_to("ana3@example.eu")
    calendar, event = the_event(promotion)
    assert "A place for you" in promotion.subject
    assert str(calendar["METHOD"]) == "REQUEST"
    assert str(event["ATTENDEE"]) == "mailto:ana3@example.eu"
    assert registrations.cancel_url(third) in promotion.body


def test_the_line_is_served_in_queued_at_order(catalogue, privacy_page):
    webinar = make_webinar(catalogue, capacity=1)
    holder = one_click(webinar, 1)
    later, earlier = one_click(webinar, 2), one_click(webinar, 3)
    Registration.objects.filter(pk=earlier.pk).update(
        queued_at=later.queued_at - datetime.timedelta(minutes=5)
    )
    registrations.cancel(holder, by="helpdesk")
    assert Registration.objects.get(pk=earlier.pk).status == Status.CONFIRMED
    assert Registration.objects.get(pk=later.pk).status == Status.WAITING


def test_promote_next_fills_a_place_made_by_more_capacity(catalogue, privacy_page):
    webinar = make_webinar(catalogue, capacity=1)
    one_click(webinar, 1)
    waiting = one_click(webinar, 2)
    assert registrations.promote_next(webinar) is None
    WebinarPage.objects.filter(pk=webinar.pk).update(capacity=2)
    assert registrations.promote_next(webinar).pk == waiting.pk
    assert registrations.promote_next(webinar) is None


def test_cancelling_twice_frees_one_place(catalogue, privacy_page):
    webinar = make_webinar(catalogue, capacity=1)
    holder = one_click(webinar, 1)
    waiting = [one_click(webinar, n) for n in (2, 3)]
    registrations.cancel(holder, by="registrant")
    registrations.cancel(holder, by="registrant")
    statuses = [Registration.objects.get(pk=r.pk).status for r in waiting]
    assert statuses == [Status.CONFIRMED, Status.WAITING]


# -- when registration is open ------------------------------------------------------------------


@pytest.mark.parametrize(
    "fields, words",
    [
        ({"registration_closes": timezone.now() - datetime.timedelta(hours=1)}, "has closed"),
        ({"registration_opens": timezone.now() + datetime.timedelta(days=1)}, "opens on"),
        ({"start": timezone.now() - datetime.timedelta(minutes=5)}, "started"),
        ({"state": WebinarPage.State.CANCELLED}, "cancelled"),
    ],
)
def test_closed_registration(client, catalogue, privacy_page, fields, words):
    webinar = make_webinar(catalogue, **fields)
    with pytest.raises(registrations.RegistrationClosed, match=words):
        registrations.register(webinar, **person(), confirmed=True)
    page = client.get(f"/webinars/{webinar.slug}/register/")
    assert words in page.content.decode()
    assert not BeautifulSoup(page.content, "html.parser").select("form[method=post] [name=email]")
    client.post(f"/webinars/{webinar.slug}/register/", form_data())
    assert not Registration.objects.exists()


def test_registration_open_in_its_window(catalogue, privacy_page):
    webinar = make_webinar(
        catalogue,
        registration_opens=timezone.now() - datetime.timedelta(days=1),
        registration_closes=timezone.now() + datetime.timedelta(days=1),
    )
    assert one_click(webinar).status == Status.CONFIRMED


# -- one click for a signed-in clinician ---------------------------------------------------------


def test_a_signed_in_clinician_registers_with_one_click(
    client, webinar, member, django_capture_on_commit_callbacks
):
    client.force_login(member.user)
    page = client.get(f"/webinars/{webinar.slug}/register/")
    soup = BeautifulSoup(page.content, "html.parser")
    assert (
        soup.select_one("form[action$='/register/'] button").get_text(strip=True) == "Register me"
    )
    assert not soup.select("[name=email]")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/webinars/{webinar.slug}/register/")
    assert response.status_code == 200
    registration = Registration.objects.get()
    assert registration.status == Status.CONFIRMED
    assert registration.clinician == member
    assert registration.email == "mette@example.eu"
    (invitation,) = mail.outbox
    assert str(the_event(invitation)[1]["ATTENDEE"]) == "mailto:mette@example.eu"
    # Again: the same registration, no second email.
    client.post(f"/webinars/{webinar.slug}/register/")
    assert Registration.objects.count() == 1


def test_a_clinician_not_approved_gets_the_form(client, webinar, member):
    member.status = Clinician.Status.AWAITING
    member.save()
    client.force_login(member.user)
    response = client.post(f"/webinars/{webinar.slug}/register/")
    assert response.status_code == 200
    assert not Registration.objects.exists()


# -- the cancel-my-place page -------------------------------------------------------------------


def test_the_cancel_page_asks_then_cancels(client, webinar, django_capture_on_commit_callbacks):
    registration = one_click(webinar)
    url = f"/webinars/cancel/{registration.cancel_token}/"
    page = client.get(url)
    assert page.status_code == 200
    assert "no-cache" in page["Cache-Control"] or "private" in page["Cache-Control"]
    registration.refresh_from_db()
    assert registration.status == Status.CONFIRMED  # GET changes nothing
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"action": "cancel"})
    assert response.status_code == 200
    registration.refresh_from_db()
    assert registration.status == Status.CANCELLED
    assert registration.cancelled_by == "registrant"


def test_an_unknown_cancel_token_is_404(client, webinar):
    one_click(webinar)
    assert client.get("/webinars/cancel/not-a-token/").status_code == 404
    assert client.post("/webinars/cancel/not-a-token/").status_code == 404


def test_forget_me_erases_the_registration(client, catalogue, privacy_page):
    webinar = make_webinar(catalogue, capacity=1)
    registration = one_click(webinar, 1)
    waiting = one_click(webinar, 2)
    client.post(f"/webinars/cancel/{registration.cancel_token}/", {"action": "forget"})
    registration.refresh_from_db()
    assert registration.erased and registration.status == Status.CANCELLED
    assert registration.first_name == "Erased" and registration.last_name == ""
    assert "ana1" not in registration.email
    assert not OutgoingMessage.objects.filter(recipient="ana1@example.eu").exists()
    assert Registration.objects.get(pk=waiting.pk).status == Status.CONFIRMED
    # Their confirmation was still queued (this test's transaction never commits): cancelled,
    # not "failed", so no retry or resend sends it.
    about = OutgoingMessage.objects.filter(
        content_type__model="registration", object_id=str(registration.pk)
    )
    assert about.exists()
    assert set(about.values_list("status", flat=True)) == {OutgoingMessage.Status.CANCELLED}


# -- updates and cancellations of the webinar ---------------------------------------------------


def test_a_changed_webinar_sends_an_update_with_the_same_uid(
    catalogue, privacy_page, django_capture_on_commit_callbacks
):
    webinar = make_webinar(catalogue, capacity=1)
    with django_capture_on_commit_callbacks(execute=True):
        holder = one_click(webinar, 1)
        one_click(webinar, 2)
    _, first = the_event(mail.outbox[0])
    mail.outbox.clear()
    # As events/services/webinars.py does: the SEQUENCE goes up, then the signal.
    WebinarPage.objects.filter(pk=webinar.pk).update(sequence=F("sequence") + 1)
    with django_capture_on_commit_callbacks(execute=True):
        signals.webinar_changed.send(sender=WebinarPage, webinar=webinar, fields=["start"])
    (update,) = mail.outbox  # the waiting registrant gets none
    calendar, event = the_event(update)
    assert update.to == [holder.email]
    assert str(calendar["METHOD"]) == "REQUEST"
    assert str(event["UID"]) == str(first["UID"])
    assert int(event["SEQUENCE"]) > int(first["SEQUENCE"])
    assert registrations.cancel_url(holder) in update.body


def test_a_cancelled_webinar_cancels_every_registration(
    catalogue, privacy_page, django_capture_on_commit_callbacks
):
    webinar = make_webinar(catalogue, capacity=1)
    holder, waiting = one_click(webinar, 1), one_click(webinar, 2)
    mail.outbox.clear()
    webinar.state = WebinarPage.State.CANCELLED
    webinar.save()
    WebinarPage.objects.filter(pk=webinar.pk).update(sequence=F("sequence") + 1)
    with django_capture_on_commit_callbacks(execute=True):
        signals.webinar_cancelled.send(sender=WebinarPage, webinar=webinar)
    assert set(Registration.objects.values_list("status", flat=True)) == {Status.CANCELLED}
    assert set(Registration.objects.values_list("cancelled_by", flat=True)) == {"webinar"}
    (cancellation,) = mails_to(holder.email)
    calendar, event = the_event(cancellation)
    assert str(calendar["METHOD"]) == "CANCEL"
    webinar.refresh_from_db()
    assert int(event["SEQUENCE"]) == webinar.sequence >= 1
    (notice,) = mails_to(waiting.email)
    assert calendars(notice) == []
    assert "cancelled" in notice.body


def test_send_to_registrants_reaches_each_with_their_cancel_link(
    catalogue, privacy_page, django_capture_on_commit_callbacks
):
    webinar = make_webinar(catalogue, capacity=1)
    holder, waiting = one_click(webinar, 1), one_click(webinar, 2)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        count = registrations.send_to_registrants(
            webinar, subject="Slides <online>", text="The slides are online.", kind="test"
        )
    assert count == 1
    (message,) = mail.outbox
    assert message.to == [holder.email] and message.subject == "Slides <online>"
    assert registrations.cancel_url(holder) in message.body
    assert (
        registrations.send_to_registrants(
            webinar, subject="x", text="y", statuses=("confirmed", "waiting")
        )
        == 2
    )
    assert waiting.pk


# -- erasure and /account/ ----------------------------------------------------------------------


def test_erasing_a_clinician_erases_their_registrations(
    catalogue, privacy_page, member, django_capture_on_commit_callbacks
):
    webinar = make_webinar(catalogue, capacity=1)
    registration, _ = registrations.register(
        webinar,
        first_name=member.first_name,
        last_name=member.last_name,
        email=member.email,
        clinician=member,
        confirmed=True,
    )
    waiting = one_click(webinar, 2)
    exported = personal_data.collect_own_data(member)["webinar registrations"]
    assert [(r["webinar"], r["email"], r["status"]) for r in exported] == [
        (webinar.title, "mette@example.eu", "confirmed")
    ]
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        personal_data.erase_clinician(member)
    registration.refresh_from_db()
    assert registration.erased
    assert (registration.first_name, registration.last_name) == ("Erased", "")
    assert "mette" not in registration.email
    assert registration.clinician_id is None
    assert not Registration.objects.filter(email__icontains="mette").exists()
    # Their place went to the next in line; nothing was sent to the erased address.
    assert Registration.objects.get(pk=waiting.pk).status == Status.CONFIRMED
    assert all("mette" not in m.to[0] for m in mail.outbox)
    assert not get_user_model().objects.filter(email="mette@example.eu").exists()


def test_account_lists_the_members_registrations_with_cancel_links(client, webinar, member):
    registration, _ = registrations.register(
        webinar,
        first_name="Mette",
        last_name="Hansen",
        email=member.email,
        clinician=member,
        confirmed=True,
    )
    client.force_login(member.user)
    response = client.get("/account/")
    soup = BeautifulSoup(response.content, "html.parser")
    section = soup.select_one("#registrations-heading").find_parent("section")
    text = section.get_text(" ", strip=True)
    assert webinar.title in text
    assert "registered" in text
    local = webinar.start.astimezone(ZoneInfo("Europe/Copenhagen"))
    assert f"{local:%H:%M}" in text and "Europe/Copenhagen" in text
    links = [a["href"] for a in section.select("a")]
    assert f"/webinars/cancel/{registration.cancel_token}/" in links


def test_country_list_has_the_network(db):
    assert Country.objects.filter(code="PT").exists()
