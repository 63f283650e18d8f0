"""Composing a message and storing it: the one way CMSS sends email.

The stored ``OutgoingMessage`` is handed to the send task once the surrounding transaction
commits (``transaction.on_commit``), so a rollback sends nothing.
"""

import base64
from email.utils import make_msgid, parseaddr

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.template import TemplateDoesNotExist
from django.template.loader import render_to_string

from cms.mail.models import OutgoingMessage
from cms.mail.services import handoff
from cms.mail.services.addresses import clean_recipient, header_text
from cms.mail.services.one_time_codes import WITHOUT_SECRET
from cms.mail.services.suppression import held_reason, suppression_for

Status = OutgoingMessage.Status


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
    headers=None,
):
    """Render ``template`` and queue it for ``to``; returns the ``OutgoingMessage``.

    ``template`` names three templates: ``<template>_subject.txt``, ``<template>.txt`` and
    (optional) ``<template>.html``; the text templates should turn autoescaping off.
    ``attachments`` are ``(filename, bytes or str, mimetype)``; a calendar invitation is
    ``("invite.ics", data, "text/calendar; method=REQUEST")``. ``related`` is any model
    instance the message is about; ``headers`` are extra headers (see ``queue_message``).
    Raises ``InvalidRecipient`` for a bad address and ``TemplateDoesNotExist`` for a missing
    subject or text template.
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
        headers=headers,
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
    headers=None,
    send_after_commit=True,
):
    """Store one message for ``to`` and send it after the current transaction commits.

    Mail to a flagged address (``SuppressedAddress``) is stored as held, with the reason, and
    not sent. ``carries_secret`` marks a message with a one-time code or key in it (see the
    module docstring). ``headers`` (``{"Name": "value"}``) are extra headers stored on the row and
    set on the email, e.g. a list message's ``List-Unsubscribe``; names and values pass through
    ``header_text``. With ``send_after_commit`` False the caller delivers it itself (``deliver``,
    e.g. a throttled batch); left queued, ``recover_stalled`` hands it to the task later.
    Returns the ``OutgoingMessage``. Raises ``InvalidRecipient``.
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
        headers={header_text(k): header_text(v) for k, v in (headers or {}).items()},
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
    if not send_after_commit:
        return message
    pk = message.pk
    transaction.on_commit(lambda: handoff.enqueue(pk))
    return message


def stored_attachment(filename, content, mimetype="application/octet-stream"):
    """An attachment as the row stores it (``OutgoingMessage.attachments``)."""
    if isinstance(content, str):
        content = content.encode("utf-8")
    return {
        "filename": header_text(filename),
        "mimetype": header_text(mimetype),
        "content": base64.b64encode(content).decode("ascii"),
    }
