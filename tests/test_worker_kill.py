"""A real worker killed mid-send: at most one email per message, and everything else completes.

End to end, with nothing simulated: a fresh SQLite file migrated by ``manage.py migrate``,
messages queued through the real service (``manage.py shell``), the real database worker
(``manage.py db_worker``) sending over SMTP to a loopback aiosmtpd server, and ``manage.py
retry_mail``. The server holds its reply to one message's DATA, so the worker is mid-send when
it is SIGKILLed. The server counts that message as delivered once its DATA has arrived: the
worst case for the sender (the server has the message, the worker never learned it), and the
one where a careless recovery would send it twice. The control shows that the test sees such a
duplicate when the interrupted row is put back in the queue by hand.

The subprocesses use their own SQLite file whatever DATABASE_URL says, so the PostgreSQL pass
would only repeat the SQLite pass: it is skipped there.
"""

import asyncio
import contextlib
import email
import email.policy
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

from tests.mail_support import free_port
from tests.task_support import own_sqlite_file_only

pytestmark = own_sqlite_file_only

ROOT = Path(__file__).resolve().parent.parent
MESSAGES = 5
STALLED = 2  # the third message queued (the worker takes tasks in order) is interrupted
LEASE_SECONDS = 1
TIMEOUT = 20  # every wait for a subprocess or a state ends by this many seconds

SETTINGS = f"""
import os

from cms.settings.dev import *  # noqa: F403

DEBUG = False
DATABASES = {{
    "default": {{
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ["KILLTEST_DB"],
        "OPTIONS": {{"timeout": 20}},
    }}
}}
CACHES = {{"default": {{"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}}}
EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
EMAIL_HOST = "127.0.0.1"
EMAIL_PORT = int(os.environ.get("KILLTEST_SMTP_PORT", "25"))
EMAIL_TIMEOUT = 10
CMSS_MAIL_SENDING_LEASE_SECONDS = {LEASE_SECONDS}
# retry_mail hands every queued message to the worker again (duplicate tasks must be harmless).
CMSS_MAIL_REQUEUE_AFTER_SECONDS = 0
"""

QUEUE = f"""
import json
from cms.mail import services
rows = []
for i in range({MESSAGES}):
    m = services.queue_message(f"member{{i}}@example.eu", f"Message {{i}}", "Body", kind="test")
    rows.append([m.pk, m.provider_message_id, m.recipient])
print("ROWS=" + json.dumps(rows))
"""


class StallingHandler:
    """Keeps every message whose DATA arrives; holds the reply to the first one for ``stall_to``."""

    def __init__(self, stall_to):
        self.stall_to = stall_to
        self.stalled = threading.Event()
        self.release = threading.Event()
        self.lock = threading.Lock()
        self.message_ids = []

    async def handle_DATA(self, server, session, envelope):
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self.lock:
            self.message_ids.append(str(parsed["Message-ID"]))
        if self.stall_to in envelope.rcpt_tos and not self.stalled.is_set():
            self.stalled.set()
            # Until released, or until the client is gone (aiosmtpd cancels this coroutine).
            deadline = time.monotonic() + TIMEOUT
            while not self.release.is_set() and time.monotonic() < deadline:
                await asyncio.sleep(0.02)
        return "250 Message accepted"

    def deliveries(self):
        with self.lock:
            return Counter(self.message_ids)


@pytest.fixture(scope="module")
def migrated_db(tmp_path_factory):
    """One migrated database file (migrating takes seconds); each scenario copies it."""
    folder = tmp_path_factory.mktemp("worker_kill")
    (folder / "killtest_settings.py").write_text(SETTINGS)
    path = folder / "migrated.sqlite3"
    result = subprocess.run(
        [sys.executable, "manage.py", "migrate", "--no-input", "-v", "0"],
        cwd=ROOT,
        env=environment(folder, path, port=0),
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0, result.stderr
    return folder, path


def environment(folder, db, port):
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "CACHE_URL")}
    env.pop("REDIS_URL", None)
    env.update(
        DJANGO_SETTINGS_MODULE="killtest_settings",
        PYTHONPATH=os.pathsep.join([str(folder), str(ROOT)]),
        KILLTEST_DB=str(db),
        KILLTEST_SMTP_PORT=str(port),
        PYTHONUNBUFFERED="1",
    )
    return env


