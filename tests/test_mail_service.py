"""The one mail service: stored before sending, sent after commit, once, retried, never injected."""

import email
import email.policy

import pytest
from django.core import mail
from django.db import transaction
from django.utils import timezone

from cms.mail import services
from cms.mail.models import OutgoingMessage, SuppressedAddress
from cms.mail.services import handoff
from cms.mail.tasks import send_message
from tests.mail_support import free_port

Status = OutgoingMessage.Status


@pytest.fixture(autouse=True)
def fresh_connection():
    services.close_connection()
    yield
    services.close_connection()


@pytest.fixture
def slept(monkeypatch):
    """Retry delays are injectable (settings.CMSS_MAIL_RETRY_DELAYS): record the waits."""
    delays = []
    real_wait = handoff.wait

    def wait(seconds):
        delays.append(seconds)
        real_wait(seconds)

    monkeypatch.setattr(handoff, "wait", wait)
    return delays


@pytest.fixture
def enqueued(monkeypatch):
    calls = []
    real = handoff.enqueue

    def spy(message_id, delay=0.0):
        calls.append(message_id)
        return real(message_id, delay)

    monkeypatch.setattr(handoff, "enqueue", spy)
    return calls


def queue(to="lena@charite.example.eu", **kwargs):
    kwargs.setdefault("kind", "test")
    return services.queue_message(to, kwargs.pop("subject", "Hello"), "Body text", **kwargs)


def parsed(raw):
    return email.message_from_bytes(raw, policy=email.policy.default)


def test_a_message_is_logged_and_sent_after_commit(
    db, django_capture_on_commit_callbacks, enqueued
):
    with django_capture_on_commit_callbacks(execute=True):
        message = queue()
    message.refresh_from_db()
    assert message.status == Status.SENT
    assert message.attempts == 1
    assert message.sent_at is not None
    assert message.provider_message_id.startswith("<")
    assert len(mail.outbox) == 1
    assert mail.outbox[0].extra_headers["Message-ID"] == message.provider_message_id
    assert enqueued == [message.pk]


def test_rollback_after_queuing_sends_nothing(db, enqueued):
    with pytest.raises(RuntimeError), transaction.atomic():
        queue()
        assert OutgoingMessage.objects.count() == 1  # queued inside the transaction...
        assert mail.outbox == []  # ...but not sent before it commits
        raise RuntimeError("the caller's work failed")
    assert OutgoingMessage.objects.count() == 0
    assert mail.outbox == []
    assert enqueued == []


def test_commit_after_queuing_sends(db, django_capture_on_commit_callbacks, enqueued):
    """Control for the rollback test: the same transaction, committed, sends."""
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        queue()
        assert mail.outbox == []
    assert len(mail.outbox) == 1
    assert len(enqueued) == 1


def test_nothing_is_sent_or_queued_before_commit(db, django_capture_on_commit_callbacks, enqueued):
    """Sent after commit, never before: until the transaction that stored the message commits,
    the row waits as queued, no task is queued and no email has left; the commit sends it."""
    with django_capture_on_commit_callbacks() as on_commit:
        with transaction.atomic():
            message = queue()
        message.refresh_from_db()
        assert message.status == Status.QUEUED
        assert (mail.outbox, enqueued) == ([], [])
    assert len(on_commit) == 1  # what waits for the commit
    on_commit[0]()  # the commit
    message.refresh_from_db()
    assert message.status == Status.SENT
    assert enqueued == [message.pk]
    assert [m.to for m in mail.outbox] == [["lena@charite.example.eu"]]


