"""One announcement to 10,000 members through the task worker to an SMTP server on loopback.

Migrates a fresh SQLite database in a temporary folder (in a separate process), loads MEMBERS
approved clinicians spread over four countries, starts an aiosmtpd server on 127.0.0.1, then in
this process:

- sends one announcement to a quarter of them (one country: MEMBERS / 4) and one to all of them,
  each started by the helpdesk's service and sent by django-tasks-db's worker (batch mode) the
  way ``manage.py task_worker`` runs it, with tracemalloc on: the peak memory of each send
  (goal: flat, the same at 2,500 and at 10,000 recipients);
- sends the announcement to all of them again, tracemalloc off: the time (goal under 60 s);
- sends the same number of messages (built once, sent over one connection) with bare smtplib:
  the baseline, with the ratio.

The throttle is set to batches of 500 with no pause (``CMSS_ANNOUNCEMENT_BATCH_PAUSE_SECONDS``
defaults to 1 s between batches of 200, i.e. at most 200 messages a second). Run from the
repository root:

    .venv/bin/python bench/announcements.py [--members 10000]

The developer's db.sqlite3 is left alone. Exit status 0 whether or not the goals are met (a
report), non-zero if a message is missing or sent twice.
"""

import argparse
import os
import smtplib
import socket
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
GOAL_SECONDS = 60.0
COUNTRIES = ["BE", "PL", "DE", "FR"]


SERVER = """
import sys
from aiosmtpd.controller import Controller

class Counting:
    received = 0

    async def handle_DATA(self, server, session, envelope):
        Counting.received += 1
        return "250 Message accepted"

controller = Controller(Counting(), hostname="127.0.0.1", port=int(sys.argv[1]))
controller.start()
print("ready", flush=True)
for line in sys.stdin:
    if line.strip() == "count":
        print(Counting.received, flush=True)
    elif line.strip() == "reset":
        Counting.received = 0
        print("ok", flush=True)
controller.stop()
"""