class Scenario:
    """A database file, an SMTP server and the subprocesses of one run (all stopped at the end)."""

    def __init__(self, folder, migrated, work):
        self.folder = folder
        self.db = work / "cmss.sqlite3"
        shutil.copyfile(migrated, self.db)
        self.work = work
        self.port = free_port()
        self.handler = StallingHandler(stall_to=f"member{STALLED}@example.eu")
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)
        self.processes = []

    def env(self):
        return environment(self.folder, self.db, self.port)

    def manage(self, *args):
        result = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
        )
        assert result.returncode == 0, result.stdout + result.stderr
        return result.stdout

    def start_worker(self, name):
        log = open(self.work / f"{name}.log", "wb")  # noqa: SIM115 (closed with the process)
        process = subprocess.Popen(
            [
                sys.executable,
                "manage.py",
                "db_worker",
                "--backend",
                "background",
                "--queue-name",
                "*",
                "--interval",
                "0.1",
                "--no-startup-delay",
                "--no-reload",
                "--worker-id",
                name,
            ],
            cwd=ROOT,
            env=self.env(),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        self.processes.append((process, log))
        return process

    def logs(self):
        return "\n".join(
            f"--- {p.name}\n{p.read_text(errors='replace')[-3000:]}"
            for p in sorted(self.work.glob("*.log"))
        )

    def query(self, sql, params=()):
        with sqlite3.connect(self.db, timeout=TIMEOUT) as connection:
            rows = connection.execute(sql, params).fetchall()
        connection.close()
        return rows

    def statuses(self):
        return dict(self.query("SELECT id, status FROM mail_outgoingmessage"))

    def wait_for(self, condition, what):
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline:
            if condition():
                return
            time.sleep(0.05)
        pytest.fail(f"Timed out waiting for {what}; rows {self.statuses()}\n{self.logs()}")

    def queue_messages(self):
        line = next(x for x in self.manage("shell", "-c", QUEUE).splitlines() if "ROWS=" in x)
        return [tuple(row) for row in json.loads(line.split("ROWS=", 1)[1])]

    def tasks(self):
        """(status, return value) of every task row, counted."""
        return Counter(
            self.query("SELECT status, return_value FROM django_tasks_database_dbtaskresult")
        )

    def ready_tasks(self):
        return sum(n for (status, _), n in self.tasks().items() if status == "READY")

    def stop(self):
        self.handler.release.set()
        for process, _ in self.processes:
            if process.poll() is None:
                process.kill()
        for process, log in self.processes:
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=5)
            log.close()
        self.controller.stop()


@pytest.fixture
def scenario(migrated_db, tmp_path):
    folder, migrated = migrated_db
    run = Scenario(folder, migrated, tmp_path)
    run.controller.start()
    try:
        yield run
    finally:
        run.stop()


def kill_worker_mid_send(run):
    """Queue the messages, let a worker send until it is stuck on one, SIGKILL it; the rows."""
    rows = run.queue_messages()
    assert len(rows) == MESSAGES
    assert set(run.statuses().values()) == {"queued"}
    worker = run.start_worker("worker-1")
    if not run.handler.stalled.wait(TIMEOUT):
        pytest.fail(f"The worker never reached the stalled message.\n{run.logs()}")
    os.kill(worker.pid, signal.SIGKILL)
    worker.wait(timeout=TIMEOUT)
    assert worker.returncode == -signal.SIGKILL
    run.handler.release.set()
    ids = [pk for pk, _, _ in rows]
    statuses = run.statuses()
    # Taken in order: the first ones went out, the stalled one is "sending", the rest wait.
    assert [statuses[pk] for pk in ids] == ["sent"] * STALLED + ["sending"] + ["queued"] * (
        MESSAGES - STALLED - 1
    )
    # Its DATA reached the server: the message is out, but the worker never recorded that.
    assert run.handler.deliveries()[rows[STALLED][1]] == 1
    return rows


def recover_and_finish(run):
    """After the lease, run retry_mail, start a new worker and wait for every row and task."""
    time.sleep(LEASE_SECONDS + 0.2)
    output = run.manage("retry_mail")
    run.start_worker("worker-2")
    terminal = {"sent", "failed", "held", "bounced"}
    run.wait_for(lambda: set(run.statuses().values()) <= terminal, "every message to finish")
    run.wait_for(lambda: run.ready_tasks() == 0, "every queued task to be run")
    return output


def test_a_worker_killed_mid_send_sends_each_message_at_most_once(scenario):
    rows = kill_worker_mid_send(scenario)
    output = recover_and_finish(scenario)

    # The interrupted message was marked failed; the two still queued were handed over again.
    assert output.startswith("1 interrupted message(s) marked failed; 2 queued message(s)")
    statuses = scenario.statuses()
    deliveries = scenario.handler.deliveries()
    interrupted_pk, interrupted_id, _ = rows[STALLED]
    others = [row for row in rows if row[0] != interrupted_pk]
    assert {statuses[pk] for pk, _, _ in others} == {"sent"}
    assert {message_id: deliveries[message_id] for _, message_id, _ in others} == {
        message_id: 1 for _, message_id, _ in others
    }
    assert statuses[interrupted_pk] == "failed"
    (reason,) = scenario.query(
        "SELECT last_error FROM mail_outgoingmessage WHERE id = ?", (interrupted_pk,)
    )[0]
    assert "may or may not have gone out" in reason
    assert deliveries[interrupted_id] == 1
    assert sum(deliveries.values()) == MESSAGES  # nothing else reached the server
    # The killed worker's task stays "running" (django_tasks_db never runs it again); the
    # duplicate tasks from retry_mail found their message already claimed and sent nothing.
    assert scenario.tasks() == {
        ("SUCCESSFUL", '"sent"'): MESSAGES - 1,
        ("SUCCESSFUL", '"skipped"'): 2,
        ("RUNNING", None): 1,
    }


def test_control_requeuing_the_interrupted_message_would_send_it_twice(scenario):
    rows = kill_worker_mid_send(scenario)
    interrupted_pk, interrupted_id, _ = rows[STALLED]
    # A recovery without the lease rule: the "sending" row goes back to the queue.
    with sqlite3.connect(scenario.db, timeout=TIMEOUT) as connection:
        connection.execute(
            "UPDATE mail_outgoingmessage SET status = 'queued' WHERE id = ?", (interrupted_pk,)
        )
    connection.close()
    output = recover_and_finish(scenario)

    assert output.startswith("0 interrupted message(s) marked failed; 3 queued message(s)")
    assert set(scenario.statuses().values()) == {"sent"}
    deliveries = scenario.handler.deliveries()
    assert deliveries[interrupted_id] == 2
    assert all(deliveries[message_id] == 1 for pk, message_id, _ in rows if pk != interrupted_pk)
