"""At most once, even when the mail server or provider is slow (issue 9, point 4).

A failure after the message data was handed over (a timeout or a dropped connection waiting for
the server's answer to DATA, or for the provider's answer to the HTTP POST) is ambiguous: the
message may have gone out. It is marked failed with "may have been sent", like a worker killed
mid-send, and never retried automatically. A failure before that point is retried as before.
"""

import asyncio
import contextlib
import http.server
import threading

import pytest

from cms.mail import services
from cms.mail.models import OutgoingMessage
from tests.mail_support import ScriptedHandler, SMTPServer, free_port

Status = OutgoingMessage.Status


class SlowDataHandler(ScriptedHandler):
    """Accepts the first ``slow_data`` messages only after ``data_seconds`` (past the client's
    timeout): the message arrives although the client gave up waiting. ``slow_done`` is set
    once each slow message has been accepted."""

    def __init__(self):
        super().__init__()
        self.slow_data = 0
        self.data_seconds = 0.0
        self.slow_done = threading.Event()

    async def handle_DATA(self, server, session, envelope):
        if not self.slow_data:
            return await super().handle_DATA(server, session, envelope)
        self.slow_data -= 1

        async def accept_late():
            await asyncio.sleep(self.data_seconds)
            reply = await super(SlowDataHandler, self).handle_DATA(server, session, envelope)
            self.slow_done.set()
            return reply

        # The server takes the message even though the client hung up meanwhile.
        return await asyncio.shield(asyncio.ensure_future(accept_late()))


@pytest.fixture(autouse=True)
def fresh_connection():
    services.close_connection()
    yield
    services.close_connection()


@pytest.fixture
def slow_smtp(settings):
    server = SMTPServer()
    server.handler = SlowDataHandler()
    server.controller.handler = server.handler
    with server:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST = "127.0.0.1"
        settings.EMAIL_PORT = server.port
        settings.EMAIL_TIMEOUT = 0.3
        settings.CMSS_MAIL_RETRY_DELAYS = [0, 0, 0]
        yield server
        services.close_connection()


def queue(to="lena@charite.example.eu"):
    return services.queue_message(to, "Your webinar", "Body text", kind="test")


def test_a_timeout_after_data_is_not_retried(db, slow_smtp, django_capture_on_commit_callbacks):
    slow_smtp.handler.slow_data = 1
    slow_smtp.handler.data_seconds = 0.6  # past EMAIL_TIMEOUT: the client gives up, then 250
    with django_capture_on_commit_callbacks(execute=True):
        message = queue()
    assert slow_smtp.handler.slow_done.wait(5)
    message.refresh_from_db()
    assert len(slow_smtp.received) == 1, "the message arrived twice"
    assert message.status == Status.FAILED
    assert message.attempts == 1
    assert "may have been sent" in message.last_error
    assert "resend" in message.last_error
    # retry_mail leaves it alone: it is no longer queued.
    assert services.recover_stalled() == (0, 0)
    assert len(slow_smtp.received) == 1


def test_a_disconnect_after_data_is_not_retried(
    db, slow_smtp, monkeypatch, django_capture_on_commit_callbacks
):
    import smtplib

    real_data = smtplib.SMTP.data

    def data_then_drop(self, msg):
        real_data(self, msg)  # the server accepted it…
        raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")  # …unheard

    monkeypatch.setattr(smtplib.SMTP, "data", data_then_drop)
    with django_capture_on_commit_callbacks(execute=True):
        message = queue()
    message.refresh_from_db()
    assert len(slow_smtp.received) == 1
    assert (message.status, message.attempts) == (Status.FAILED, 1)
    assert "may have been sent" in message.last_error


def test_a_timeout_before_data_is_still_retried(db, slow_smtp, django_capture_on_commit_callbacks):
    slow_smtp.handler.stall_ehlo = 1
    slow_smtp.handler.stall_seconds = 0.6
    with django_capture_on_commit_callbacks(execute=True):
        message = queue()
    message.refresh_from_db()
    assert (message.status, message.attempts) == (Status.SENT, 2)
    assert len(slow_smtp.received) == 1


def test_a_refused_recipient_and_a_4xx_answer_to_data_behave_as_before(
    db, slow_smtp, django_capture_on_commit_callbacks
):
    slow_smtp.handler.data_replies = ["451 4.3.0 Try again later"]
    with django_capture_on_commit_callbacks(execute=True):
        message = queue()
    message.refresh_from_db()
    # The server answered (451): it did not take the message, so a retry is safe.
    assert (message.status, message.attempts) == (Status.SENT, 2)
    slow_smtp.handler.refused = {"gone@example.eu": "450 4.2.0 Mailbox busy"}
    with django_capture_on_commit_callbacks(execute=True):
        busy = queue(to="gone@example.eu")
    busy.refresh_from_db()
    assert busy.attempts == 4 and busy.status == Status.FAILED
    assert "may have been sent" not in busy.last_error


class _SlowProvider(http.server.BaseHTTPRequestHandler):
    """A provider's send API that answers only after the client's timeout."""

    posts = []
    answered = threading.Event()

    def do_POST(self):
        self.rfile.read(int(self.headers["Content-Length"]))
        self.posts.append(self.path)
        _SlowProvider.answered.wait(2)  # released by the test once the client gave up
        body = b'{"id": "<1@mg.example.eu>", "message": "Queued"}'
        # The client has usually hung up by now: that is the point, not an error to print.
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def provider(settings):
    _SlowProvider.posts = []
    _SlowProvider.answered = threading.Event()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _SlowProvider)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.EMAIL_BACKEND = "anymail.backends.mailgun.EmailBackend"
    settings.ANYMAIL = {
        "MAILGUN_API_KEY": "key-test",
        "MAILGUN_API_URL": f"http://127.0.0.1:{server.server_address[1]}/v3",
        "REQUESTS_TIMEOUT": 0.3,
    }
    settings.CMSS_MAIL_RETRY_DELAYS = [0, 0, 0]
    yield _SlowProvider
    _SlowProvider.answered.set()
    server.shutdown()
    server.server_close()


def test_a_provider_timeout_after_the_post_is_not_retried(
    db, provider, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        message = queue()
    provider.answered.set()
    message.refresh_from_db()
    assert len(provider.posts) == 1, "posted twice"
    assert (message.status, message.attempts) == (Status.FAILED, 1)
    assert "may have been sent" in message.last_error


def test_a_provider_that_cannot_be_reached_is_retried(
    db, settings, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = "anymail.backends.mailgun.EmailBackend"
    settings.ANYMAIL = {
        "MAILGUN_API_KEY": "key-test",
        "MAILGUN_API_URL": f"http://127.0.0.1:{free_port()}/v3",  # nothing listens
        "REQUESTS_TIMEOUT": 0.3,
    }
    settings.CMSS_MAIL_RETRY_DELAYS = [0, 0]
    with django_capture_on_commit_callbacks(execute=True):
        message = queue()
    message.refresh_from_db()
    assert (message.status, message.attempts) == (Status.FAILED, 3)
    assert "may have been sent" not in message.last_error