class SMTPCounter:
    """An aiosmtpd server on loopback in a child process that counts the messages it accepts."""

    def __init__(self, port):
        self.process = subprocess.Popen(
            [sys.executable, "-c", SERVER, str(port)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout.readline().strip() == "ready"

    def ask(self, command):
        self.process.stdin.write(command + "\n")
        self.process.stdin.flush()
        return self.process.stdout.readline().strip()

    def count(self):
        return int(self.ask("count"))

    def reset(self):
        self.ask("reset")

    def stop(self):
        self.process.stdin.close()
        self.process.wait(timeout=10)


def load_members(count):
    from directory.models import Clinician, Country, Hospital

    hospitals = [
        Hospital.objects.create(
            name=f"Bench hospital {code}", country=Country.objects.get(code=code)
        )
        for code in COUNTRIES
    ]
    rows = [
        Clinician(
            first_name=f"Bénch{n}",
            last_name="Ωmega",
            email=f"member{n}@hospital.example.eu",
            hospital=hospitals[n % len(hospitals)],
            status=Clinician.Status.APPROVED,
        )
        for n in range(count)
    ]
    Clinician.objects.bulk_create(rows, batch_size=1000)
    return hospitals


def run_worker():
    from django_tasks_db.management.commands.db_worker import Worker

    Worker(
        queue_names=["*"],
        interval=0,
        batch=True,
        backend_name="background",
        startup_delay=False,
        max_tasks=None,
        worker_id="bench",
        excluded_queue_names=[],
    ).run()


def send_announcement(desk, subject, countries=()):
    """Start an announcement as the helpdesk does and run the worker until it is sent; returns
    (announcement, seconds)."""
    from directory.models import Announcement
    from directory.services import announcements

    announcement = Announcement.objects.create(
        subject=subject,
        body="<p>Dear colleagues, the <b>autumn</b> webinar season opens on 2 December.</p>",
        created_by=desk,
    )
    announcement.countries.set(countries)
    started = time.perf_counter()
    announcements.start_sending(announcement, desk)
    run_worker()
    seconds = time.perf_counter() - started
    announcement.refresh_from_db()
    return announcement, seconds


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=10_000)
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="cmss-bench-announcements-"))
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "cms.settings.dev",
        "DJANGO_DEBUG": "0",
        "DATABASE_URL": f"sqlite:///{folder / 'db.sqlite3'}",
    }
    print("Migrating a fresh SQLite database…", flush=True)
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v0"], cwd=ROOT, env=env, check=True
    )
    os.environ.update(
        {k: env[k] for k in ("DJANGO_SETTINGS_MODULE", "DJANGO_DEBUG", "DATABASE_URL")}
    )

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    # The SMTP server in its own process, so that it does not share this one's interpreter lock.
    server = SMTPCounter(port)
    try:
        import django

        django.setup()
        import logging

        for name in ("mail.log", "django_tasks_db", "django_tasks", "cms.mail", "wagtail"):
            logging.getLogger(name).setLevel(logging.ERROR)
        from django.conf import settings
        from django.contrib.auth import get_user_model
        from django.db.models import Count

        from cms.mail.models import OutgoingMessage
        from directory.models import Country

        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST = "127.0.0.1"
        settings.EMAIL_PORT = port
        settings.CMSS_ANNOUNCEMENT_BATCH_SIZE = 500
        settings.CMSS_ANNOUNCEMENT_BATCH_PAUSE_SECONDS = 0

        print(f"Loading {args.members} members…", flush=True)
        load_members(args.members)
        desk = get_user_model().objects.create_user("desk", "helpdesk@cmss.example.eu")

        peaks = {}
        for label, countries in (
            ("quarter", [Country.objects.get(code=COUNTRIES[0])]),
            ("all", []),
        ):
            tracemalloc.start()
            announcement, _ = send_announcement(desk, f"Memory run ({label})", countries)
            peaks[announcement.recipients_total] = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()

        # The bare baseline: the same number of messages, built once, over one connection.
        from django.core.mail import EmailMultiAlternatives

        raw = []
        for n in range(args.members):
            email = EmailMultiAlternatives(
                "Timed run",
                f"Dear Bénch{n} Ωmega,\n\nThe autumn webinar season opens on 2 December.\n",
                "helpdesk@cmss.example.eu",
                [f"member{n}@hospital.example.eu"],
            )
            email.attach_alternative("<p>The <b>autumn</b> season opens.</p>", "text/html")
            raw.append((email.to[0], email.message().as_bytes(linesep="\r\n")))
        server.reset()
        started = time.perf_counter()
        with smtplib.SMTP("127.0.0.1", port) as connection:
            for recipient, message in raw:
                connection.sendmail("helpdesk@cmss.example.eu", [recipient], message)
        bare = time.perf_counter() - started
        del raw

        server.reset()
        announcement, seconds = send_announcement(desk, "Timed run")
        rows = OutgoingMessage.objects.filter(announcement_recipient__announcement=announcement)
        sent = rows.filter(status="sent").count()
        twice = rows.values("recipient").annotate(n=Count("pk")).filter(n__gt=1).count()
        received = server.count()
    finally:
        server.stop()

    print(
        f"one announcement to {args.members} members through the worker: {seconds:.1f} s "
        f"(goal < {GOAL_SECONDS:.0f} s: {'met' if seconds < GOAL_SECONDS else 'NOT met'}); "
        f"bare smtplib {bare:.1f} s, ratio {seconds / bare:.1f}x; {sent} marked sent, "
        f"{received} received, {twice} sent twice"
    )
    for total, peak in sorted(peaks.items()):
        print(f"peak memory (tracemalloc) sending to {total:>6} recipients: {peak / 1e6:.1f} MB")
    small, large = sorted(peaks.items())[0][1], sorted(peaks.items())[-1][1]
    print(f"peak ratio {max(peaks)}/{min(peaks)} recipients: {large / small:.2f} (flat: about 1)")
    if sent != args.members or received != args.members or twice:
        sys.exit("Some messages were not sent, or sent twice.")


if __name__ == "__main__":
    main()
