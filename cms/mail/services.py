"""The one way CMSS sends email.

``send_mail`` renders a message from templates; ``queue_message`` stores an already-written
one (allauth's emails come this way). Both store an ``OutgoingMessage`` row and hand its
primary key to the ``send_message`` task once the surrounding transaction commits, so a
rollback sends nothing. ``deliver`` (called by the task) claims the row with a conditional
UPDATE, so a task that runs twice sends once; transient errors are retried with backoff.

A message that carries a one-time code or key (``carries_secret``) is stored only for the
worker to send: its bodies are blanked once it is sent, held or failed for good, or when the
code has expired (``purge_expired_secrets``), and it cannot be resent.

A message whose send was interrupted (the worker died between claiming it and recording the
result) may or may not have left: ``recover_stalled`` marks it failed and never sends it again
by itself, so every message goes out at most once; the helpdesk can resend it deliberately.
A send that fails after the message was handed over (a timeout or a dropped connection while
waiting for the SMTP server's answer to DATA, or for the provider's answer to its HTTP POST) is
just as uncertain: ``transmit`` raises ``MayHaveBeenSent`` and ``deliver`` marks it failed
(``UNCONFIRMED``) instead of retrying. Failures before that point (connection refused, sign-in,
a refused recipient, any answer the server gave) are retried or failed as their kind says.
"""

import base64
import contextlib
import logging
import re
import smtplib
import threading
import time
from datetime import timedelta
from email.utils import formataddr, make_msgid, parseaddr

from allauth.account import app_settings as allauth_settings
from anymail.exceptions import AnymailAPIError, AnymailRecipientsRefused
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import F, Q
from django.template import TemplateDoesNotExist
from django.template.loader import render_to_string
from django.utils import timezone

from cms.mail.models import OutgoingMessage, SuppressedAddress

logger = logging.getLogger(__name__)

Status = OutgoingMessage.Status

# Anything that could end a header line, or is a control character, becomes a space.
_HEADER_BREAKS = re.compile(r"[\x00-\x1f\x7f\x85\u2028\u2029]+")

INTERRUPTED = (
    "Interrupted while sending (the worker stopped before the result was recorded). It may or "
    "may not have gone out, so it is not sent again automatically: resend it if it is needed."
)

UNCONFIRMED = (
    "Not confirmed: the mail server stopped answering after the message had been handed to it "
    "({reason}). It may have been sent, so it is not sent again automatically: check with the "
    "recipient, and resend it if it is needed."
)

ERASED_UNSENT = (
    "Cancelled: the recipient's personal data was erased before this message was sent. "
    "It cannot be sent or resent."
)


# The fields that hold what a message says: blanked when it carried a one-time code.
WITHOUT_SECRET = {"body_text": "", "body_html": "", "attachments": []}

EXPIRED = (
    "Not sent: the one-time code in it expired before it could go out. The person can ask for "
    "a new one on the sign-in page."
)


class InvalidRecipient(ValueError):
    """The recipient address is not a single valid email address."""


class MayHaveBeenSent(Exception):
    """The send failed after the message was handed over: it may or may not have gone out."""


class CannotResend(Exception):
    """The message carried a one-time code or key, which is not kept and must not be sent twice."""


def header_text(value):
    """``value`` on one line: CR, LF and other control characters cannot reach a header."""
    return " ".join(_HEADER_BREAKS.sub(" ", str(value or "")).split())


def retry_delays():
    """Seconds to wait before each retry after a transient error; its length is the retry limit."""
    return [float(d) for d in settings.CMSS_MAIL_RETRY_DELAYS]


def send_mail(
    template,
    context,
    to,
    *,
    kind,
    to_name="",
    related=None,
    attachments=(),
    from_email=None,
    reply_to="",
):
    """Render ``template`` and queue it for ``to``; returns the ``OutgoingMessage``.

    ``template`` names three templates: ``<template>_subject.txt``, ``<template>.txt`` and
    (optional) ``<template>.html``; the text templates should turn autoescaping off.
    ``attachments`` are ``(filename, bytes or str, mimetype)``; a calendar invitation is
    ``("invite.ics", data, "text/calendar; method=REQUEST")``. ``related`` is any model
    instance the message is about. Raises ``InvalidRecipient`` for a bad address and
    ``TemplateDoesNotExist`` for a missing subject or text template.
    """
    context = dict(context or {})
    subject = render_to_string(f"{template}_subject.txt", context)
    text = render_to_string(f"{template}.txt", context)
    try:
        html = render_to_string(f"{template}.html", context)
    except TemplateDoesNotExist:
        html = ""
    return queue_message(
        to,
        subject,
        text,
        html=html,
        to_name=to_name,
        kind=kind,
        related=related,
        attachments=attachments,
        from_email=from_email,
        reply_to=reply_to,
    )


