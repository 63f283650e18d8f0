"""The ``EmailMultiAlternatives`` built from a stored message, for sending and resending alike."""

from email.utils import formataddr

from django.core.mail import EmailMultiAlternatives

from cms.mail.services.addresses import header_text


def build_email(message, connection=None):
    """The ``EmailMultiAlternatives`` for a stored message (used to send and to resend)."""
    headers = {header_text(k): header_text(v) for k, v in (message.headers or {}).items()}
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
