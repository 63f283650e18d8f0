"""Time to build and queue 100 personalised invitations, and to send them to an SMTP server on loopback.

Migrates a fresh SQLite database in a temporary folder (in a separate process), starts an aiosmtpd
server on 127.0.0.1, then in this process:

- builds and queues 100 invitations (templates rendered per person, an .ics attachment each, a
  logged row and a database task each, in one transaction): goal under 1 s;
- runs the database task worker (django-tasks-db's, in batch mode) until all are sent over the
  mail service's reused SMTP connection: goal under 3 s.

Prints both figures and how many messages the server received, each beside a baseline measured in
the same run: the same messages rendered and built without the log and tasks, and sent with bare
smtplib over one connection. Run from the repository root:

    .venv/bin/python bench/mail.py [--count 100]

The developer's db.sqlite3 is left alone. Exit status 0 whether or not the goals are met (a report),
non-zero if a message is missing.
"""

import argparse
import os
import smtplib
import socket
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
QUEUE_GOAL = 1.0
SEND_GOAL = 3.0


def invitation(n):
    """The calendar part of invitation n, built by the project's one calendar builder."""
    from events.calendar import CalendarEvent, invitation_attachment

    start = datetime(2026, 3, 2, 14, 0, tzinfo=UTC) + timedelta(minutes=n)
    event = CalendarEvent(
        uid=f"bench-{n}@cmss.example.eu",
        sequence=0,
        title="Case conference: ventilation strategy",
        start=start,
        end=start + timedelta(hours=1),
        time_zone="Europe/Brussels",
        join_url="https://example.webex.com/example/j.php?MTID=m0123456789abcdef",
        password="Xy7pQ2",
        dial_in=[("Belgium", "+32 2 555 01 01")],
        organiser_name="CMSS helpdesk",
        organiser_email="helpdesk@cmss.example.eu",
        attendees=[(f"Clinician Nº{n} Ωmega", f"clinician{n}@hospital.example.eu")],
    )
    return invitation_attachment(event, "REQUEST")


def context(n):
    return {
        "clinician": {"full_name": f"Clinician Nº{n} Ωmega"},
        "sign_in_url": "https://cmss.example.eu/accounts/login/",
        "links": [("Information package", "https://cmss.example.eu/ip/")],
    }


def bare_messages(count):
    """Baseline: the same rendering and calendar building into plain Django messages, no log rows,
    no tasks; returns them as bytes, ready for SMTP."""
    from django.core.mail import EmailMultiAlternatives
    from django.template.loader import render_to_string

    messages = []
    for n in range(count):
        filename, content, mimetype = invitation(n)
        email = EmailMultiAlternatives(
            render_to_string("directory/email/welcome_subject.txt", context(n)).strip(),
            render_to_string("directory/email/welcome.txt", context(n)),
            "helpdesk@cmss.example.eu",
            [f"clinician{n}@hospital.example.eu"],
        )
        email.attach_alternative(
            render_to_string("directory/email/welcome.html", context(n)), "text/html"
        )
        email.attach(filename, content, mimetype)
        messages.append((email.to[0], email.message().as_bytes(linesep="\r\n")))
    return messages


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=100)
    args = parser.parse_args()

    from aiosmtpd.controller import Controller

    folder = Path(tempfile.mkdtemp(prefix="cmss-bench-mail-"))
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "cms.settings.dev",
        "DATABASE_URL": f"sqlite:///{folder / 'db.sqlite3'}",
    }
    print("Migrating a fresh SQLite database…", flush=True)
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v0"], cwd=ROOT, env=env, check=True
    )
    os.environ.update({k: env[k] for k in ("DJANGO_SETTINGS_MODULE", "DATABASE_URL")})

    class Counting:
        received = 0

        async def handle_DATA(self, server, session, envelope):
            Counting.received += 1
            return "250 Message accepted"

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(Counting(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        import django

        django.setup()
        import logging

        for name in ("mail.log", "django_tasks_db", "django_tasks", "cms.mail"):
            logging.getLogger(name).setLevel(logging.ERROR)
        from django.conf import settings
        from django.db import transaction
        from django_tasks_db.management.commands.db_worker import Worker

        from cms.mail.models import OutgoingMessage
        from cms.mail.services import send_mail

        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST = "127.0.0.1"
        settings.EMAIL_PORT = port

        # Baselines in the same run: the bare building of the same messages, and their bare
        # sending with smtplib over one connection.
        started = time.perf_counter()
        prebuilt = bare_messages(args.count)
        bare_build = time.perf_counter() - started
        started = time.perf_counter()
        with smtplib.SMTP("127.0.0.1", port) as connection:
            for recipient, raw in prebuilt:
                connection.sendmail("helpdesk@cmss.example.eu", [recipient], raw)
        bare_send = time.perf_counter() - started
        Counting.received = 0

        started = time.perf_counter()
        with transaction.atomic():
            for n in range(args.count):
                send_mail(
                    "directory/email/welcome",
                    context(n),
                    f"clinician{n}@hospital.example.eu",
                    to_name=f"Clinician Nº{n} Ωmega",
                    kind="invitation",
                    attachments=[invitation(n)],
                )
        queued = time.perf_counter() - started

        started = time.perf_counter()
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
        sent_time = time.perf_counter() - started
        sent = OutgoingMessage.objects.filter(status="sent").count()
    finally:
        controller.stop()

    print(
        f"build and queue {args.count} invitations: {queued:.3f} s (goal < {QUEUE_GOAL} s: "
        f"{'met' if queued < QUEUE_GOAL else 'NOT met'}); bare building {bare_build:.3f} s, "
        f"ratio {queued / bare_build:.1f}x"
    )
    print(
        f"send {args.count} over SMTP on loopback:    {sent_time:.3f} s (goal < {SEND_GOAL} s: "
        f"{'met' if sent_time < SEND_GOAL else 'NOT met'}); bare smtplib {bare_send:.3f} s, "
        f"ratio {sent_time / bare_send:.1f}x; {sent} marked sent, {Counting.received} received"
    )
    if sent != args.count or Counting.received != args.count:
        sys.exit("Some messages were not sent.")


if __name__ == "__main__":
    main()