def queue_message(
    to,
    subject,
    text,
    *,
    kind,
    html="",
    to_name="",
    related=None,
    attachments=(),
    from_email=None,
    reply_to="",
    resent_from=None,
    carries_secret=False,
):
    """Store one message for ``to`` and send it after the current transaction commits.

    Mail to a flagged address (``SuppressedAddress``) is stored as held, with the reason, and
    not sent. ``carries_secret`` marks a message with a one-time code or key in it (see the
    module docstring). Returns the ``OutgoingMessage``. Raises ``InvalidRecipient``.
    """
    recipient = clean_recipient(to)
    from_email = from_email or settings.DEFAULT_FROM_EMAIL
    domain = parseaddr(from_email)[1].rpartition("@")[2] or "cmss.invalid"
    message = OutgoingMessage(
        recipient=recipient,
        recipient_name=header_text(to_name)[:200],
        from_email=header_text(from_email),
        reply_to=header_text(reply_to),
        subject=header_text(subject)[:400],
        body_text=text,
        body_html=html or "",
        attachments=[stored_attachment(*a) for a in attachments],
        kind=header_text(kind)[:60],
        provider_message_id=make_msgid(domain=domain),
        resent_from=resent_from,
        carries_secret=carries_secret,
    )
    if related is not None:
        message.content_type = ContentType.objects.get_for_model(related)
        message.object_id = str(related.pk)
    suppressed = suppression_for(recipient)
    if suppressed is not None:
        message.status = Status.HELD
        message.last_error = held_reason(suppressed)
        if carries_secret:
            for field, blank in WITHOUT_SECRET.items():
                setattr(message, field, blank)
        message.save()
        return message
    message.save()
    pk = message.pk
    transaction.on_commit(lambda: enqueue(pk))
    return message


def check_resendable(message):
    """Raise ``CannotResend`` if ``message`` must not be sent again."""
    if message.status == Status.CANCELLED:
        raise CannotResend(
            f"“{message.subject}” cannot be resent: it was cancelled because its recipient's "
            "data was erased."
        )
    if message.carries_secret:
        raise CannotResend(
            f"“{message.subject}” to {message.recipient} cannot be resent: it carried a one-time "
            "code, which is not kept. The person can ask for a new code on the sign-in page."
        )
    if not message.body_text and not message.body_html:
        raise CannotResend(
            f"“{message.subject}” cannot be resent: what it said is no longer kept (its "
            "recipient's data was erased, or it is older than the retention period)."
        )


def resend(message):
    """Queue a new copy of ``message`` (same bodies and attachments); returns the copy.

    The original keeps its status: the log shows both. Raises ``CannotResend`` for a message
    that carried a one-time code and ``InvalidRecipient``.
    """
    check_resendable(message)
    return queue_message(
        message.recipient,
        message.subject,
        message.body_text,
        html=message.body_html,
        to_name=message.recipient_name,
        kind=message.kind,
        related=message.related_object if message.content_type_id else None,
        attachments=message.attachment_files(),
        from_email=message.from_email,
        reply_to=message.reply_to,
        resent_from=message,
    )


def clean_recipient(address):
    address = str(address or "").strip()
    if _HEADER_BREAKS.search(address) or " " in address:
        raise InvalidRecipient(f"Not a single email address: {address!r}")
    try:
        validate_email(address)
    except ValidationError as error:
        raise InvalidRecipient(f"Not a valid email address: {address!r}") from error
    return address


def stored_attachment(filename, content, mimetype="application/octet-stream"):
    if isinstance(content, str):
        content = content.encode("utf-8")
    return {
        "filename": header_text(filename),
        "mimetype": header_text(mimetype),
        "content": base64.b64encode(content).decode("ascii"),
    }


def suppression_for(address):
    return SuppressedAddress.objects.filter(email=address.strip().lower()).first()


def held_reason(suppressed):
    since = f"{suppressed.created_at:%Y-%m-%d %H:%M}"
    return f"Held: {suppressed.email} is flagged ({suppressed.reason}) since {since}."


def wait(seconds):
    time.sleep(seconds)


def enqueue(message_id, delay=0.0):
    """Hand ``message_id`` to the send task, ``delay`` seconds from now.

    A backend that cannot defer (the immediate backend of tests) waits here instead.
    """
    from cms.mail.tasks import send_message

    try:
        if delay and send_message.get_backend().supports_defer:
            send_message.using(run_after=timezone.now() + timedelta(seconds=delay)).enqueue(
                message_id
            )
            return
        if delay:
            wait(delay)
        send_message.enqueue(message_id)
    except Exception:
        # The row stays queued; recover_stalled (manage.py retry_mail) enqueues it again.
        logger.exception("Could not enqueue outgoing message %s", message_id)


