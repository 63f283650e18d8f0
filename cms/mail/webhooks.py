"""The mail provider's tracking webhook (/anymail/<provider>/tracking/) applied to the outgoing-mail log.

Only the provider this site sends through (settings.CMSS_MAIL_WEBHOOK_ESP) is routed: every other
/anymail/ address answers 404 before anything is read. The call is checked by anymail (basic auth
from ANYMAIL_WEBHOOK_SECRET, and the provider's signature where it has one), which answers 400
when that fails. A body that is not what the provider sends (not JSON, not UTF-8, the wrong shape,
missing keys, values of the wrong type) answers 400 as well, with nothing written.

Each event is reduced to the few fields this site uses, as plain text cleaned of control
characters (`event_record`), and applied once: a replayed event finds its key already stored
and changes nothing (`apply_record`). A small call is applied in the request; a larger batch is
answered at once and applied by the task worker, a chunk per task (cms/mail/tasks.py). A bounce
or complaint flags the address, so that later mail to it is held.
"""

import hashlib
import logging
from functools import cache

from anymail.exceptions import AnymailError, AnymailWebhookValidationFailure
from anymail.signals import EventType
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from cms.mail.models import OutgoingMessage, ProcessedWebhookEvent, SuppressedAddress
from cms.text import clean_text

logger = logging.getLogger(__name__)
Status = OutgoingMessage.Status

FLAGGING = {EventType.BOUNCED, EventType.COMPLAINED}
FAILING = {EventType.REJECTED, EventType.FAILED}

# What a provider's body that is not in its documented form raises inside anymail's parsing
# (json: ValueError, UnicodeDecodeError; wrong shapes: TypeError, AttributeError, KeyError...).
MALFORMED = (ValueError, TypeError, AttributeError, LookupError, RecursionError, AnymailError)


class MalformedEvent(ValueError):
    """An event whose fields are not of the types the provider documents."""


def configured_esp():
    """The provider whose tracking webhook is routed ("mailgun", "sendgrid"...), or ""."""
    return (getattr(settings, "CMSS_MAIL_WEBHOOK_ESP", "") or "").strip().lower()


@cache
def tracking_views():
    """anymail's tracking view per provider, as the URL segment names it, made strict (below)."""
    from anymail import urls as anymail_urls

    views = {}
    for pattern in anymail_urls.urlpatterns:
        name = pattern.name or ""
        if name.endswith("_tracking_webhook"):
            base = pattern.callback.view_class
            strict = type(f"Strict{base.__name__}", (StrictTrackingMixin, base), {})
            views[name.removesuffix("_tracking_webhook")] = strict.as_view()
    return views


@csrf_exempt
def tracking_webhook(request, esp):
    """/anymail/<esp>/tracking/: the configured provider's tracking view; 404 for any other."""
    if not esp or esp != configured_esp():
        raise Http404("No mail provider webhook here.")
    view = tracking_views().get(esp)
    if view is None:
        raise Http404("No mail provider webhook here.")
    return view(request)


tracking_webhook.login_required = False  # (Django 5.1's LoginRequiredMiddleware, if ever used)


class StrictTrackingMixin:
    """Put before an anymail tracking view: bad bodies answer 400, events applied once."""

    def post(self, request, *args, **kwargs):
        try:
            self.run_validators(request)
            records = [event_record(event) for event in self.parse_events(request)]
        except AnymailWebhookValidationFailure:
            raise  # anymail's own 400 (failed authentication or signature)
        except MALFORMED as error:
            logger.warning(
                "Refused a %s webhook call whose body is not in the provider's form (%s)",
                self.esp_name,
                type(error).__name__,
            )
            return HttpResponseBadRequest(
                "The body of this call is not in the form the mail provider sends.",
                content_type="text/plain",
            )
        accept(records, self.esp_name)
        return HttpResponse()


