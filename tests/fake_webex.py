"""A fake Webex on loopback: a real HTTP server (in a thread) that implements the meetings,
registrants, recordings and token endpoints the client uses, with Webex's status codes and
error bodies, and can be told to fail (5xx, 429 with Retry-After, a slow answer, an expired
token). It records every exchange so tests can check them against the official spec.
"""

from __future__ import annotations

import contextlib
import datetime
import hashlib
import itertools
import json
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlparse

SPEC_PATH = (
    Path(__file__).resolve().parent.parent.parent
    / "shared"
    / "webex"
    / "webex-meetings-subset.resolved.json"
)
JSON_UTF8 = "application/json;charset=UTF-8"
SITE = "cmss-fake.webex.com"
CLIENT_ID = "fake-client-id"
CLIENT_SECRET = "fake-client-secret"
REFRESH_TOKEN = "fake-refresh-token"
FIRST_TOKEN = "fake-access-token-1"


@dataclass
class Fault:
    # "500", "502", "503", "429", "401", "timeout" (answer after `delay`), or "raw": do the
    # work, then answer 200 with `body` as `content_type` (an empty body, `null`, `{}`, HTML).
    kind: str
    times: int = 1
    method: str | None = None
    path: str | None = None  # matched against the path below /v1, e.g. "/meetings"
    retry_after: int = 1
    delay: float = 1.0
    body: bytes = b""
    content_type: str = "application/json"

    def matches(self, method, path):
        return (self.method in (None, method)) and (self.path in (None, path))


@dataclass
class Exchange:
    method: str
    url: str
    headers: dict
    body: bytes
    status: int = 0
    response_headers: dict = field(default_factory=dict)
    response_body: bytes = b""


def _tracking_id():
    return f"FAKE_{uuid.uuid4().hex.upper()}_{int(time.time() * 1000)}"


def _parse_time(value):
    parsed = datetime.datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=datetime.UTC)
    return parsed