def build_email(message, connection=None):
    """The ``EmailMultiAlternatives`` for a stored message (used to send and to resend)."""
    headers = {}
    if message.provider_message_id.startswith("<"):
        headers["Message-ID"] = message.provider_message_id
    if message.recipient_name:
        # The name in the header only: ``to`` (the envelope) stays the bare address.
        headers["To"] = formataddr((header_text(message.recipient_name), message.recipient))
    email = EmailMultiAlternatives(
        subject=header_text(message.subject),
        body=message.body_text,
        from_email=message.from_email,
        to=[message.recipient],
        reply_to=[message.reply_to] if message.reply_to else None,
        headers=headers,
        connection=connection,
    )
    if message.body_html:
        email.attach_alternative(message.body_html, "text/html")
    for filename, content, mimetype in message.attachment_files():
        main, _, params = mimetype.partition(";")
        main = main.strip().lower()
        if main == "text/calendar":
            # An invitation is an alternative of the text and HTML bodies, with the METHOD in
            # its content type: that is where Outlook, Gmail and Apple Mail look for
            # Accept/Decline (RFC 6047 2.4). A copy rides along as a plain .ics file, typed
            # application/ics so that no client acts on the invitation twice.
            method = next(
                (
                    value.strip().strip('"').upper()
                    for key, _, value in (p.strip().partition("=") for p in params.split(";"))
                    if key.strip().lower() == "method"
                ),
                "REQUEST",
            )
            text = content.decode("utf-8") if isinstance(content, bytes) else content
            email.attach_alternative(text, f"text/calendar; method={method}")
            email.attach(filename, text.encode("utf-8"), "application/ics")
        else:
            email.attach(filename, content, main or "application/octet-stream")
    # anymail passes these to the provider, whose webhook events carry them back.
    email.metadata = {"outgoing_message": str(message.pk)}
    email.tags = [message.kind] if message.kind else []
    return email


def is_transient(error):
    """True for errors worth retrying: refused or dropped connections, timeouts, 4xx, a provider's 5xx."""
    if isinstance(error, AnymailRecipientsRefused):
        return False
    if isinstance(error, AnymailAPIError):
        status = getattr(error, "status_code", None)
        return status is None or status >= 500 or status == 429
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in error.recipients.values()]
        return bool(codes) and all(400 <= code < 500 for code in codes)
    if isinstance(error, smtplib.SMTPResponseException):
        return 400 <= error.smtp_code < 500
    if isinstance(error, smtplib.SMTPServerDisconnected):
        return True
    if isinstance(error, smtplib.SMTPException):
        return False
    return isinstance(error, OSError)  # connection refused or reset, timeouts


def deliver(message_id):
    """Send the queued message ``message_id`` once; called by the ``send_message`` task.

    Returns what happened: "sent", "retry", "failed", "held" or "skipped" (not queued, or
    not due yet: another run has it or had it). Raises nothing for mail errors: they are
    recorded on the row.
    """
    now = timezone.now()
    claimed = (
        OutgoingMessage.objects.filter(pk=message_id, status=Status.QUEUED)
        .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
        .update(status=Status.SENDING, claimed_at=now, attempts=F("attempts") + 1, updated_at=now)
    )
    if not claimed:
        return "skipped"
    message = OutgoingMessage.objects.get(pk=message_id)
    rows = OutgoingMessage.objects.filter(pk=message_id)
    # Once the message has gone (or will not go), a one-time code in it has no reason to stay.
    done = WITHOUT_SECRET if message.carries_secret else {}
    suppressed = suppression_for(message.recipient)
    if suppressed is not None:
        rows.update(status=Status.HELD, last_error=held_reason(suppressed), updated_at=now, **done)
        return "held"
    try:
        provider_id = transmit(message)
    except MayHaveBeenSent as error:
        last_error = UNCONFIRMED.format(reason=str(error)[:1500])
        rows.update(status=Status.FAILED, last_error=last_error, updated_at=timezone.now(), **done)
        logger.error("Outgoing message %s may have been sent: %s", message_id, error)
        return "failed"
    except Exception as error:
        reason = f"{type(error).__name__}: {error}"[:2000]
        delays = retry_delays()
        if is_transient(error) and message.attempts <= len(delays):
            delay = delays[message.attempts - 1]
            rows.update(
                status=Status.QUEUED,
                next_attempt_at=timezone.now() + timedelta(seconds=delay),
                last_error=f"Attempt {message.attempts} failed, retrying: {reason}",
                updated_at=timezone.now(),
            )
            logger.warning("Outgoing message %s: %s; retry in %ss", message_id, reason, delay)
            enqueue(message_id, delay)
            return "retry"
        rows.update(status=Status.FAILED, last_error=reason, updated_at=timezone.now(), **done)
        logger.error("Outgoing message %s failed: %s", message_id, reason)
        return "failed"
    rows.update(
        status=Status.SENT,
        sent_at=timezone.now(),
        provider_message_id=provider_id[:300],
        last_error="",
        updated_at=timezone.now(),
        **done,
    )
    return "sent"


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