def accept(records, esp_name):
    """Apply a small call's events now; hand a larger batch to the task worker in chunks."""
    if len(records) <= settings.CMSS_MAIL_WEBHOOK_INLINE_EVENTS:
        for record in records:
            apply_record(record, esp_name)
        return
    from cms.mail.tasks import apply_tracking_events

    size = max(1, settings.CMSS_MAIL_WEBHOOK_EVENTS_PER_TASK)
    for start in range(0, len(records), size):
        apply_tracking_events.enqueue(esp_name, records[start : start + size])
    logger.info("Queued %s %s tracking events for the task worker", len(records), esp_name)


def _text(value, limit, field):
    """A provider's value as one line of clean text (numbers allowed), or "" when absent."""
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise MalformedEvent(f"{field} is a {type(value).__name__}")
    return clean_text(str(value)).strip()[:limit]


def event_key(event):
    """The provider's event id, or a digest of what identifies the event when it has none."""
    if event.event_id:
        return clean_text(str(event.event_id))[:300]
    parts = [event.message_id, event.event_type, event.recipient, event.timestamp]
    return "sha256:" + hashlib.sha256("|".join(str(p) for p in parts).encode()).hexdigest()


def event_record(event):
    """The fields of an anymail tracking event this site uses, as JSON-safe clean text.

    Raises MalformedEvent when a field has a type the provider never sends."""
    recipient = event.recipient
    if recipient is not None:
        if not isinstance(recipient, str):
            raise MalformedEvent("recipient is not text")
        recipient = clean_text(recipient).strip().lower()
        if recipient:
            try:
                validate_email(recipient)
            except ValidationError as error:
                raise MalformedEvent("recipient is not an email address") from error
    metadata = event.metadata if event.metadata is not None else {}
    if not isinstance(metadata, dict):
        raise MalformedEvent("metadata is not an object")
    detail = event.mta_response or event.description or event.reject_reason
    return {
        "key": event_key(event),
        "event_type": _text(event.event_type, 40, "event_type"),
        "message_id": _text(event.message_id, 998, "message_id"),
        "recipient": recipient or "",
        "outgoing_message": _text(metadata.get("outgoing_message"), 20, "outgoing_message"),
        "detail": _text(detail, 450, "detail"),
    }


def find_message(record):
    if record["message_id"]:
        message = OutgoingMessage.objects.filter(provider_message_id=record["message_id"]).first()
        if message is not None:
            return message
    pk = record["outgoing_message"]
    if pk and pk.isdigit() and len(pk) < 19:
        return OutgoingMessage.objects.filter(pk=int(pk)).first()
    return None


def event_reason(record):
    return f"{record['event_type']}: {record['detail']}".strip(": ")[:500]


def apply_record(record, esp_name):
    """Apply one event (an `event_record`); returns False if it had been applied before."""
    event_type = record["event_type"]
    with transaction.atomic():
        try:
            with transaction.atomic():
                ProcessedWebhookEvent.objects.create(
                    esp_name=esp_name[:50], event_key=record["key"], event_type=event_type
                )
        except IntegrityError:
            logger.info("Ignored a replayed %s event from %s", event_type, esp_name)
            return False
        message = find_message(record)
        now = timezone.now()
        if message is not None:
            if event_type in FLAGGING:
                message.status = Status.BOUNCED
                message.last_error = event_reason(record)
            elif event_type in FAILING and message.status != Status.BOUNCED:
                message.status = Status.FAILED
                message.last_error = event_reason(record)
            message.updated_at = now
            message.save(update_fields=["status", "last_error", "updated_at"])
        recipient = record["recipient"] or (message.recipient.strip().lower() if message else "")
        if event_type in FLAGGING and recipient:
            SuppressedAddress.objects.get_or_create(
                email=recipient,
                defaults={"reason": event_reason(record), "source_message": message},
            )
    return True


def apply_event(event, esp_name):
    """Apply one anymail tracking event; returns False if it had been applied before."""
    return apply_record(event_record(event), esp_name)


def on_tracking_event(sender, event, esp_name, **kwargs):
    """Receiver of anymail's ``tracking`` signal (connected in MailConfig.ready), for any view
    that still sends it; the routed webhook applies events itself (StrictTrackingMixin)."""
    try:
        apply_event(event, esp_name)
    except MalformedEvent as error:
        logger.warning(
            "Ignored a malformed %s event from %s: %s", event.event_type, esp_name, error
        )