class FakeWebex:
    def __init__(self):
        self.lock = threading.Lock()
        self.meetings: dict[str, dict] = {}
        self.registrants: dict[str, list[dict]] = {}
        self.recordings: list[dict] = []
        self.valid_tokens = {FIRST_TOKEN}
        self.token_counter = itertools.count(2)
        self.faults: list[Fault] = []
        self.exchanges: list[Exchange] = []
        self.create_delay = 0.0  # seconds each POST /meetings takes, to let races overlap
        self.page_size = 100
        # Whether a recordings page's `Link: rel="next"` repeats the whole query (False: only
        # the offset, as a paging cursor that expects the client to keep its own query).
        self.link_keeps_query = True
        # Ended instances of each meeting series, and who took part in each (end_meeting).
        self.instances: dict[str, list[dict]] = {}
        self.participants: dict[str, list[dict]] = {}
        self.server = None
        self.thread = None

    # Lifecycle ----------------------------------------------------------------------------

    def start(self):
        fake = self

        class Handler(WebexHandler):
            webex = fake

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        return self

    def stop(self):
        self.server.shutdown()
        self.server.server_close()

    @property
    def url(self):
        return f"http://127.0.0.1:{self.server.server_address[1]}/v1"

    # Controls -----------------------------------------------------------------------------

    def fail(self, kind, **kwargs):
        with self.lock:
            self.faults.append(Fault(str(kind), **kwargs))

    def expire_token(self):
        """Every access token issued so far stops working (Webex answers 401)."""
        with self.lock:
            self.valid_tokens.clear()

    def take_fault(self, method, path, exact=False):
        with self.lock:
            for fault in self.faults:
                if exact and fault.path != path:
                    continue
                if fault.times > 0 and fault.matches(method, path):
                    fault.times -= 1
                    return fault
        return None

    def calls(self, method=None, path=None):
        return [
            e
            for e in self.exchanges
            if (method is None or e.method == method)
            and (path is None or urlparse(e.url).path == f"/v1{path}")
        ]

    def add_recording(self, meeting_series_id, **fields):
        meeting = self.meetings[meeting_series_id]
        recording_id = uuid.uuid4().hex
        start = _parse_time(meeting["start"])
        recording = {
            "id": recording_id,
            "meetingId": f"{meeting_series_id}_I_{int(start.timestamp())}",
            "meetingSeriesId": meeting_series_id,
            "scheduledMeetingId": f"{meeting_series_id}_{start:%Y%m%dT%H%M%SZ}",
            "topic": meeting["title"],
            "createTime": (start + datetime.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "timeRecorded": start.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "siteUrl": SITE,
            "downloadUrl": f"https://{SITE}/site/lsr.php?RCID={recording_id}",
            "playbackUrl": f"https://{SITE}/site/ldr.php?RCID={recording_id}",
            "password": "********",
            "format": "MP4",
            "serviceType": "EventCenter",
            "durationSeconds": 3600,
            "sizeBytes": 168103,
            "shareToMe": False,
            "status": "available",
        }
        recording.update(fields)
        self.recordings.append(recording)
        return recording

    # Endpoint logic: returns (status, headers, body) ---------------------------------------

    def handle(self, method, path, query, headers, body):
        if path == "/access_token" and method == "POST":
            # Only a fault aimed at the token endpoint by name touches it.
            fault = self.take_fault(method, path, exact=True)
            if fault and fault.kind == "raw":
                return 200, {"Content-Type": fault.content_type}, fault.body
            return self.token(body)
        fault = self.take_fault(method, path)
        if fault and fault.kind == "429":
            return (
                429,
                {"Content-Type": "text/html", "Retry-After": str(fault.retry_after)},
                b"<html><body><h1>429 Too Many Requests</h1></body></html>",
            )
        if fault and fault.kind in ("500", "502", "503", "504"):
            return self.error(int(fault.kind), "Internal server error.")
        auth = headers.get("Authorization", "")
        if fault and fault.kind == "401" or auth.removeprefix("Bearer ") not in self.valid_tokens:
            return self.error(
                401,
                "The request requires a valid access token set in the Authorization "
                "request header.",
            )
        try:
            data = json.loads(body) if body else {}
        except ValueError:
            return self.error(400, "The request body is not JSON.")
        result = self.route(method, path, query, data)
        if fault and fault.kind == "raw" and result[0] < 300:
            return 200, {"Content-Type": fault.content_type}, fault.body
        if fault and fault.kind == "timeout":
            # Done, but the answer comes too late: the client has given up by then.
            time.sleep(fault.delay)
        return result

    def route(self, method, path, query, data):
        parts = path.strip("/").split("/")
        if parts == ["meetings"]:
            return self.create_meeting(data) if method == "POST" else self.list_meetings(query)
        if parts == ["meetings", "join"] and method == "POST":
            return self.join(data)
        if parts[0] == "meetings" and len(parts) == 2:
            meeting = self.meetings.get(parts[1])
            if meeting is None:
                return self.error(404, "Meeting not found.")
            if method == "GET":
                return self.ok(meeting)
            if method == "PUT":
                return self.update_meeting(meeting, data)
            if method == "DELETE":
                with self.lock:
                    del self.meetings[parts[1]]
                return 204, {}, b""
        if parts[0] == "meetings" and len(parts) >= 3 and parts[2] == "registrants":
            if parts[1] not in self.meetings:
                return self.error(404, "Meeting not found.")
            if len(parts) == 3 and method == "POST":
                return self.register(parts[1], data)
            if parts[3:] == ["query"] and method == "POST":
                emails = {e.lower() for e in data.get("emails", [])}
                items = [
                    r for r in self.registrants.get(parts[1], []) if r["email"].lower() in emails
                ]
                return self.ok({"items": items}, content_type="application/json")
        if parts == ["recordings"] and method == "GET":
            return self.list_recordings(query)
        if parts == ["meetingParticipants"] and method == "GET":
            return self.list_participants(query)
        return self.error(404, "The requested resource could not be found.")

    def ok(self, body, content_type=JSON_UTF8, headers=None):
        return 200, {"Content-Type": content_type, **(headers or {})}, json.dumps(body).encode()

    def error(self, status, message, description=None):
        body = {
            "message": message,
            "errors": [{"description": description or message}],
            "trackingId": _tracking_id(),
        }
        return status, {"Content-Type": "application/json"}, json.dumps(body).encode()

    def token(self, body):
        form = {k: v[0] for k, v in parse_qs(body.decode()).items()}
        if (
            form.get("grant_type") != "refresh_token"
            or form.get("refresh_token") != REFRESH_TOKEN
            or form.get("client_id") != CLIENT_ID
            or form.get("client_secret") != CLIENT_SECRET
        ):
            return self.error(400, "Invalid refresh token or client.")
        token = f"fake-access-token-{next(self.token_counter)}"
        with self.lock:
            self.valid_tokens.add(token)
        return self.ok(
            {
                "access_token": token,
                "expires_in": 1209600,
                "refresh_token": REFRESH_TOKEN,
                "refresh_token_expires_in": 7776000,
            },
            content_type="application/json",
        )

    def _check_meeting(self, data, required):
        missing = [name for name in required if not data.get(name)]
        if missing:
            return self.error(
                400,
                "The input parameters contain invalid items.",
                f"Missing required field(s): {', '.join(missing)}.",
            )
        start, end = _parse_time(data["start"]), _parse_time(data["end"])
        minutes = (end - start).total_seconds() / 60
        if not 10 <= minutes < 24 * 60:
            return self.error(
                400,
                "The input parameters contain invalid items.",
                "Meeting duration must be between 10 minutes and 23 hours 59 minutes.",
            )
        return None

    def create_meeting(self, data):
        problem = self._check_meeting(data, ["title", "start", "end"])
        if problem:
            return problem
        if data.get("scheduledType") == "webinar" and not data.get("sessionTypeId"):
            return self.error(400, "sessionTypeId is required when scheduling a webinar.")
        if self.create_delay:
            time.sleep(self.create_delay)
        meeting_id = uuid.uuid4().hex
        number = str(
            2_300_000_000 + int(hashlib.sha256(meeting_id.encode()).hexdigest(), 16) % 10**8
        )
        scheduled_type = data.get("scheduledType", "meeting")
        meeting = {
            "id": meeting_id,
            "meetingNumber": number,
            "title": data["title"],
            "agenda": data.get("agenda", ""),
            "password": data.get("password") or "Fk" + uuid.uuid4().hex[:6] + "9",
            "phoneAndVideoSystemPassword": "81365402",
            "meetingType": "meetingSeries",
            "state": "active",
            "timezone": data.get("timezone", "UTC"),
            "start": data["start"],
            "end": data["end"],
            "hostUserId": "Y2lzY29zcGFyazovL3VzL1BFT1BMRS9mYWtlLWhvc3Q",
            "hostDisplayName": "CMSS Helpdesk",
            "hostEmail": data.get("hostEmail", "helpdesk@cmss.example.eu"),
            "hostKey": "123456",
            "siteUrl": SITE,
            "webLink": f"https://{SITE}/site/j.php?MTID=m{uuid.uuid4().hex}",
            "sipAddress": f"{number}@{SITE}",
            "dialInIpAddress": "173.243.2.68",
            "enabledAutoRecordMeeting": bool(data.get("enabledAutoRecordMeeting")),
            "scheduledType": scheduled_type,
            "telephony": {
                "accessCode": number,
                "callInNumbers": [
                    {"label": "Belgium Toll", "callInNumber": "+32-2-894-8010", "tollType": "toll"},
                    {
                        "label": "France Toll Free",
                        "callInNumber": "+33-805-101-425",
                        "tollType": "tollFree",
                    },
                ],
                "links": [
                    {
                        "rel": "globalCallinNumbers",
                        "href": f"/api/v1/meetings/{meeting_id}/globalCallinNumbers",
                        "method": "GET",
                    }
                ],
            },
            "enabledBreakoutSessions": False,
            "integrationTags": list(data.get("integrationTags", [])),
        }
        if data.get("sessionTypeId"):
            meeting["sessionTypeId"] = data["sessionTypeId"]
        if scheduled_type == "webinar":
            meeting["registerLink"] = f"https://{SITE}/weblink/register/r{meeting_id}"
        with self.lock:
            self.meetings[meeting_id] = meeting
        return self.ok(meeting)

    def update_meeting(self, meeting, data):
        problem = self._check_meeting(data, ["title", "password", "start", "end"])
        if problem:
            return problem
        for name in ("title", "agenda", "password", "start", "end", "timezone"):
            if name in data:
                meeting[name] = data[name]
        if "enabledAutoRecordMeeting" in data:
            meeting["enabledAutoRecordMeeting"] = bool(data["enabledAutoRecordMeeting"])
        return self.ok({**meeting, "meetingSeriesId": meeting["id"]})

    def list_meetings(self, query):
        q = {k: v[0] for k, v in query.items()}
        if "meetingSeriesId" in q:
            return self.list_instances(q)
        now = datetime.datetime.now(datetime.UTC)
        # Webex's window for meeting series: from now (or to - 7 days) to from + 7 days.
        if "from" in q:
            start = _parse_time(q["from"])
        elif "to" in q:
            start = _parse_time(q["to"]) - datetime.timedelta(days=7)
        else:
            start = now
        end = _parse_time(q["to"]) if "to" in q else start + datetime.timedelta(days=7)
        items = []
        for meeting in list(self.meetings.values()):
            if "integrationTag" in q and q["integrationTag"] not in meeting["integrationTags"]:
                continue
            if "scheduledType" in q and q["scheduledType"] != meeting["scheduledType"]:
                continue
            if not start <= _parse_time(meeting["start"]) < end:
                continue
            items.append({**meeting, "meetingSeriesId": meeting["id"]})
        return self.ok({"items": items})

    def register(self, meeting_id, data):
        missing = [n for n in ("firstName", "lastName", "email") if not data.get(n)]
        if missing:
            return self.error(400, "The input parameters contain invalid items.", str(missing))
        registrant = {
            "id": str(1_000_000 + len(self.registrants.get(meeting_id, [])) + 1),
            "status": "approved",
            "firstName": data["firstName"],
            "lastName": data["lastName"],
            "email": data["email"],
            "registrationTime": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "registrationId": str(500_000 + len(self.registrants.get(meeting_id, [])) + 1),
        }
        with self.lock:
            self.registrants.setdefault(meeting_id, []).append(registrant)
        return self.ok(registrant, content_type="application/json")

    def join(self, data):
        """POST /meetings/join with joinDirectly false: a join link for one person (a
        registrant of a webinar needs their registrationId)."""
        meeting = self.meetings.get(data.get("meetingId", ""))
        if meeting is None:
            return self.error(404, "Meeting not found.")
        if data.get("joinDirectly", True) is not False:
            return self.error(400, "The fake answers only joinDirectly false.")
        if meeting["scheduledType"] == "webinar":
            known = {r.get("registrationId") for r in self.registrants.get(meeting["id"], [])}
            if data.get("registrationId") not in known:
                return self.error(400, "registrationId is required for this webinar.")
        token = hashlib.sha256(f"{meeting['id']}|{data.get('email', '')}".encode()).hexdigest()
        link = (
            f"https://{SITE}/wbxmjs/joinservice/sites/site/meeting/download/{meeting['id']}"
            f"?siteurl=site&integrationJoinToken={token}"
        )
        expiration = datetime.datetime.now(datetime.UTC) + datetime.timedelta(minutes=60)
        return self.ok({"joinLink": link, "expiration": expiration.strftime("%Y-%m-%dT%H:%M:%SZ")})

    def list_recordings(self, query):
        q = {k: v[0] for k, v in query.items()}
        wanted = q.get("meetingId")
        items = [
            r
            for r in self.recordings
            if wanted in (None, r["meetingId"], r["meetingSeriesId"], r["scheduledMeetingId"])
        ]
        items.sort(key=lambda r: r["createTime"], reverse=True)
        offset = int(q.get("offset", 0))
        size = min(int(q.get("max", 10)), self.page_size)
        page = items[offset : offset + size]
        headers = {}
        if offset + size < len(items):
            next_query = {**q, "offset": offset + size} if self.link_keeps_query else {}
            next_query["offset"] = offset + size
            headers["Link"] = f'<{self.url}/recordings?{urlencode(next_query)}>; rel="next"'
        return self.ok({"items": page}, headers=headers)

    # Attendance: ended instances and their participants -----------------------------------

    def end_meeting(self, meeting_series_id, participants):
        """Hold the meeting once and end it: an ended instance whose participants are
        ``participants``, each ``(email, joined, left)`` (aware datetimes) or a dict of the
        Participant fields to send as they are. Returns the instance id."""
        meeting = self.meetings[meeting_series_id]
        start = _parse_time(meeting["start"])
        instance_id = f"{meeting_series_id}_I_{int(start.timestamp() * 1000)}"
        instance = {
            **meeting,
            "id": instance_id,
            "meetingSeriesId": meeting_series_id,
            "meetingType": "meeting",
            "state": "ended",
        }
        items = []
        for number, person in enumerate(participants):
            if isinstance(person, dict):
                items.append(person)
                continue
            email, joined, left = person
            items.append(
                {
                    "id": f"{instance_id}_{number}",
                    "orgId": "fake-org",
                    "host": False,
                    "coHost": False,
                    "spaceModerator": False,
                    "email": email,
                    "displayName": email.partition("@")[0],
                    "invitee": False,
                    "muted": True,
                    "meetingStartTime": meeting["start"],
                    "video": "off",
                    "state": "end",
                    "joinedTime": joined.strftime("%Y-%m-%dT%H:%M:%SZ"),
                    "leftTime": left.strftime("%Y-%m-%dT%H:%M:%SZ"),
                    "siteUrl": SITE,
                    "meetingId": instance_id,
                    "hostEmail": meeting["hostEmail"],
                }
            )
        with self.lock:
            self.instances.setdefault(meeting_series_id, []).append(instance)
            self.participants[instance_id] = items
        return instance_id

    def _page(self, path, q, items):
        offset = int(q.get("offset", 0))
        size = min(int(q.get("max", 10)), self.page_size)
        headers = {}
        if offset + size < len(items):
            next_query = {**q} if self.link_keeps_query else {}
            next_query["offset"] = offset + size
            headers["Link"] = f'<{self.url}{path}?{urlencode(next_query)}>; rel="next"'
        return self.ok({"items": items[offset : offset + size]}, headers=headers)

    def list_instances(self, q):
        """GET /meetings?meetingSeriesId=…: with meetingType=meeting, its ongoing and ended
        instances (filtered by state when asked)."""
        if q.get("meetingType") != "meeting":
            return self.ok({"items": []})
        items = [
            i
            for i in self.instances.get(q["meetingSeriesId"], [])
            if q.get("state") in (None, i["state"])
        ]
        return self._page("/meetings", q, items)

    def list_participants(self, query):
        q = {k: v[0] for k, v in query.items()}
        if not q.get("meetingId"):
            return self.error(400, "The input parameters contain invalid items.", "meetingId")
        if q["meetingId"] not in self.participants:
            return self.error(404, "Meeting not found.")
        return self._page("/meetingParticipants", q, self.participants[q["meetingId"]])


class WebexHandler(BaseHTTPRequestHandler):
    webex: FakeWebex
    protocol_version = "HTTP/1.1"

    def log_message(self, format, *args):  # noqa: A002 - quiet test output
        pass

    def _serve(self):
        parsed = urlparse(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        exchange = Exchange(
            method=self.command,
            url=f"http://{self.headers.get('Host')}{self.path}",
            headers=dict(self.headers.items()),
            body=body,
        )
        with self.webex.lock:
            self.webex.exchanges.append(exchange)
        path = parsed.path.removeprefix("/v1")
        status, headers, payload = self.webex.handle(
            self.command, path, parse_qs(parsed.query), self.headers, body
        )
        headers = {"TrackingID": _tracking_id(), **headers}
        exchange.status, exchange.response_headers, exchange.response_body = (
            status,
            headers,
            payload,
        )
        try:
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            if payload:
                self.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client timed out and went away

    do_GET = do_POST = do_PUT = do_DELETE = _serve


class SpecCheck:
    """Checks recorded exchanges against the official OpenAPI subset with openapi-core."""

    def __init__(self, base_url):
        from openapi_core import Config, OpenAPI

        spec = json.loads(SPEC_PATH.read_text())
        # The subset names only https://webexapis.com/v1; the fake lives on loopback.
        spec["servers"].append({"url": base_url})
        # The official spec fails strict spec validation (string defaults for booleans).
        self.openapi = OpenAPI.from_dict(spec, config=Config(spec_validator_cls=None))

    @staticmethod
    def skip_reason():
        if not SPEC_PATH.exists():
            return f"the official Webex spec is not at {SPEC_PATH}"
        try:
            import openapi_core  # noqa: F401
        except ImportError:
            return "openapi-core is not installed (pip install -e '.[test]')"
        return None

    def problems(self, exchanges):
        """A list of (exchange, what is wrong); /access_token is not in any Webex spec."""
        import requests
        from openapi_core.contrib.requests import (
            RequestsOpenAPIRequest,
            RequestsOpenAPIResponse,
        )

        found = []
        for exchange in exchanges:
            if urlparse(exchange.url).path.endswith("/access_token"):
                continue
            request = RequestsOpenAPIRequest(
                requests.Request(
                    exchange.method,
                    exchange.url,
                    headers=exchange.headers,
                    data=exchange.body or None,
                ).prepare()
            )
            for error in self.openapi.iter_request_errors(request):
                found.append((exchange, f"request: {error!r} {getattr(error, '__cause__', '')}"))
            if not exchange.status:
                continue
            response = requests.Response()
            response.status_code = exchange.status
            response.headers.update(exchange.response_headers)
            response._content = exchange.response_body
            for error in self.openapi.iter_response_errors(
                request, RequestsOpenAPIResponse(response)
            ):
                # The spec writes "no body described" as `content: {}` (204, and every error
                # but 400): openapi-core then wants a body, or finds no schema for Webex's
                # JSON error body. Neither is a mismatch.
                no_media_types = "Valid mimetypes: []" in str(error.__cause__)
                if (exchange.status == 204 and type(error).__name__ == "MissingData") or (
                    exchange.status >= 400 and no_media_types
                ):
                    continue
                found.append((exchange, f"response: {error!r} {getattr(error, '__cause__', '')}"))
        return found


@contextlib.contextmanager
def api_backend_against_fake(monkeypatch, **settings):
    """The API backend pointed at a fresh fake server, backoff sleeps skipped; yields the server.

    ``settings`` override the defaults below (e.g. WEBEX_MAX_RETRIES)."""
    from django.test import override_settings

    from events.webex.api import WebexAPI

    server = FakeWebex().start()
    monkeypatch.setattr(WebexAPI, "sleep", staticmethod(lambda seconds: None))
    defaults = {
        "WEBEX_BACKEND": "events.webex.api.WebexAPI",
        "WEBEX_API_URL": server.url,
        "WEBEX_ACCESS_TOKEN": FIRST_TOKEN,
        "WEBEX_REFRESH_TOKEN": REFRESH_TOKEN,
        "WEBEX_CLIENT_ID": CLIENT_ID,
        "WEBEX_CLIENT_SECRET": CLIENT_SECRET,
        "WEBEX_TIMEOUT": 0.4,
        "WEBEX_MAX_RETRIES": 2,
        "WEBEX_WEBINAR_SESSION_TYPE_ID": 9,
    }
    try:
        with override_settings(**{**defaults, **settings}):
            yield server
    finally:
        server.stop()
