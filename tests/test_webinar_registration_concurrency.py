"""Capacity under concurrency, over HTTP, on PostgreSQL (issue 10, point 9).

A real server (gunicorn, several workers; tests/wsgi_registration_server.py) serves the test
database; 200 signed-in clinicians press "Register me" at once (the one-click POST to
/webinars/<slug>/register/, the real path) for 100 places: exactly 100 get a place and 100 wait,
nobody twice, no 5xx. The control run starts the server with ``CMSS_TEST_REGISTRATION_LOCK=off``
(a test control read only by that server module: the service's row lock becomes a plain read)
and shows the same burst overbooks, so the test can see the race the lock prevents. A
cancellation amid a burst promotes exactly the first in line.

SQLite has no row locks and one writer at a time: these tests run on PostgreSQL only.
"""

import datetime
import os
import secrets
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model
from django.contrib.sessions.backends.db import SessionStore
from django.db import connection
from django.utils import timezone

from directory.models import Clinician
from events.models import Registration, WebinarIndexPage

from .conftest import publish
from .test_webinar_registration import make_webinar

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="row locks and parallel writers need PostgreSQL (SQLite has neither)",
)

ROOT = Path(__file__).resolve().parent.parent
Status = Registration.Status
WORKERS = 4
BURST = 200
PLACES = 100


def free_port():
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def database_url():
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return (
        f"postgres://{db['USER']}{password}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}"
        f"/{db['NAME']}"
    )


class Server:
    """gunicorn serving the site on the test database, on a free loopback port."""

    def __init__(self, lock=True):
        self.port = free_port()
        env = {
            **os.environ,
            "GUNICORN_CMD_ARGS": "",
            "DJANGO_SETTINGS_MODULE": "cms.settings.test",
            "DATABASE_URL": database_url(),
            "DATABASE_CONN_MAX_AGE": "60",
            "CMSS_TEST_REGISTRATION_LOCK": "on" if lock else "off",
        }
        command = [
            sys.executable,
            "-m",
            "gunicorn",
            "-c",
            "cms/gunicorn.conf.py",
            "tests.wsgi_registration_server:application",
            "--bind",
            f"127.0.0.1:{self.port}",
            "--workers",
            str(WORKERS),
            "--timeout",
            "60",
            "--no-control-socket",
        ]
        self.process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        for line in self.process.stderr:
            if b"Listening at" in line:
                break
        self.url = f"http://127.0.0.1:{self.port}"
        # Workers accept connections once the site is loaded: wait for the first answer, then
        # warm the others up (a request made before a worker is ready waits for one that is).
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if requests.get(f"{self.url}/robots.txt", timeout=30).status_code == 200:
                    break
            except requests.RequestException:
                time.sleep(0.2)
        with ThreadPoolExecutor(max_workers=WORKERS) as pool:
            list(
                pool.map(
                    lambda _: requests.get(f"{self.url}/robots.txt", timeout=30), range(WORKERS * 2)
                )
            )

    def stop(self):
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        finally:
            self.process.stderr.close()


@pytest.fixture
def webinar(transactional_db, home_page):
    index = WebinarIndexPage(title="Webinars", slug="webinars")
    home_page.add_child(instance=index)
    publish(index)
    return make_webinar(index, capacity=PLACES, start=timezone.now() + datetime.timedelta(days=3))


def signed_in_clinicians(count, prefix="burst"):
    """``count`` approved clinicians, each with a signed-in session: (clinician, cookies)."""
    User = get_user_model()
    users = User.objects.bulk_create(
        [User(username=f"{prefix}{n}", email=f"{prefix}{n}@example.eu") for n in range(count)]
    )
    Clinician.objects.bulk_create(
        [
            Clinician(
                first_name=f"Clin{n}",
                last_name="Burst",
                email=user.email,
                status=Clinician.Status.APPROVED,
                user=user,
            )
            for n, user in enumerate(users)
        ]
    )
    people = []
    for user in users:
        session = SessionStore()
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session.create()
        csrf = secrets.token_hex(16)  # 32 characters: an unmasked CSRF secret
        people.append(
            {
                "cookies": {settings.SESSION_COOKIE_NAME: session.session_key, "csrftoken": csrf},
                "headers": {"X-CSRFToken": csrf},
                "email": user.email,
            }
        )
    return people