def test_task_run_twice_sends_one_email(db, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        message = queue()
    result = send_message.enqueue(message.pk)  # the same task delivered a second time
    assert result.return_value == "skipped"
    assert len(mail.outbox) == 1
    message.refresh_from_db()
    assert (message.status, message.attempts) == (Status.SENT, 1)


def test_without_the_claim_a_second_run_would_send_again(db, django_capture_on_commit_callbacks):
    """Control: the conditional claim is what stops the second email."""
    with django_capture_on_commit_callbacks(execute=True):
        message = queue()
    OutgoingMessage.objects.filter(pk=message.pk).update(status=Status.QUEUED)
    send_message.enqueue(message.pk)
    assert len(mail.outbox) == 2


def test_sent_over_smtp_with_name_html_and_calendar(
    db, smtp_server, django_capture_on_commit_callbacks
):
    invite = b"BEGIN:VCALENDAR\r\nMETHOD:REQUEST\r\nEND:VCALENDAR\r\n"
    with django_capture_on_commit_callbacks(execute=True):
        message = services.send_mail(
            "directory/email/welcome",
            {"clinician": {"full_name": "Zoë Ørsted"}, "sign_in_url": "x", "links": []},
            "zoe@example.eu",
            to_name="Zoë Ørsted",
            kind="test",
            attachments=[("invite.ics", invite, "text/calendar; method=REQUEST")],
        )
    message.refresh_from_db()
    assert message.status == Status.SENT
    ((_, rcpt, raw),) = smtp_server.received
    assert rcpt == ["zoe@example.eu"]
    sent = parsed(raw)
    assert sent["To"].addresses[0].display_name == "Zoë Ørsted"
    assert sent["Subject"] == "[CMSS] Welcome to the clinicians' network"
    assert sent["Message-ID"] == message.provider_message_id
    assert sent.get_body(("html",)) is not None
    calendar = next(p for p in sent.walk() if p.get_content_type() == "text/calendar")
    assert calendar.get_param("method") == "REQUEST"
    assert calendar.get_content_disposition() is None  # an alternative, not a file
    assert "METHOD:REQUEST" in calendar.get_content()
    copy = next(p for p in sent.walk() if p.get_content_type() == "application/ics")
    assert copy.get_filename() == "invite.ics"
    assert copy.get_content() == invite


def test_connection_is_reused_between_messages(
    db, smtp_server, monkeypatch, django_capture_on_commit_callbacks
):
    opened = []
    from django.core.mail.backends.smtp import EmailBackend

    real_open = EmailBackend.open

    def counting_open(self):
        if self.connection is None:
            opened.append(1)
        return real_open(self)

    monkeypatch.setattr(EmailBackend, "open", counting_open)
    for n in range(3):
        with django_capture_on_commit_callbacks(execute=True):
            queue(to=f"p{n}@example.eu")
    assert len(smtp_server.received) == 3
    assert len(opened) == 1


def test_transient_smtp_errors_are_retried_with_backoff(
    db, smtp_server, slept, settings, django_capture_on_commit_callbacks
):
    settings.CMSS_MAIL_RETRY_DELAYS = [0.01, 0.02, 0.04]
    smtp_server.handler.data_replies = ["451 4.3.0 Try again later", "421 4.7.0 Busy"]
    with django_capture_on_commit_callbacks(execute=True):
        message = queue()
    message.refresh_from_db()
    assert message.status == Status.SENT
    assert message.attempts == 3
    assert slept == [0.01, 0.02]
    assert len(smtp_server.received) == 1


def test_a_timeout_is_retried(db, smtp_server, slept, django_capture_on_commit_callbacks):
    smtp_server.handler.stall_ehlo = 1
    smtp_server.handler.stall_seconds = 1.5  # past EMAIL_TIMEOUT (0.5 s)
    with django_capture_on_commit_callbacks(execute=True):
        message = queue()
    message.refresh_from_db()
    assert (message.status, message.attempts) == (Status.SENT, 2)
    assert len(smtp_server.received) == 1


def test_refused_connection_fails_after_the_retry_limit(
    db, settings, slept, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = free_port()  # nothing listens
    settings.CMSS_MAIL_RETRY_DELAYS = [0.01, 0.02, 0.04]
    with django_capture_on_commit_callbacks(execute=True):
        message = queue()
    message.refresh_from_db()
    assert message.status == Status.FAILED
    assert message.attempts == 4
    assert slept == [0.01, 0.02, 0.04]
    assert "ConnectionRefusedError" in message.last_error


def test_a_permanent_error_fails_at_once(
    db, smtp_server, slept, django_capture_on_commit_callbacks
):
    smtp_server.handler.refused = {"gone@example.eu": "550 5.1.1 No such user"}
    with django_capture_on_commit_callbacks(execute=True):
        message = queue(to="gone@example.eu")
    message.refresh_from_db()
    assert (message.status, message.attempts) == (Status.FAILED, 1)
    assert "No such user" in message.last_error
    assert slept == []
    assert smtp_server.received == []


def test_cr_lf_never_reach_a_header(db, smtp_server, django_capture_on_commit_callbacks):
    evil = "Lena\r\nBcc: spy@evil.example\r\n"
    with django_capture_on_commit_callbacks(execute=True):
        queue(to_name=evil, subject="Hello\nBcc: spy@evil.example\r\nX-Injected: 1")
    ((_, rcpt, raw),) = smtp_server.received
    sent = parsed(raw)
    assert rcpt == ["lena@charite.example.eu"]
    assert sent.get_all("Bcc") is None
    assert sent.get_all("X-Injected") is None
    assert sent.get_all("To") == [sent["To"]]
    assert sent["Subject"] == "Hello Bcc: spy@evil.example X-Injected: 1"
    assert sent["To"].addresses[0].addr_spec == "lena@charite.example.eu"


def test_the_injection_assertions_can_fail():
    """Control: a message written without the guard does grow the extra headers."""
    raw = b"To: lena@charite.example.eu\r\nSubject: Hello\nBcc: spy@evil.example\r\n\r\nBody"
    assert parsed(raw).get_all("Bcc") == ["spy@evil.example"]


@pytest.mark.parametrize("address", ["a@b.eu\r\nBcc: c@d.eu", "not-an-address", "a@b.eu, c@d.eu"])
def test_bad_recipient_is_refused(db, address):
    with pytest.raises(services.InvalidRecipient):
        queue(to=address)
    assert OutgoingMessage.objects.count() == 0


def test_mail_to_a_flagged_address_is_held_with_the_reason(db, enqueued):
    SuppressedAddress.objects.create(
        email="Bounced@Example.eu", reason="bounced: 550 mailbox unknown"
    )
    message = queue(to="bounced@example.eu")
    assert message.status == Status.HELD
    assert "550 mailbox unknown" in message.last_error
    assert mail.outbox == []
    assert enqueued == []


def test_address_flagged_after_queuing_is_held_at_send_time(db, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        message = queue(to="late@example.eu")
        SuppressedAddress.objects.create(email="late@example.eu", reason="complained")
    message.refresh_from_db()
    assert message.status == Status.HELD
    assert mail.outbox == []


def test_resend_rebuilds_the_same_message(db, smtp_server, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        original = queue(
            to_name="Lena Vogel",
            html="<p>Body</p>",
            attachments=[
                (
                    "invite.ics",
                    "BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n",
                    "text/calendar; method=REQUEST",
                )
            ],
        )
    with django_capture_on_commit_callbacks(execute=True):
        copy = services.resend(original)
    copy.refresh_from_db()
    assert copy.status == Status.SENT and copy.resent_from == original
    first, second = (parsed(raw) for _, _, raw in smtp_server.received)
    assert first["Message-ID"] != second["Message-ID"]
    for header in ("Subject", "To", "From"):
        assert first[header] == second[header]

    def parts(m):
        return [
            (p.get_content_type(), p.get_payload(decode=True))
            for p in m.walk()
            if not p.is_multipart()
        ]

    assert parts(first) == parts(second)


def test_interrupted_send_is_marked_failed_not_resent(db, settings):
    settings.CMSS_MAIL_SENDING_LEASE_SECONDS = 0
    settings.CMSS_MAIL_REQUEUE_AFTER_SECONDS = 0
    interrupted = queue(to="a@example.eu")
    OutgoingMessage.objects.filter(pk=interrupted.pk).update(
        status=Status.SENDING, claimed_at=timezone.now()
    )  # a worker died here
    waiting = queue(to="b@example.eu")  # its task was lost: the commit never came
    assert services.recover_stalled() == (1, 1)
    interrupted.refresh_from_db()
    waiting.refresh_from_db()
    assert interrupted.status == Status.FAILED
    assert "may or may not have gone out" in interrupted.last_error
    assert waiting.status == Status.SENT
    assert [m.to for m in mail.outbox] == [["b@example.eu"]]


def test_welcome_email_is_logged_with_its_clinician(db):
    from directory.models import Clinician
    from directory.services.enrolment import send_welcome_email

    clinician = Clinician.objects.create(first_name="W", last_name="E", email="w@x.eu")
    message = send_welcome_email(clinician)
    assert message.related_object == clinician
    assert message.kind == "welcome"
    assert "/information-package/" in message.body_html


def test_sign_in_codes_reach_the_log(
    client, db, django_user_model, django_capture_on_commit_callbacks
):
    from allauth.account.models import EmailAddress

    user = django_user_model.objects.create_user(username="lena", email="lena@charite.example.eu")
    EmailAddress.objects.create(user=user, email=user.email, primary=True, verified=True)
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/accounts/login/code/", {"email": "lena@charite.example.eu"})
    message = OutgoingMessage.objects.get()
    assert message.recipient == "lena@charite.example.eu"
    assert message.kind.startswith("account:")
    assert message.status == Status.SENT
    # The code went out; the log keeps no copy of it (tests/test_mail_log_secrets.py).
    assert message.carries_secret
    assert mail.outbox[0].body and message.body_text == ""
