"""The outgoing-mail log, the addresses that must not be mailed, and webhook events already applied."""

import base64

from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone

# What the admin shows instead of the body of a message that carried a one-time code.
CODE_NOT_STORED = "(contains a one-time code: not stored)"


class OutgoingMessage(models.Model):
    """One email to one recipient, stored before it is sent so that nothing goes out unrecorded.

    The row holds everything needed to build the message again (bodies, headers, attachments),
    so a resend by the helpdesk produces the same email. Status moves queued → sending → sent
    (or failed, held); a provider's webhook may later move sent → bounced. Mail not sent yet
    (queued or held) is cancelled when its recipient's data is erased.

    A message that ``carries_secret`` (a sign-in code, a confirmation key) is the exception: its
    bodies are kept only until it is sent, then blanked, the admin never shows them, and it
    cannot be resent (whoever could read or resend it could sign in as the recipient).
    """

    # Not in Wagtail's reference index: these rows are records about people, not content that
    # uses a page or document, and each save would write index rows (an announcement to the
    # whole list stores thousands of messages).
    wagtail_reference_index_ignore = True

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"
        BOUNCED = "bounced", "Bounced"
        HELD = "held", "Held"
        # Never sent, and never to be: its recipient's data was erased before it left.
        CANCELLED = "cancelled", "Cancelled"

    recipient = models.EmailField(max_length=254, db_index=True)
    recipient_name = models.CharField(max_length=200, blank=True)
    from_email = models.CharField(max_length=300)
    reply_to = models.CharField(max_length=300, blank=True)
    subject = models.CharField(max_length=400)
    body_text = models.TextField()
    body_html = models.TextField(blank=True)
    # [{"filename": ..., "mimetype": ..., "content": base64}], in order.
    attachments = models.JSONField(default=list, blank=True)
    # Extra headers, {"Name": "value"}: a list message's List-Unsubscribe and List-Unsubscribe-Post.
    headers = models.JSONField(default=dict, blank=True)
    kind = models.CharField(
        max_length=60, db_index=True, help_text="What the message is for, e.g. sign-in code."
    )
    carries_secret = models.BooleanField(
        default=False,
        editable=False,
        help_text="It holds a one-time code or key: not shown, not resent, blanked once sent.",
    )
    content_type = models.ForeignKey(
        ContentType, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    object_id = models.CharField(max_length=64, blank=True)
    related_object = GenericForeignKey("content_type", "object_id")

    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.QUEUED, db_index=True
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    # The Message-ID header we set, replaced by the provider's id when it gives one.
    provider_message_id = models.CharField(max_length=300, blank=True, db_index=True)
    resent_from = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="resends"
    )

    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    # A queued message is not sent before this (backoff after a transient error).
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    # When the current send started: a row left in "sending" long after this was interrupted.
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = "outgoing message"
        verbose_name_plural = "outgoing mail"
        permissions = [("resend_outgoingmessage", "Can resend outgoing mail")]
        indexes = [models.Index(fields=["status", "next_attempt_at"])]

    def __str__(self):
        return f"{self.subject} → {self.recipient} ({self.get_status_display()})"

    @property
    def recipient_display(self):
        return (
            f"{self.recipient_name} <{self.recipient}>" if self.recipient_name else self.recipient
        )

    @property
    def body_shown(self):
        """The text body as the admin shows it: never one that carried a one-time code."""
        return CODE_NOT_STORED if self.carries_secret else self.body_text

    body_shown.fget.short_description = "Body"

    def attachment_files(self):
        """The attachments as (filename, bytes, mimetype)."""
        return [
            (a["filename"], base64.b64decode(a["content"]), a["mimetype"]) for a in self.attachments
        ]


class SuppressedAddress(models.Model):
    """An address that bounced or complained: later mail to it is held, with this reason shown."""

    email = models.EmailField(max_length=254, unique=True)
    reason = models.CharField(max_length=500)
    source_message = models.ForeignKey(
        OutgoingMessage, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "flagged address"
        verbose_name_plural = "flagged addresses"

    def __str__(self):
        return f"{self.email}: {self.reason}"

    def save(self, *args, **kwargs):
        self.email = self.email.strip().lower()
        super().save(*args, **kwargs)


class ProcessedWebhookEvent(models.Model):
    """A provider's tracking event already applied, so that a replayed call changes nothing."""

    esp_name = models.CharField(max_length=50)
    event_key = models.CharField(max_length=300)
    event_type = models.CharField(max_length=40)
    received_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["esp_name", "event_key"], name="mail_event_once")
        ]

    def __str__(self):
        return f"{self.esp_name} {self.event_type} {self.event_key}"