def burst(server, webinar, people, extra=()):
    """Every person POSTs "Register me" at once (plus the ``extra`` requests, in the middle);
    returns the status codes."""

    def post(person):
        response = requests.post(
            f"{server.url}/webinars/{webinar.slug}/register/",
            cookies=person["cookies"],
            headers=person["headers"],
            allow_redirects=False,
            timeout=60,
        )
        return response.status_code

    jobs = [(post, person) for person in people]
    middle = len(jobs) // 2
    jobs[middle:middle] = list(extra)
    with ThreadPoolExecutor(max_workers=32) as pool:
        return list(pool.map(lambda job: job[0](job[1]), jobs))


def statuses(webinar):
    return list(Registration.objects.filter(webinar=webinar).values_list("status", flat=True))


def test_200_at_once_for_100_places(webinar):
    people = signed_in_clinicians(BURST)
    server = Server()
    try:
        started = time.monotonic()
        codes = burst(server, webinar, people)
        elapsed = time.monotonic() - started
    finally:
        server.stop()
    assert all(code < 500 for code in codes), sorted(set(codes))
    assert codes.count(200) == BURST, sorted(set(codes))
    found = statuses(webinar)
    assert found.count(Status.CONFIRMED) == PLACES
    assert found.count(Status.WAITING) == BURST - PLACES
    emails = list(Registration.objects.filter(webinar=webinar).values_list("email", flat=True))
    assert len(emails) == len(set(emails)) == BURST
    # The waiting list is in the order places were refused: every one after the last place.
    last_place = max(
        Registration.objects.filter(webinar=webinar, status=Status.CONFIRMED).values_list(
            "queued_at", flat=True
        )
    )
    first_waiting = min(
        Registration.objects.filter(webinar=webinar, status=Status.WAITING).values_list(
            "queued_at", flat=True
        )
    )
    assert last_place <= first_waiting
    print(f"{BURST} registrations in {elapsed:.1f} s: {BURST / elapsed:.0f}/s")


def test_control_without_the_lock_the_burst_overbooks(webinar):
    """Control: the same burst with the row lock switched off (a test control of the server
    module) gives more confirmed places than there are."""
    people = signed_in_clinicians(BURST)
    server = Server(lock=False)
    try:
        codes = burst(server, webinar, people)
    finally:
        server.stop()
    assert all(code < 500 for code in codes), sorted(set(codes))
    assert statuses(webinar).count(Status.CONFIRMED) > PLACES


def test_a_cancellation_amid_a_burst_promotes_exactly_the_first_in_line(webinar):
    holders = signed_in_clinicians(PLACES + 20, prefix="early")
    now = timezone.now()
    made = Registration.objects.bulk_create(
        [
            Registration(
                webinar=webinar,
                first_name="Early",
                last_name=str(n),
                email=person["email"],
                status=Status.CONFIRMED if n < PLACES else Status.WAITING,
                confirmed_at=now if n < PLACES else None,
                # In line before anyone of the burst (who queue at the time they register).
                queued_at=now - datetime.timedelta(seconds=len(holders) - n),
            )
            for n, person in enumerate(holders)
        ]
    )
    leaving, first_in_line, rest_in_line = made[0], made[PLACES], made[PLACES + 1 :]
    newcomers = signed_in_clinicians(50, prefix="late")

    def cancel(_):
        anonymous = requests.Session()
        url = f"{server.url}/webinars/cancel/{leaving.cancel_token}/"
        anonymous.get(url, timeout=60)
        csrf = anonymous.cookies.get("csrftoken")
        response = anonymous.post(
            url, data={"action": "cancel"}, headers={"X-CSRFToken": csrf}, timeout=60
        )
        return response.status_code

    server = Server()
    try:
        codes = burst(server, webinar, newcomers, extra=[(cancel, None)])
    finally:
        server.stop()
    assert all(code == 200 for code in codes), sorted(set(codes))
    found = {r.pk: r.status for r in Registration.objects.filter(webinar=webinar)}
    assert found[leaving.pk] == Status.CANCELLED
    assert found[first_in_line.pk] == Status.CONFIRMED
    assert all(found[r.pk] == Status.WAITING for r in rest_in_line)
    assert list(found.values()).count(Status.CONFIRMED) == PLACES
    late = Registration.objects.filter(webinar=webinar, email__startswith="late")
    assert late.count() == 50
    assert set(late.values_list("status", flat=True)) == {Status.WAITING}
