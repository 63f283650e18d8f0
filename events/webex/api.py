"""The Webex REST API backend (see ../shared/webex/CONTRACT.md): bearer token, refreshed once
on 401; 429 and 5xx answered with a wait and a retry; a timeout on every call; one exception,
WebexError, for every failure. Creating is never blindly repeated: before trying again after
an answer that may have been lost, it looks for what the first try may already have made.
"""

from __future__ import annotations

import datetime
import hashlib
import logging
import time
from urllib.parse import parse_qsl, urlsplit, urlunsplit

import requests
from django.conf import settings
from django.core.cache import cache

from . import (
    MEETING,
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

logger = logging.getLogger(__name__)

DEFAULT_API_URL = "https://webexapis.com/v1"
RATE_LIMITED = (423, 429)
# Webex's own client waits 15 s when a 429 names no Retry-After, and at least 1 s.
DEFAULT_RETRY_AFTER = 15


def _setting(name, default):
    value = getattr(settings, name, None)
    return default if value in (None, "") else value


def _parse_time(value):
    return datetime.datetime.fromisoformat(value) if value else None


def _items(data):
    """The `items` of a listing, each a dict; anything else in their place is ignored."""
    items = data.get("items") if isinstance(data, dict) else None
    return [item for item in items or [] if isinstance(item, dict)]


def _retry_after(response):
    try:
        return max(1, int(response.headers.get("Retry-After", DEFAULT_RETRY_AFTER)))
    except ValueError:
        return DEFAULT_RETRY_AFTER


def _unusable(response, what, problem):
    """A WebexError for a successful status whose body we cannot use (not JSON, `null`, `{}`,
    a field missing). Retryable: the call may have taken effect, and a retry (which looks
    first, for a create) can complete it."""
    return WebexError(
        f"Webex answered {what} with {problem}",
        status=response.status_code,
        tracking_id=response.headers.get("TrackingID"),
        retryable=True,
    )


def _json_object(response, what, *, required=()):
    """The response's body as a dict holding every key of `required`, or a WebexError."""
    try:
        body = response.json()
    except ValueError:
        raise _unusable(response, what, "something that is not JSON") from None
    if not isinstance(body, dict):
        raise _unusable(response, what, "no details (an empty answer)")
    missing = [name for name in required if not body.get(name)]
    if missing:
        raise _unusable(response, what, f"no {', '.join(missing)}")
    return body


def _error_from_response(response, what):
    """A WebexError from an error answer: Webex's message and trackingId where its body is
    JSON, the TrackingID header otherwise (a 429 may come as text/html)."""
    message, tracking_id = "", None
    if "json" in response.headers.get("Content-Type", ""):
        try:
            body = response.json()
        except ValueError:
            body = {}
        if isinstance(body, dict):
            message = body.get("message") or ""
            details = [e.get("description", "") for e in body.get("errors") or [] if e]
            if details:
                message = f"{message} ({'; '.join(d for d in details if d)})".strip()
            tracking_id = body.get("trackingId")
    tracking_id = tracking_id or response.headers.get("TrackingID")
    status = response.status_code
    retry_after = _retry_after(response) if status in RATE_LIMITED else None
    return WebexError(
        f"Webex refused to {what}: {message or response.reason or 'no reason given'}",
        status=status,
        tracking_id=tracking_id,
        retry_after=retry_after,
        retryable=status in RATE_LIMITED or status >= 500,
    )


class WebexAPI(WebexBackend):
    """Talks to WEBEX_API_URL with `requests`. Every argument defaults to its setting.

    `sleep` is what waits between tries (time.sleep); tests pass (or patch in) something
    that records the waits instead of sleeping.
    """

    sleep = staticmethod(time.sleep)

    def __init__(
        self,
        *,
        base_url=None,
        access_token=None,
        refresh_token=None,
        client_id=None,
        client_secret=None,
        token_url=None,
        timeout=None,
        max_retries=None,
        backoff=None,
        max_retry_after=None,
        webinar_session_type_id=None,
        meeting_session_type_id=None,
        host_email=None,
        site_url=None,
        sleep=None,
        session=None,
    ):
        self.base_url = (base_url or _setting("WEBEX_API_URL", DEFAULT_API_URL)).rstrip("/")
        self.configured_access_token = access_token or _setting("WEBEX_ACCESS_TOKEN", "")
        self.configured_refresh_token = refresh_token or _setting("WEBEX_REFRESH_TOKEN", "")
        self.client_id = client_id or _setting("WEBEX_CLIENT_ID", "")
        self.client_secret = client_secret or _setting("WEBEX_CLIENT_SECRET", "")
        self.token_url = token_url or _setting("WEBEX_TOKEN_URL", f"{self.base_url}/access_token")
        self.timeout = float(timeout if timeout is not None else _setting("WEBEX_TIMEOUT", 10))
        self.max_retries = int(
            max_retries if max_retries is not None else _setting("WEBEX_MAX_RETRIES", 3)
        )
        self.backoff = float(backoff if backoff is not None else _setting("WEBEX_BACKOFF", 1.0))
        # A longer wait than this is not slept through in a request or a worker: the error
        # carries retry_after and the booking is tried again later.
        self.max_retry_after = float(
            max_retry_after
            if max_retry_after is not None
            else _setting("WEBEX_MAX_RETRY_AFTER", 60)
        )
        self.webinar_session_type_id = webinar_session_type_id or _setting(
            "WEBEX_WEBINAR_SESSION_TYPE_ID", None
        )
        self.meeting_session_type_id = meeting_session_type_id or _setting(
            "WEBEX_MEETING_SESSION_TYPE_ID", None
        )
        self.host_email = host_email or _setting("WEBEX_HOST_EMAIL", "")
        self.site_url = site_url or _setting("WEBEX_SITE_URL", "")
        if sleep is not None:
            self.sleep = sleep
        self.session = session or requests.Session()

    # Tokens -------------------------------------------------------------------------------
    # A refreshed access token lives in the cache (Redis in production, so every web
    # process and worker shares it; it expires a minute before Webex's expires_in). Losing
    # it costs one refresh; the configured WEBEX_ACCESS_TOKEN is only the starting point.

    def _cache_key(self, name):
        digest = hashlib.sha256(f"{self.base_url}|{self.client_id}".encode()).hexdigest()[:16]
        return f"events.webex.{name}.{digest}"

    @property
    def access_token(self):
        return cache.get(self._cache_key("access_token")) or self.configured_access_token

    @property
    def refresh_token(self):
        return cache.get(self._cache_key("refresh_token")) or self.configured_refresh_token

    def _can_refresh(self):
        return bool(self.refresh_token and self.client_id and self.client_secret)

    def refresh_access_token(self):
        """Swap the refresh token for a new access token (OAuth refresh-token grant)."""
        try:
            response = self.session.post(
                self.token_url,
                data={
                    "grant_type": "refresh_token",
                    "client_id": self.client_id,
                    "client_secret": self.client_secret,
                    "refresh_token": self.refresh_token,
                },
                timeout=self.timeout,
            )
        except requests.RequestException as exc:
            raise WebexError(
                f"Webex did not answer the token refresh: {exc.__class__.__name__}",
                retryable=True,
            ) from exc
        if response.status_code != 200:
            raise _error_from_response(response, "refresh the access token")
        what = "the access token refresh"
        body = _json_object(response, what, required=["access_token"])
        token = body["access_token"]
        try:
            expires_in = int(body.get("expires_in") or 3600)
            lifetime = int(body.get("refresh_token_expires_in") or 90 * 24 * 3600)
        except (TypeError, ValueError):
            raise _unusable(response, what, "a lifetime that is not a number") from None
        cache.set(self._cache_key("access_token"), token, max(expires_in - 60, 1))
        if body.get("refresh_token"):
            cache.set(self._cache_key("refresh_token"), body["refresh_token"], lifetime)
        logger.info("Refreshed the Webex access token")
        return token

    # One call -----------------------------------------------------------------------------

    def _wait_before_retry(self, attempt):
        self.sleep(self.backoff * 2**attempt)

    def _call(self, method, path, *, what, params=None, json=None, repeatable=True, required=()):
        """Send one API call and return its JSON body: a dict holding every key of `required`
        (None for a DELETE). Any other answer is a WebexError."""
        response = self._send(
            method, path, what=what, params=params, json=json, repeatable=repeatable
        )
        if method == "DELETE":
            return None  # 204 (or any success): nothing in the body is needed
        return _json_object(response, what, required=required)

    def _send(self, method, path, *, what, params=None, json=None, repeatable=True):
        """Send one API call (`path` below WEBEX_API_URL, or a full URL from a Link header)
        and return its successful response.

        401: refresh the token and try once more. 429/423: wait Retry-After and try again.
        Timeouts and 5xx: back off and try again, but only when `repeatable`; a call that may
        have taken effect before its answer was lost (a create) is left to the caller.
        """
        refreshed = False
        attempt = 0
        url = path if path.startswith(("http://", "https://")) else f"{self.base_url}{path}"
        while True:
            try:
                response = self.session.request(
                    method,
                    url,
                    params=params,
                    json=json,
                    headers={"Authorization": f"Bearer {self.access_token}"},
                    timeout=self.timeout,
                )
            except (requests.Timeout, requests.ConnectionError) as exc:
                kind = "timed out" if isinstance(exc, requests.Timeout) else "could not connect"
                if repeatable and attempt < self.max_retries:
                    self._wait_before_retry(attempt)
                    attempt += 1
                    continue
                raise WebexError(
                    f"Webex {kind} while trying to {what} ({attempt + 1} tries)", retryable=True
                ) from exc
            except requests.RequestException as exc:
                raise WebexError(f"Could not send the request to {what}: {exc}") from exc

            status = response.status_code
            if status == 401 and not refreshed and self._can_refresh():
                self.refresh_access_token()
                refreshed = True
                continue
            if status in RATE_LIMITED:
                error = _error_from_response(response, what)
                if attempt < self.max_retries and error.retry_after <= self.max_retry_after:
                    self.sleep(error.retry_after)
                    attempt += 1
                    continue
                raise error
            if status >= 500:
                if repeatable and attempt < self.max_retries:
                    self._wait_before_retry(attempt)
                    attempt += 1
                    continue
                raise _error_from_response(response, what)
            if status >= 400:
                raise _error_from_response(response, what)
            return response

    def _create_once(self, what, path, body, find_existing, params=None):
        """POST something that must exist once: on a timeout, a 5xx or an answer we cannot
        use, look for it before posting again, since the first POST may have made it."""
        attempt = 0
        while True:
            try:
                return self._call(
                    "POST",
                    path,
                    what=what,
                    json=body,
                    params=params,
                    repeatable=False,
                    required=["id"],
                )
            except WebexError as error:
                if not error.retryable or error.status in RATE_LIMITED:
                    raise
                if attempt >= self.max_retries:
                    raise
                self._wait_before_retry(attempt)
                attempt += 1
                existing = find_existing()
                if existing is not None:
                    logger.info("Webex had already made it: %s", what)
                    return existing

    def _host(self, data):
        if self.host_email:
            data["hostEmail"] = self.host_email
        return data

    # Meetings -----------------------------------------------------------------------------

    def _meeting_body(self, spec, *, password=None):
        body = {
            "title": spec.title[:128],
            "agenda": spec.agenda[:1300],
            "start": spec.start.isoformat(timespec="seconds"),
            "end": spec.end.isoformat(timespec="seconds"),
            "timezone": spec.timezone,
            "enabledAutoRecordMeeting": bool(spec.record_automatically),
            # CMSS sends its own invitations (iCalendar), so Webex sends none.
            "sendEmail": False,
        }
        if spec.integration_tag:
            body["integrationTags"] = [spec.integration_tag]
        if password:
            body["password"] = password
        session_type = (
            self.webinar_session_type_id if spec.kind == WEBINAR else self.meeting_session_type_id
        )
        if session_type:
            body["sessionTypeId"] = int(session_type)
        return self._host(body)

    def create_meeting(self, spec: MeetingSpec) -> MeetingDetails:
        body = self._meeting_body(spec)
        body["scheduledType"] = spec.kind
        if self.site_url:
            body["siteUrl"] = self.site_url
        if spec.kind == WEBINAR:
            if "sessionTypeId" not in body:
                raise WebexError(
                    "Webex needs a session type to schedule a webinar: set "
                    "WEBEX_WEBINAR_SESSION_TYPE_ID (GET /meetings/sessionTypes lists them)."
                )
            # Registration can only be switched on when the webinar is created.
            body["registration"] = {
                "autoAcceptRequest": True,
                "requireFirstName": True,
                "requireLastName": True,
                "requireEmail": True,
            }
        if not spec.integration_tag:
            data = self._call(
                "POST",
                "/meetings",
                what="create the meeting",
                json=body,
                repeatable=False,
                required=["id"],
            )
            return self._details(data)

        def find_existing():
            return self.find_meeting(spec)

        found = self._create_once("create the meeting", "/meetings", body, find_existing)
        return found if isinstance(found, MeetingDetails) else self._details(found)

    def find_meeting(self, spec: MeetingSpec) -> MeetingDetails | None:
        """The meeting made for `spec`, looked for by its integration tag around the spec's
        time and around every earlier window it was tried at (a listing of meeting series
        covers only the window asked for, 7 days by default)."""
        if not spec.integration_tag:
            return None
        margin = datetime.timedelta(days=1)
        windows = []
        for start, end in ((spec.start, spec.end), *spec.earlier_windows):
            window = (start - margin, end + margin)
            if window not in windows:
                windows.append(window)
        for start, end in windows:
            params = self._host(
                {
                    "integrationTag": spec.integration_tag,
                    "meetingType": "meetingSeries",
                    "scheduledType": spec.kind,
                    "from": start.isoformat(timespec="seconds"),
                    "to": end.isoformat(timespec="seconds"),
                }
            )
            data = self._call("GET", "/meetings", what="look for the meeting", params=params)
            for item in _items(data):
                if spec.integration_tag in (item.get("integrationTags") or []):
                    return self._details(item)
        return None

    def get_meeting(self, meeting_id: str) -> MeetingDetails:
        data = self._call(
            "GET",
            f"/meetings/{meeting_id}",
            what="read the meeting",
            params=self._host({}),
            required=["id"],
        )
        return self._details(data)

    def update_meeting(self, meeting_id, spec, *, password=None) -> MeetingDetails:
        # Webex's clients treat title, password, start and end as required on PUT.
        if not password:
            password = self.get_meeting(meeting_id).password
        data = self._call(
            "PUT",
            f"/meetings/{meeting_id}",
            what="change the meeting",
            json=self._meeting_body(spec, password=password),
            required=["id"],
        )
        return self._details(data)

    def delete_meeting(self, meeting_id: str) -> None:
        """Delete a meeting. A meeting that is already gone (404/410) counts as deleted, so
        a retry after a lost answer succeeds."""
        try:
            self._call(
                "DELETE",
                f"/meetings/{meeting_id}",
                what="delete the meeting",
                params=self._host({"sendEmail": "false"}),
            )
        except WebexError as error:
            if error.status not in (404, 410):
                raise

    def _details(self, data) -> MeetingDetails:
        if not isinstance(data, dict) or not data.get("id"):
            raise WebexError("Webex described a meeting without its id", retryable=True)
        telephony = data.get("telephony") or {}
        if not isinstance(telephony, dict):
            telephony = {}
        return MeetingDetails(
            id=data["id"],
            title=data.get("title", ""),
            kind=data.get("scheduledType") or MEETING,
            start=_parse_time(data.get("start")),
            end=_parse_time(data.get("end")),
            timezone=data.get("timezone", ""),
            web_link=data.get("webLink", ""),
            meeting_number=data.get("meetingNumber", ""),
            password=data.get("password", ""),
            sip_address=data.get("sipAddress", ""),
            access_code=telephony.get("accessCode", ""),
            call_in_numbers=tuple(
                CallInNumber(
                    label=n.get("label", ""),
                    number=n.get("callInNumber", ""),
                    toll_type=n.get("tollType", ""),
                )
                for n in telephony.get("callInNumbers") or []
            ),
            register_link=data.get("registerLink", ""),
            record_automatically=bool(data.get("enabledAutoRecordMeeting")),
            integration_tags=tuple(data.get("integrationTags") or ()),
        )

    # Registrants and recordings ------------------------------------------------------------

    def register(self, meeting_id, *, email, first_name, last_name) -> Registrant:
        path = f"/meetings/{meeting_id}/registrants"
        body = {
            "firstName": first_name,
            "lastName": last_name,
            "email": email,
            # CMSS sends the invitation itself.
            "sendEmail": False,
        }

        def find_existing():
            return self._registrant_item(meeting_id, email)

        data = self._create_once(
            "register for the webinar", path, body, find_existing, params=self._host({})
        )
        return self._registrant(data, email, first_name, last_name)

    @staticmethod
    def _registrant(data, email, first_name="", last_name=""):
        return Registrant(
            id=data["id"],
            email=data.get("email", email),
            first_name=data.get("firstName", first_name),
            last_name=data.get("lastName", last_name),
            status=data.get("status", "approved"),
            registration_id=str(data.get("registrationId") or ""),
        )

    def _registrant_item(self, meeting_id, email):
        data = self._call(
            "POST",
            f"/meetings/{meeting_id}/registrants/query",
            what="look for the registrant",
            json={"emails": [email]},
            params=self._host({}),
        )
        for item in _items(data):
            if item.get("id") and str(item.get("email", "")).lower() == email.lower():
                return item
        return None

    def find_registrant(self, meeting_id, email):
        item = self._registrant_item(meeting_id, email)
        return self._registrant(item, email) if item else None

    def join_link(self, meeting_id, *, email, display_name, registration_id="", password=""):
        """One registrant's own join link (POST /meetings/join, without the redirect): Webex
        puts no join link in a registrant's answer. Webex lets such a link expire (60 minutes
        at most), so whoever sends it asks again close to the time."""
        body = {
            "meetingId": meeting_id,
            "joinDirectly": False,
            "email": email,
            "displayName": display_name,
        }
        if registration_id:
            body["registrationId"] = registration_id
        if password:
            body["password"] = password
        data = self._call(
            "POST",
            "/meetings/join",
            what="make the registrant's join link",
            json=body,
            required=["joinLink"],
        )
        return data["joinLink"]

    def list_recordings(self, meeting_series_id, *, since=None, until=None) -> list[Recording]:
        """Every available recording of a meeting series, following `Link: rel="next"`."""
        params = self._host({"meetingId": meeting_series_id, "max": 100})
        if since:
            params["from"] = since.isoformat(timespec="seconds")
        if until:
            params["to"] = until.isoformat(timespec="seconds")
        original = dict(params)
        what = "list the recordings"
        recordings, path = [], "/recordings"
        while path:
            response = self._send("GET", path, what=what, params=params)
            for item in _items(_json_object(response, what)):
                if not item.get("id"):
                    raise _unusable(response, what, "a recording without its id")
                recordings.append(
                    Recording(
                        id=item["id"],
                        meeting_series_id=item.get("meetingSeriesId") or meeting_series_id,
                        meeting_id=item.get("meetingId", ""),
                        topic=item.get("topic", ""),
                        created=_parse_time(item.get("createTime")),
                        playback_url=item.get("playbackUrl", ""),
                        download_url=item.get("downloadUrl", ""),
                        password=item.get("password", ""),
                        duration_seconds=int(item.get("durationSeconds") or 0),
                        format=item.get("format", ""),
                    )
                )
            # A next page may be empty. Its link may carry only a paging cursor: our own query
            # (meetingId, hostEmail, from, to) goes with it, the link's parameters winning.
            path = response.links.get("next", {}).get("url")
            if path:
                split = urlsplit(path)
                params = {**original, **dict(parse_qsl(split.query))}
                path = urlunsplit(split._replace(query=""))
        return recordings

    # Attendance ----------------------------------------------------------------------------

    def _pages(self, path, params, what):
        """Every item of a listing, following `Link: rel="next"` (our own query goes with a
        next link that carries only a cursor, the link's parameters winning)."""
        original = dict(params)
        items = []
        while path:
            response = self._send("GET", path, what=what, params=params)
            items.extend(_items(_json_object(response, what)))
            path = response.links.get("next", {}).get("url")
            if path:
                split = urlsplit(path)
                params = {**original, **dict(parse_qsl(split.query))}
                path = urlunsplit(split._replace(query=""))
        return items

    def ended_instances(self, meeting_series_id, *, start, end):
        """GET /meetings?meetingSeriesId=…&meetingType=meeting&state=ended around the webinar's
        time: the ids of its ended instances (a webinar held once has one)."""
        margin = datetime.timedelta(days=1)
        params = self._host(
            {
                "meetingSeriesId": meeting_series_id,
                "meetingType": "meeting",
                "state": "ended",
                "from": (start - margin).isoformat(timespec="seconds"),
                "to": (end + margin).isoformat(timespec="seconds"),
                "max": 100,
            }
        )
        items = self._pages("/meetings", params, "list the ended meetings")
        return [item["id"] for item in items if item.get("id") and item.get("state") == "ended"]

    def list_participants(self, meeting_id):
        """GET /meetingParticipants?meetingId=<instance id>, every page."""
        params = self._host({"meetingId": meeting_id, "max": 100})
        items = self._pages("/meetingParticipants", params, "list the participants")
        return [
            Participant(
                email=str(item.get("email") or ""),
                display_name=str(item.get("displayName") or ""),
                joined=_parse_time(item.get("joinedTime")),
                left=_parse_time(item.get("leftTime")),
                host=bool(item.get("host")),
            )
            for item in items
        ]
