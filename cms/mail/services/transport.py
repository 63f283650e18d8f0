"""Handing one message to the mail server or provider over a reused connection, and telling
apart a failure before the message was handed over (safe to retry) from one after it
(``MayHaveBeenSent``: it may have gone out)."""

import contextlib
import smtplib
import threading
import time

from anymail.exceptions import AnymailAPIError
from django.conf import settings
from django.core.mail import get_connection

from cms.mail.services.email_message import build_email


class MayHaveBeenSent(Exception):
    """The send failed after the message was handed over: it may or may not have gone out."""


_connections = threading.local()


def mail_connection():
    """This thread's open mail connection, reused between messages while it is fresh."""
    key = (
        settings.EMAIL_BACKEND,
        getattr(settings, "EMAIL_HOST", ""),
        getattr(settings, "EMAIL_PORT", 0),
    )
    held = getattr(_connections, "held", None)
    idle = settings.CMSS_MAIL_CONNECTION_IDLE_SECONDS
    if held is not None and (held[0] != key or time.monotonic() - held[2] > idle):
        close_connection()
        held = None
    if held is None:
        connection = get_connection()
        connection.open()
        held = (key, connection, time.monotonic())
    _connections.held = held
    return held[1]


def close_connection():
    held = getattr(_connections, "held", None)
    _connections.held = None
    if held is not None:
        # A connection already broken needs no closing.
        with contextlib.suppress(Exception):
            held[1].close()


# Whether the current thread's send has reached the DATA command (see ``watch_data``).
_phase = threading.local()


def watch_data(connection):
    """Note on this thread when an SMTP connection of Django's backend starts the DATA command.

    smtplib says nothing about how far ``sendmail`` got when it fails, and a failure after DATA
    may come after the server took the message. The open ``smtplib.SMTP`` object's ``data``
    method is wrapped (once per connection) to set a flag; other backends are left alone.
    """
    smtp = getattr(connection, "connection", None)
    if not isinstance(smtp, smtplib.SMTP) or getattr(smtp, "_cmss_watched", False):
        return
    data = smtp.data

    def watched_data(msg):
        _phase.data_started = True
        return data(msg)

    smtp.data = watched_data
    smtp._cmss_watched = True


def _http_request_reached_server(error):
    """For a provider's API error with no HTTP status: True unless the connection was never made
    (refused, name not found, connect timeout, TLS handshake), i.e. the POST may have arrived."""
    import requests
    from urllib3.exceptions import MaxRetryError

    cause = error.__cause__
    if not isinstance(cause, requests.RequestException):
        return False
    if isinstance(cause, requests.ConnectTimeout | requests.exceptions.SSLError):
        return False
    if isinstance(cause, requests.ConnectionError):
        return not any(isinstance(arg, MaxRetryError) for arg in cause.args)
    return isinstance(cause, requests.Timeout | requests.exceptions.ChunkedEncodingError)


def may_have_left(error, data_started):
    """True when ``error`` leaves it unknown whether the message was delivered: no answer (a
    timeout, a dropped connection) once the SMTP DATA command had been sent, or a provider's
    HTTP request that reached it but got no answer. An answer the server gave is never so."""
    if isinstance(error, AnymailAPIError):
        if getattr(error, "status_code", None) is not None:
            return False
        return _http_request_reached_server(error)
    if not data_started or isinstance(error, smtplib.SMTPResponseException):
        return False
    return isinstance(error, smtplib.SMTPServerDisconnected | OSError)


def transmit(message):
    """Send ``message`` over the reused connection; returns the provider's message id.

    Raises ``MayHaveBeenSent`` when the send failed after the message was handed over.
    """
    connection = mail_connection()
    email = build_email(message, connection=connection)
    watch_data(connection)
    _phase.data_started = False
    try:
        connection.send_messages([email])
    except Exception as error:
        close_connection()
        if may_have_left(error, getattr(_phase, "data_started", False)):
            raise MayHaveBeenSent(f"{type(error).__name__}: {error}") from error
        raise
    except BaseException:
        close_connection()
        raise
    _connections.held = (_connections.held[0], connection, time.monotonic())
    status = getattr(email, "anymail_status", None)
    return (status.message_id if status is not None else None) or message.provider_message_id
