"""Webinars, registrations, proposals and case conferences (built out by the events work).

A WebexBooking is one meeting or webinar that CMSS asks Webex for. It exists before Webex
says yes, so that nothing is lost when Webex is slow or down: a booking stays pending, shows
what went wrong, and is tried again from the admin or by a task until it is booked.
"""

import datetime
import uuid
import zoneinfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone


def validate_time_zone(value):
    if value not in zoneinfo.available_timezones():
        raise ValidationError(f"“{value}” is not a time zone name such as Europe/Brussels.")


def default_time_zone():
    return settings.TIME_ZONE


class WebexBooking(models.Model):
    """A case conference meeting or a webinar on Webex, and where booking it has got to."""

    class Kind(models.TextChoices):
        MEETING = "meeting", "Meeting (case conference)"
        WEBINAR = "webinar", "Webinar"

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for Webex"
        BOOKED = "booked", "Booked"
        CANCELLING = "cancelling", "Cancelling on Webex"
        CANCELLED = "cancelled", "Cancelled"

    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.MEETING)
    title = models.CharField(max_length=128)
    agenda = models.TextField(max_length=1300, blank=True)
    start = models.DateTimeField()
    end = models.DateTimeField()
    time_zone = models.CharField(
        max_length=64, default=default_time_zone, validators=[validate_time_zone]
    )
    record_automatically = models.BooleanField(
        default=False, help_text="Webex records it (webinars only, and only if the speaker agreed)."
    )

    status = models.CharField(
        max_length=12, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    # True when start, end, title or agenda changed here and Webex has not been told yet.
    changed_since_booked = models.BooleanField(default=False)
    last_error = models.TextField(blank=True)
    last_error_tracking_id = models.CharField("Webex trackingId", max_length=100, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    # Set while a worker talks to Webex about this booking, so a second one keeps out.
    claimed_until = models.DateTimeField(null=True, blank=True, editable=False)

    # Our key for the meeting on Webex (its integrationTags): a retry finds the meeting an
    # earlier try made instead of making another.
    integration_tag = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    webex_meeting_id = models.CharField("Webex meeting series id", max_length=100, blank=True)
    meeting_number = models.CharField(max_length=32, blank=True)
    web_link = models.URLField(max_length=500, blank=True)
    password = models.CharField(max_length=64, blank=True)
    sip_address = models.CharField("SIP address", max_length=200, blank=True)
    access_code = models.CharField(max_length=32, blank=True)
    call_in_numbers = models.JSONField(default=list, blank=True)
    # Every [start, end] (ISO 8601) this booking had when it was tried while pending: a try
    # whose answer was lost made the meeting at that time, so a later try looks there too,
    # even after the booking has moved.
    tried_windows = models.JSONField(default=list, blank=True, editable=False)
    # The iCalendar SEQUENCE of the invitation: raised whenever the meeting changes.
    sequence = models.PositiveIntegerField(default=0)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-start"]
        verbose_name = "Webex booking"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end__gt=models.F("start")), name="webex_booking_ends_after_start"
            )
        ]

    def __str__(self):
        return f"{self.get_kind_display()}: {self.title} ({self.start:%Y-%m-%d %H:%M})"

    def save(self, *args, update_fields=None, **kwargs):
        # A try raises `attempts` as it claims the booking: a pending booking then records
        # the time it is tried at, so that where a lost answer may have made the meeting is
        # known even after the booking moves.
        tried = self.attempts != self._stored_attempts and (
            update_fields is None or "attempts" in update_fields
        )
        recorded = tried and self.status == self.Status.PENDING and self._record_window()
        if recorded and update_fields is not None:
            update_fields = {*update_fields, "tried_windows"}
        super().save(*args, update_fields=update_fields, **kwargs)
        self._stored_attempts = self.attempts

    # `attempts` as last read from or written to the database.
    _stored_attempts = 0

    @classmethod
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        instance._stored_attempts = instance.__dict__.get("attempts", 0)
        return instance

    def _record_window(self):
        window = [self.start.isoformat(), self.end.isoformat()]
        if window in self.tried_windows:
            return False
        self.tried_windows = [*self.tried_windows, window]
        return True

    def earlier_windows(self):
        """The (start, end) of every time this booking was tried at, for
        MeetingSpec.earlier_windows."""
        return tuple(
            (datetime.datetime.fromisoformat(start), datetime.datetime.fromisoformat(end))
            for start, end in self.tried_windows
        )

    @property
    def needs_webex(self):
        """Whether something here still has to reach Webex."""
        return self.status in (self.Status.PENDING, self.Status.CANCELLING) or (
            self.status == self.Status.BOOKED and self.changed_since_booked
        )

    @property
    def is_claimed(self):
        return self.claimed_until is not None and self.claimed_until > timezone.now()
