"""A Webex that lives in this process: it answers like the REST API (ids, meeting numbers,
join links, dial-in numbers, registrants, recordings) with no network, for the demo and the
tests. Everything it knows is lost when the process ends.
"""

from __future__ import annotations

import datetime
import hashlib
import secrets
import threading
import uuid

from django.utils import timezone

from . import (
    WEBINAR,
    CallInNumber,
    MeetingDetails,
    MeetingSpec,
    Participant,
    Recording,
    Registrant,
    WebexBackend,
    WebexError,
)

SITE = "cmss-demo.webex.com"
# Webex's shared dial-in numbers for a European site look like these.
CALL_IN_NUMBERS = (
    CallInNumber("Belgium Toll", "+32-2-894-8010", "toll"),
    CallInNumber("Germany Toll", "+49-619-6781-9736", "toll"),
    CallInNumber("France Toll Free", "+33-805-101-425", "tollFree"),
)


class SimulatedWebex(WebexBackend):
    """Keeps meetings, registrants and recordings in memory, shared by every instance."""

    _lock = threading.Lock()
    _meetings: dict[str, MeetingDetails] = {}
    _registrants: dict[str, list[Registrant]] = {}

    def __init__(self, **kwargs):
        pass

    @classmethod
    def reset(cls):
        with cls._lock:
            cls._meetings.clear()
            cls._registrants.clear()

    @classmethod
    def meetings(cls):
        with cls._lock:
            return list(cls._meetings.values())

    def _require(self, meeting_id):
        try:
            return self._meetings[meeting_id]
        except KeyError:
            raise WebexError(
                "Webex refused to read the meeting: Meeting not found",
                status=404,
                tracking_id=f"SIMULATED_{uuid.uuid4().hex.upper()}",
            ) from None

    def _check(self, spec: MeetingSpec):
        minutes = (spec.end - spec.start).total_seconds() / 60
        if not 10 <= minutes < 24 * 60:
            raise WebexError(
                "Webex refused the meeting: the duration must be between 10 minutes "
                "and 23 hours 59 minutes",
                status=400,
                tracking_id=f"SIMULATED_{uuid.uuid4().hex.upper()}",
            )

    def _build(self, spec, meeting_id, password=None):
        digest = int(hashlib.sha256(meeting_id.encode()).hexdigest(), 16)
        number = str(2_000_000_000 + digest % 700_000_000)
        return MeetingDetails(
            id=meeting_id,
            title=spec.title[:128],
            kind=spec.kind,
            start=spec.start.replace(second=0, microsecond=0),
            end=spec.end.replace(second=0, microsecond=0),
            timezone=spec.timezone,
            web_link=f"https://{SITE}/cmss-demo/j.php?MTID=m{digest % 16**32:032x}",
            meeting_number=number,
            password=password or self._password(),
            sip_address=f"{number}@{SITE}",
            access_code=number,
            call_in_numbers=CALL_IN_NUMBERS,
            register_link=(
                f"https://{SITE}/weblink/register/r{meeting_id}" if spec.kind == WEBINAR else ""
            ),
            record_automatically=spec.record_automatically,
            integration_tags=(spec.integration_tag,) if spec.integration_tag else (),
        )

    @staticmethod
    def _password():
        # Webex passwords mix upper and lower case letters and digits.
        return f"Cm{secrets.token_hex(3)}S{secrets.randbelow(90) + 10}"

    def create_meeting(self, spec):
        self._check(spec)
        with self._lock:
            existing = self._find(spec)
            if existing is not None:
                return existing
            meeting = self._build(spec, uuid.uuid4().hex)
            self._meetings[meeting.id] = meeting
            return meeting

    def _find(self, spec):
        if not spec.integration_tag:
            return None
        for meeting in self._meetings.values():
            if spec.integration_tag in meeting.integration_tags:
                return meeting
        return None

    def find_meeting(self, spec):
        with self._lock:
            return self._find(spec)

    def get_meeting(self, meeting_id):
        with self._lock:
            return self._require(meeting_id)

    def update_meeting(self, meeting_id, spec, *, password=None):
        self._check(spec)
        with self._lock:
            current = self._require(meeting_id)
            meeting = self._build(spec, meeting_id, password=password or current.password)
            self._meetings[meeting_id] = meeting
            return meeting

    def delete_meeting(self, meeting_id):
        with self._lock:
            self._meetings.pop(meeting_id, None)
            self._registrants.pop(meeting_id, None)

    def register(self, meeting_id, *, email, first_name, last_name):
        with self._lock:
            self._require(meeting_id)
            registrants = self._registrants.setdefault(meeting_id, [])
            for registrant in registrants:
                if registrant.email.lower() == email.lower():
                    return registrant
            registrant = Registrant(
                id=str(secrets.randbelow(9_000_000) + 1_000_000),
                email=email,
                first_name=first_name,
                last_name=last_name,
                registration_id=str(secrets.randbelow(900_000) + 100_000),
            )
            registrants.append(registrant)
            return registrant

    def find_registrant(self, meeting_id, email):
        with self._lock:
            self._require(meeting_id)
            for registrant in self._registrants.get(meeting_id, []):
                if registrant.email.lower() == email.lower():
                    return registrant
        return None

    def join_link(self, meeting_id, *, email, display_name, registration_id="", password=""):
        """A join link of the webinar's own, carrying the person's registration id, as Webex's
        registrant links do."""
        with self._lock:
            meeting = self._require(meeting_id)
        person = hashlib.sha256(f"{meeting_id}|{email.lower()}".encode()).hexdigest()[:24]
        return f"{meeting.web_link}&RGID=r{person}&RID={registration_id or person[:8]}"

    def list_recordings(self, meeting_series_id, *, since=None, until=None):
        """One recording for a meeting that asked to be recorded and has ended."""
        with self._lock:
            meeting = self._meetings.get(meeting_series_id)
        if meeting is None or not meeting.record_automatically or meeting.end > timezone.now():
            return []
        recording_id = hashlib.sha256(f"rec{meeting.id}".encode()).hexdigest()[:32]
        return [
            Recording(
                id=recording_id,
                meeting_series_id=meeting.id,
                meeting_id=f"{meeting.id}_I_{int(meeting.start.timestamp())}",
                topic=meeting.title,
                created=meeting.end + datetime.timedelta(minutes=5),
                playback_url=f"https://{SITE}/cmss-demo/ldr.php?RCID={recording_id}",
                download_url=f"https://{SITE}/cmss-demo/lsr.php?RCID={recording_id}",
                password=meeting.password,
                duration_seconds=int((meeting.end - meeting.start).total_seconds()),
                format="MP4",
            )
        ]

    # Attendance ---------------------------------------------------------------------------
    # Made up, but the same every time for the same instance and email: about four in five
    # registrants join, some twice (a dropped connection), for most or part of the webinar;
    # the host is listed too; some addresses come back in another case, as Webex may give them.

    def ended_instances(self, meeting_series_id, *, start, end):
        """One ended instance at `start`, once `end` has passed (the simulated Webex forgets its
        meetings when the process ends, so the series need not be known)."""
        if end > timezone.now():
            return []
        return [f"{meeting_series_id}_I_{int(start.timestamp())}"]

    def list_participants(self, meeting_id):
        series_id, _, started = meeting_id.partition("_I_")
        if not started.isdigit():
            raise WebexError(
                "Webex refused to list the participants: Meeting not found",
                status=404,
                tracking_id=f"SIMULATED_{uuid.uuid4().hex.upper()}",
            )
        start = datetime.datetime.fromtimestamp(int(started), tz=datetime.UTC)
        with self._lock:
            meeting = self._meetings.get(series_id)
            known = [r.email for r in self._registrants.get(series_id, [])]
        length = (meeting.end - meeting.start) if meeting else datetime.timedelta(hours=1)
        participants = [
            Participant(
                email="helpdesk@cmss.example.eu",
                display_name="CMSS helpdesk",
                joined=start - datetime.timedelta(minutes=10),
                left=start + length,
                host=True,
            )
        ]
        for email in dict.fromkeys([*known, *self._registered_in_database(series_id)]):
            participants.extend(self._attendance(meeting_id, email, start, length))
        return participants

    @staticmethod
    def _registered_in_database(series_id):
        """Who CMSS registered on this webinar, as Webex would know them: the simulated Webex
        keeps registrants in memory only, so after a restart it reads them where the demo put
        them (confirmed registrations of the booking with this series id)."""
        from events.models import Registration

        return list(
            Registration.objects.filter(
                webinar__booking__webex_meeting_id=series_id,
                status=Registration.Status.CONFIRMED,
                erased=False,
            ).values_list("email", flat=True)
        )

    @staticmethod
    def _attendance(meeting_id, email, start, length):
        digest = int(hashlib.sha256(f"{meeting_id}|{email.lower()}".encode()).hexdigest(), 16)
        if digest % 10 < 2:  # one in five does not come
            return []
        minutes = length.total_seconds() / 60
        late = digest // 10 % 12  # up to 11 minutes late
        stays = minutes * (0.4 + (digest // 120 % 61) / 100)  # 40 % to all of it
        joined = start + datetime.timedelta(minutes=late)
        left = min(joined + datetime.timedelta(minutes=stays), start + length)
        shown = email.upper() if digest % 7 == 0 else email
        name = email.partition("@")[0]
        if digest % 5 == 0 and left - joined > datetime.timedelta(minutes=10):
            # Dropped out for three minutes and came back.
            gap = joined + (left - joined) / 2
            return [
                Participant(shown, name, joined, gap),
                Participant(shown, name, gap + datetime.timedelta(minutes=3), left),
            ]
        return [Participant(shown, name, joined, left)]
