"""The Webex client: one backend, chosen by the WEBEX_BACKEND setting the way Django chooses a
mail backend, that creates, changes and deletes meetings and webinars, registers webinar
registrants and lists recordings. Every failure is a WebexError.

`events.webex.api.WebexAPI` speaks the Webex REST API; `events.webex.simulated.SimulatedWebex`
answers like it with no network, for the demo and the tests.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.conf import settings
from django.utils.module_loading import import_string

DEFAULT_BACKEND = "events.webex.simulated.SimulatedWebex"

MEETING = "meeting"
WEBINAR = "webinar"


class WebexError(Exception):
    """A Webex call that did not succeed.

    `status` is the HTTP status (None for a timeout or a broken connection), `tracking_id`
    the trackingId Webex gave the failed request (quote it to Webex support), `retry_after`
    the seconds Webex asked us to wait before trying again, and `retryable` whether the same
    call may succeed later without anyone changing anything.
    """

    def __init__(
        self, message, *, status=None, tracking_id=None, retry_after=None, retryable=False
    ):
        super().__init__(message)
        self.message = message
        self.status = status
        self.tracking_id = tracking_id
        self.retry_after = retry_after
        self.retryable = retryable

    def __str__(self):
        parts = [self.message]
        if self.status:
            parts.append(f"HTTP {self.status}")
        if self.tracking_id:
            parts.append(f"trackingId {self.tracking_id}")
        return " · ".join(parts)


@dataclass(frozen=True)
class MeetingSpec:
    """What we ask Webex for: one meeting (a case conference) or one webinar.

    `integration_tag` is our own key for the meeting (a booking's UUID); Webex stores it in
    `integrationTags` and lets us find the meeting by it, which is how a retry after a lost
    answer finds the meeting it already made instead of making a second one.
    """

    title: str
    start: datetime.datetime
    end: datetime.datetime
    timezone: str
    kind: str = MEETING
    agenda: str = ""
    record_automatically: bool = False
    integration_tag: str = ""
    # Where else to look for a meeting made under `integration_tag`: the (start, end) of every
    # earlier try, since a try whose answer was lost made it at the time the booking had then.
    # Where to look, not what is asked for: two specs differing only here are equal.
    earlier_windows: tuple[tuple[datetime.datetime, datetime.datetime], ...] = field(
        default=(), compare=False
    )


@dataclass(frozen=True)
class CallInNumber:
    label: str
    number: str
    toll_type: str  # "toll" or "tollFree"


@dataclass(frozen=True)
class MeetingDetails:
    """A meeting as Webex holds it, with what a participant needs to join."""

    id: str
    title: str
    kind: str
    start: datetime.datetime
    end: datetime.datetime
    timezone: str
    web_link: str
    meeting_number: str = ""
    password: str = ""
    sip_address: str = ""
    access_code: str = ""
    call_in_numbers: tuple[CallInNumber, ...] = ()
    register_link: str = ""
    record_automatically: bool = False
    integration_tags: tuple[str, ...] = ()

    def call_in_numbers_as_json(self):
        return [
            {"label": n.label, "number": n.number, "toll_type": n.toll_type}
            for n in self.call_in_numbers
        ]


@dataclass(frozen=True)
class Registrant:
    id: str
    email: str
    first_name: str
    last_name: str
    status: str = "approved"
    # Webex's registration id for this person: what their own join link is made with.
    registration_id: str = ""


@dataclass(frozen=True)
class Recording:
    id: str
    meeting_series_id: str
    topic: str
    created: datetime.datetime
    playback_url: str
    download_url: str = ""
    password: str = ""
    duration_seconds: int = 0
    format: str = "MP4"
    meeting_id: str = ""
    extra: dict = field(default_factory=dict, compare=False, repr=False)


@dataclass(frozen=True)
class Participant:
    """One person's time in an ended meeting instance (GET /meetingParticipants): Webex lists a
    person again for each time they joined; `left` is None while they are still in."""

    email: str
    display_name: str
    joined: datetime.datetime | None
    left: datetime.datetime | None
    host: bool = False


class WebexBackend:
    """What every backend does. Each method raises WebexError when Webex says no."""

    def create_meeting(self, spec: MeetingSpec) -> MeetingDetails:
        raise NotImplementedError

    def find_meeting(self, spec: MeetingSpec) -> MeetingDetails | None:
        """The meeting already made for `spec` (same integration tag) at its time or at one of
        its `earlier_windows`, or None."""
        raise NotImplementedError

    def get_meeting(self, meeting_id: str) -> MeetingDetails:
        raise NotImplementedError

    def update_meeting(self, meeting_id: str, spec: MeetingSpec) -> MeetingDetails:
        raise NotImplementedError

    def delete_meeting(self, meeting_id: str) -> None:
        raise NotImplementedError

    def register(self, meeting_id: str, *, email, first_name, last_name) -> Registrant:
        """Register someone for a webinar (meeting_id is the series id)."""
        raise NotImplementedError

    def find_registrant(self, meeting_id: str, email: str) -> Registrant | None:
        """The registrant of a webinar with this email address, or None."""
        raise NotImplementedError

    def join_link(
        self, meeting_id: str, *, email, display_name, registration_id="", password=""
    ) -> str:
        """The link with which one registrant joins a webinar (meeting_id is the series id)."""
        raise NotImplementedError

    def list_recordings(self, meeting_series_id: str) -> list[Recording]:
        raise NotImplementedError

    def ended_instances(
        self, meeting_series_id: str, *, start: datetime.datetime, end: datetime.datetime
    ) -> list[str]:
        """The ids of the ended instances of a meeting series held around [start, end] (Webex
        lists them 15 minutes after they end)."""
        raise NotImplementedError

    def list_participants(self, meeting_id: str) -> list[Participant]:
        """Everyone who joined the ended meeting instance `meeting_id`."""
        raise NotImplementedError


def get_backend(path=None, **kwargs) -> WebexBackend:
    """An instance of the backend named by `path` or the WEBEX_BACKEND setting."""
    path = path or getattr(settings, "WEBEX_BACKEND", "") or DEFAULT_BACKEND
    return import_string(path)(**kwargs)
