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

Where each part lives (callers import from ``cms.mail.services``, which re-exports the names
below):

- ``composing``: ``send_mail`` and ``queue_message``, which store a message and send it after
  commit;
- ``addresses``: ``header_text`` and ``clean_recipient`` (``InvalidRecipient``): nothing that
  could end a header line reaches one, and a recipient is one valid address;
- ``suppression``: flagged addresses, whose mail is held with the reason;
- ``handoff``: ``enqueue``, handing a stored message to the send task;
- ``delivery``: ``deliver``, claiming one queued message and recording what became of it;
- ``transport``: ``transmit`` over a reused connection, and ``MayHaveBeenSent``;
- ``email_message``: ``build_email``, the email built from a stored row;
- ``recovery``: ``recover_stalled``, after a stopped worker or a lost task;
- ``one_time_codes``: ``purge_expired_secrets`` and what a message with a code keeps;
- ``resending``: ``resend`` and ``check_resendable`` (``CannotResend``);
- ``erasure``: ``messages_to`` and ``forget_recipient``, a person's mail in their data.

``enqueue`` and ``transmit`` are not re-exported: their callers use them through their modules
(``handoff.enqueue``, ``transport.transmit``), so that is where one is replaced.
"""

from cms.mail.services.addresses import InvalidRecipient, clean_recipient, header_text
from cms.mail.services.composing import queue_message, send_mail, stored_attachment
from cms.mail.services.delivery import UNCONFIRMED, deliver, is_transient, retry_delays
from cms.mail.services.email_message import build_email
from cms.mail.services.erasure import ERASED_UNSENT, forget_recipient, messages_to
from cms.mail.services.one_time_codes import (
    EXPIRED,
    WITHOUT_SECRET,
    purge_expired_secrets,
    secret_lifetime,
)
from cms.mail.services.recovery import INTERRUPTED, recover_stalled
from cms.mail.services.resending import CannotResend, check_resendable, resend
from cms.mail.services.suppression import held_reason, suppression_for
from cms.mail.services.transport import MayHaveBeenSent, close_connection, may_have_left

__all__ = [
    "ERASED_UNSENT",
    "EXPIRED",
    "INTERRUPTED",
    "UNCONFIRMED",
    "WITHOUT_SECRET",
    "CannotResend",
    "InvalidRecipient",
    "MayHaveBeenSent",
    "build_email",
    "check_resendable",
    "clean_recipient",
    "close_connection",
    "deliver",
    "forget_recipient",
    "header_text",
    "held_reason",
    "is_transient",
    "may_have_left",
    "messages_to",
    "purge_expired_secrets",
    "queue_message",
    "recover_stalled",
    "resend",
    "retry_delays",
    "secret_lifetime",
    "send_mail",
    "stored_attachment",
    "suppression_for",
]
