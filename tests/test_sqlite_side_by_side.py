"""The demo's SQLite file takes the helpdesk's real work: a 15,000-row import uploaded through
the admin while the task workers send mail and people sign in.

Nothing simulated: a fresh SQLite file with the project's own SQLite options (cms/settings/base.py),
`manage.py seed_demo`, Django's development server, the two task workers that `make run` starts
(`manage.py task_worker`, all queues and mail only) sending over SMTP to an aiosmtpd server on
loopback, and HTTP from this process. Before the fix the upload answered 500 "database is locked"
and the worker exited. Control, run by hand: the same test with the SQLite options removed
(`DATABASES["default"]["OPTIONS"] = {}`) and django-tasks-db's plain `db_worker` in place of
`task_worker` fails with "worker_mail stopped ... database is locked".

The subprocesses use their own SQLite file whatever DATABASE_URL says, so the PostgreSQL pass
would only repeat the SQLite pass: it is skipped there.
"""

import email
import email.policy
import os
import re
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests

from bench.import_directory import generate
from tests.mail_support import SMTPServer, free_port
from tests.task_support import own_sqlite_file_only

pytestmark = own_sqlite_file_only

ROOT = Path(__file__).resolve().parent.parent
HOSPITALS = 12_000
CLINICIANS = 3_000
MAIL_BEFORE = 150  # queued before the import, sent while it runs
# Staff accounts of the demo who sign in while the import runs (each may ask 3 codes a minute).
SIGNERS = ["editor", "moderator", "admin"]
TIMEOUT = 240

SETTINGS = """
import os

from cms.settings.dev import *  # noqa: F403

DEBUG = False
DATABASES["default"]["NAME"] = os.environ["SIDE_DB"]  # noqa: F405 (base.py's SQLite options)
EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
EMAIL_HOST = "127.0.0.1"
EMAIL_PORT = int(os.environ["SIDE_SMTP_PORT"])
DIRECTORY_IMPORT_DIR = os.environ["SIDE_IMPORTS"]
MEDIA_ROOT = os.environ["SIDE_MEDIA"]
CMSS_DEMO_RELAX_STAFF_MFA = True
"""

QUEUE_MAIL = f"""
from cms.mail import services
for i in range({MAIL_BEFORE}):
    services.queue_message(f"member{{i}}@example.eu", f"News {{i}}", "Body", kind="test")
"""