def recover_stalled(now=None):
    """Mend what a stopped worker or a lost task left behind; returns (interrupted, requeued).

    A message left "sending" longer than ``CMSS_MAIL_SENDING_LEASE_SECONDS`` is marked failed
    (see ``INTERRUPTED``), never resent. A queued message that is due and older than a minute
    is handed to the task again (a duplicate task is harmless: only one run can claim it).
    """
    now = now or timezone.now()
    lease = timedelta(seconds=settings.CMSS_MAIL_SENDING_LEASE_SECONDS)
    stalled = OutgoingMessage.objects.filter(status=Status.SENDING, claimed_at__lt=now - lease)
    interrupted = stalled.filter(carries_secret=True).update(
        status=Status.FAILED, last_error=INTERRUPTED, updated_at=now, **WITHOUT_SECRET
    ) + stalled.update(status=Status.FAILED, last_error=INTERRUPTED, updated_at=now)
    grace = now - timedelta(seconds=settings.CMSS_MAIL_REQUEUE_AFTER_SECONDS)
    stale = OutgoingMessage.objects.filter(status=Status.QUEUED).filter(
        Q(next_attempt_at__isnull=True, created_at__lte=grace) | Q(next_attempt_at__lte=grace)
    )
    ids = list(stale.values_list("pk", flat=True))
    for pk in ids:
        enqueue(pk)
    return interrupted, len(ids)


def secret_lifetime():
    """How long a one-time code that CMSS mails is valid: the longest of allauth's timeouts."""
    return timedelta(
        seconds=max(
            allauth_settings.LOGIN_BY_CODE_TIMEOUT,
            allauth_settings.EMAIL_VERIFICATION_BY_CODE_TIMEOUT,
            allauth_settings.PASSWORD_RESET_BY_CODE_TIMEOUT,
        )
    )


def purge_expired_secrets(now=None):
    """Blank what is left of one-time codes in the log; returns (expired, blanked).

    A message with a code still queued after the code expired is not sent (failed, see
    ``EXPIRED``); one already sent, held or failed keeps no body. A message being sent is left
    to ``deliver`` (or ``recover_stalled``), which blank it when they are done with it.
    """
    now = now or timezone.now()
    secrets = OutgoingMessage.objects.filter(carries_secret=True)
    expired = secrets.filter(status=Status.QUEUED, created_at__lt=now - secret_lifetime()).update(
        status=Status.FAILED, last_error=EXPIRED, updated_at=now, **WITHOUT_SECRET
    )
    blanked = (
        secrets.exclude(status__in=(Status.QUEUED, Status.SENDING))
        .exclude(body_text="", body_html="", attachments=[])
        .update(updated_at=now, **WITHOUT_SECRET)
    )
    return expired, blanked


def messages_to(address):
    """What the log holds about mail to ``address``, for a person's own-data download."""
    return [
        {
            "subject": message.subject,
            "kind": message.kind,
            "status": message.status,
            "created_at": message.created_at.isoformat(),
            "sent_at": message.sent_at.isoformat() if message.sent_at else None,
        }
        for message in OutgoingMessage.objects.filter(recipient__iexact=address).order_by("pk")
    ]


def forget_recipient(address):
    """Erase ``address`` from the mail log: recipient, name, subject, bodies and attachments of
    every message to it are blanked (the rows stay, so delivery counts still add up), and a
    flag on the address is lifted. Mail to it not sent yet (queued or held) is cancelled (status
    cancelled, ``ERASED_UNSENT``): the worker, ``recover_stalled`` and a resend all leave it. Returns how
    many messages were blanked."""
    messages = OutgoingMessage.objects.filter(recipient__iexact=address)
    count = 0
    for pk in messages.values_list("pk", flat=True):
        blank = {
            "recipient": f"erased-{pk}@erased.invalid",
            "recipient_name": "",
            "subject": "(erased)",
            "body_text": "",
            "body_html": "",
            "attachments": [],
            "last_error": "",
        }
        # Not sent yet: cancelled (a message being sent is left to finish).
        cancelled = OutgoingMessage.objects.filter(
            pk=pk, status__in=(Status.QUEUED, Status.HELD)
        ).update(**{**blank, "status": Status.CANCELLED, "last_error": ERASED_UNSENT})
        if not cancelled:
            OutgoingMessage.objects.filter(pk=pk).update(**blank)
        count += 1
    SuppressedAddress.objects.filter(email__iexact=address).delete()
    return count