class Site:
    def __init__(self, folder, smtp):
        self.folder = folder
        self.smtp = smtp
        self.db = folder / "cmss.sqlite3"
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.processes = []

    def env(self):
        env = {
            k: v
            for k, v in os.environ.items()
            if k not in ("DATABASE_URL", "CACHE_URL", "REDIS_URL")
        }
        env.update(
            DJANGO_SETTINGS_MODULE="side_settings",
            PYTHONPATH=os.pathsep.join([str(self.folder), str(ROOT)]),
            SIDE_DB=str(self.db),
            SIDE_SMTP_PORT=str(self.smtp.port),
            SIDE_IMPORTS=str(self.folder / "imports"),
            SIDE_MEDIA=str(self.folder / "media"),
            CMSS_BASE_URL=self.base,
            PYTHONUNBUFFERED="1",
        )
        return env

    def manage(self, *args, stdin=None):
        result = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=self.env(),
            input=stdin,
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
        )
        assert result.returncode == 0, result.stdout + result.stderr
        return result.stdout

    def start(self, name, *args):
        log = open(self.folder / f"{name}.log", "wb")  # noqa: SIM115 (closed with the process)
        process = subprocess.Popen(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=self.env(),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        self.processes.append((name, process, log))
        return process

    def stop(self):
        for _, process, log in self.processes:
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(10)
                except subprocess.TimeoutExpired:
                    process.kill()
            log.close()

    def logs(self):
        return "\n".join(
            f"--- {p.name}\n{p.read_text(errors='replace')[-4000:]}"
            for p in sorted(self.folder.glob("*.log"))
        )

    def query(self, sql):
        with sqlite3.connect(self.db, timeout=30) as connection:
            return connection.execute(sql).fetchall()


def csrf(session, html):
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    assert match, html[:2000]
    return match.group(1)


def code_sent_to(smtp, address, after, timeout=60):
    """The sign-in code in the newest message to `address` that arrived after `after` messages."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for _, recipients, content in smtp.received[after:]:
            if address in recipients:
                message = email.message_from_bytes(content, policy=email.policy.default)
                text = message.get_body(("plain",)).get_content()
                found = re.search(r"^\s*([A-Z0-9]{4}-[A-Z0-9]{4})\s*$", text, re.M)
                if found:
                    return found.group(1)
        time.sleep(0.1)
    raise AssertionError(f"No sign-in code reached {address} within {timeout} s")


def sign_in(site, email_address, next_url="/"):
    """Sign in by emailed code over HTTP; returns the signed-in session."""
    session = requests.Session()
    page = session.get(f"{site.base}/accounts/login/code/", timeout=60)
    assert page.status_code == 200, page.text[:500]
    already = len(site.smtp.received)
    response = session.post(
        f"{site.base}/accounts/login/code/?next={next_url}",
        data={"email": email_address, "csrfmiddlewaretoken": csrf(session, page.text)},
        timeout=60,
    )
    assert response.status_code == 200 and "/login/code/confirm/" in response.url, (
        response.status_code,
        response.url,
        response.text[:500],
    )
    code = code_sent_to(site.smtp, email_address, already)
    confirmed = session.post(
        response.url,
        data={"code": code, "csrfmiddlewaretoken": csrf(session, response.text)},
        timeout=60,
    )
    assert confirmed.status_code == 200, confirmed.text[:500]
    assert "sessionid" in session.cookies, confirmed.url
    return session


@pytest.fixture
def site(tmp_path):
    (tmp_path / "side_settings.py").write_text(SETTINGS)
    (tmp_path / "imports").mkdir()
    with SMTPServer() as smtp:
        running = Site(tmp_path, smtp)
        try:
            yield running
        finally:
            running.stop()


def test_upload_of_15000_rows_while_workers_send_mail_and_people_sign_in(site):
    site.manage("migrate", "--no-input", "-v", "0")
    site.manage("seed_demo")
    spreadsheet = site.folder / "europe.csv"
    rows = generate(spreadsheet, HOSPITALS, CLINICIANS)
    assert rows == 15_000

    site.start("server", "runserver", f"127.0.0.1:{site.port}", "--noreload")
    site.start("worker_all", "task_worker", "--interval", "0.2", "--no-startup-delay")
    site.start("worker_mail", "task_worker", "--queue-name", "mail", "--interval", "0.2")
    deadline = time.monotonic() + 60
    while True:
        try:
            requests.get(site.base + "/", timeout=5)
            break
        except requests.ConnectionError:
            assert time.monotonic() < deadline, site.logs()
            time.sleep(0.2)

    helpdesk = sign_in(site, "helpdesk@cmss.example.eu", next_url="/admin/")
    site.manage("shell", stdin=QUEUE_MAIL)

    upload_page = helpdesk.get(f"{site.base}/admin/directory/import/", timeout=60)
    assert upload_page.status_code == 200
    with spreadsheet.open("rb") as handle:
        preview = helpdesk.post(
            f"{site.base}/admin/directory/import/",
            data={"csrfmiddlewaretoken": csrf(helpdesk, upload_page.text)},
            files={"file": ("europe.csv", handle, "text/csv")},
            timeout=TIMEOUT,
        )
    assert preview.status_code == 200, site.logs()
    # The worker checks the file; the preview page refreshes itself until its report is there.
    deadline = time.monotonic() + TIMEOUT
    while 'id="import-form"' not in preview.text:
        assert "Checking the file" in preview.text, (preview.text[-2000:], site.logs())
        assert time.monotonic() < deadline, site.logs()
        time.sleep(0.5)
        preview = helpdesk.get(preview.url, timeout=60)
    token = re.search(r'name="token" value="([^"]+)"', preview.text).group(1)

    signed_in = []
    failures = []

    def sign_in_during_import(username):
        try:
            session = sign_in(site, f"{username}@cmss.example.eu")
            signed_in.append(
                (username, session.get(site.base + "/account/", timeout=60).status_code)
            )
        except Exception as error:  # reported below, with the logs
            failures.append((username, repr(error)))

    started = helpdesk.post(
        f"{site.base}/admin/directory/import/",
        data={
            "csrfmiddlewaretoken": csrf(helpdesk, preview.text),
            "token": token,
            "skip_invalid": "on",
        },
        timeout=60,
    )
    assert started.status_code == 200 and "/admin/directory/import/" in started.url, site.logs()
    signers = [threading.Thread(target=sign_in_during_import, args=(u,)) for u in SIGNERS]
    for thread in signers:
        thread.start()

    progress_seen = set()
    deadline = time.monotonic() + TIMEOUT
    while True:
        page = helpdesk.get(started.url, timeout=60)
        assert page.status_code == 200, site.logs()
        (status,) = site.query("SELECT status FROM directory_directoryimportrun")[0]
        progress_seen.add(status)
        if status in ("done", "failed"):
            break
        assert time.monotonic() < deadline, site.logs()
        time.sleep(0.5)
    for thread in signers:
        thread.join(TIMEOUT)

    assert status == "done", site.query("SELECT error FROM directory_directoryimportrun")
    assert site.query("SELECT COUNT(*) FROM directory_hospital")[0][0] >= HOSPITALS
    assert not failures, (failures, site.logs())
    assert sorted(u for u, _ in signed_in) == sorted(SIGNERS)
    # Every queued message went out, none failed, and both workers are still running.
    deadline = time.monotonic() + 60
    while site.query("SELECT COUNT(*) FROM mail_outgoingmessage WHERE status != 'sent'")[0][0]:
        assert time.monotonic() < deadline, (
            site.query("SELECT status, last_error FROM mail_outgoingmessage WHERE status!='sent'"),
            site.logs(),
        )
        time.sleep(0.5)
    for name, process, _ in site.processes:
        assert process.poll() is None, f"{name} stopped\n{site.logs()}"
    assert "database is locked" not in site.logs()
