"""Webinar reminders (issue 10, point 5): a day and an hour before, to confirmed registrants, with
the current join link, once each, even when two runs meet (PostgreSQL, a control without the
unique constraint)."""

import datetime
import threading

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import connection, connections
from django.utils import timezone

from cms.mail.models import OutgoingMessage
from events import periodic
from events.models import (
    Registration,
    Reminder,
    WebexBooking,
    WebinarIndexPage,
    WebinarPage,
    WebinarSpeaker,
)
from events.services import reminders

from .conftest import publish

Status = Registration.Status


def make_webinar(parent, slug="ventilation", starts_in=datetime.timedelta(hours=20), **fields):
    start = timezone.now() + starts_in
    webinar = WebinarPage(
        title=fields.pop("title", "Prone ventilation & ECMO"),
        slug=slug,
        summary="When to turn, and when to cannulate.",
        start=start,
        end=start + datetime.timedelta(hours=1),
        time_zone="Europe/Athens",
        **fields,
    )
    parent.add_child(instance=webinar)
    WebinarSpeaker.objects.create(page=webinar, name="Dr Eleni Georgiou")
    return publish(webinar)


def registrant(webinar, number, status=Status.CONFIRMED, **fields):
    return Registration.objects.create(
        webinar=webinar,
        first_name=f"Ana{number}",
        last_name="Silva",
        email=f"ana{number}@example.eu",
        status=status,
        **fields,
    )


def booked(webinar, web_link="https://cmss.webex.example/j.php?MTID=webinar"):
    booking = WebexBooking.objects.create(
        kind=WebexBooking.Kind.WEBINAR,
        title=webinar.title,
        start=webinar.start,
        end=webinar.end,
        status=WebexBooking.Status.BOOKED,
        web_link=web_link,
    )
    WebinarPage.objects.filter(pk=webinar.pk).update(booking=booking)
    webinar.refresh_from_db()
    return booking


def reminders_to(address, kind=None):
    kinds = (
        [f"webinar_reminder_{kind}"] if kind else ["webinar_reminder_day", "webinar_reminder_hour"]
    )
    return OutgoingMessage.objects.filter(recipient=address, kind__in=kinds)


@pytest.fixture
def catalogue(home_page):
    index = WebinarIndexPage(title="Webinars", slug="webinars")
    home_page.add_child(instance=index)
    return publish(index)


def test_the_day_reminder_goes_to_confirmed_registrants_only_with_their_join_link(
    catalogue, django_capture_on_commit_callbacks
):
    webinar = make_webinar(catalogue)
    booked(webinar)
    own = registrant(webinar, 1, join_link="https://cmss.webex.example/j.php?RGID=ana1")
    plain = registrant(webinar, 2)
    registrant(webinar, 3, status=Status.WAITING)
    registrant(webinar, 4, status=Status.UNCONFIRMED)
    registrant(webinar, 5, status=Status.CANCELLED)
    registrant(webinar, 6, erased=True)
    mail.outbox = []

    with django_capture_on_commit_callbacks(execute=True):
        assert reminders.send_reminders() == 2

    assert sorted(m.to[0] for m in mail.outbox) == [own.email, plain.email]
    by_address = {m.to[0]: m for m in mail.outbox}
    assert "https://cmss.webex.example/j.php?RGID=ana1" in by_address[own.email].body
    # Without a link of their own, the webinar's link.
    assert "https://cmss.webex.example/j.php?MTID=webinar" in by_address[plain.email].body
    assert "Reminder: Prone ventilation & ECMO" in by_address[own.email].subject
    assert own.cancel_token in by_address[own.email].body
    assert set(Reminder.objects.values_list("registration_id", "kind")) == {
        (own.pk, "day"),
        (plain.pk, "day"),
    }


def test_a_second_run_sends_nothing_more(catalogue, django_capture_on_commit_callbacks):
    webinar = make_webinar(catalogue)
    registrant(webinar, 1)
    with django_capture_on_commit_callbacks(execute=True):
        assert reminders.send_reminders() == 1
        assert reminders.send_reminders() == 0
    assert reminders_to("ana1@example.eu").count() == 1


@pytest.mark.parametrize(
    ("starts_in", "expected"),
    [
        (datetime.timedelta(hours=30), []),
        (datetime.timedelta(hours=23, minutes=59), ["day"]),
        (datetime.timedelta(hours=2), ["day"]),
        (datetime.timedelta(minutes=50), ["hour"]),
        (datetime.timedelta(minutes=-5), []),
    ],
)
def test_which_reminder_is_due_depends_on_the_time_left(catalogue, starts_in, expected):
    webinar = make_webinar(catalogue, starts_in=starts_in)
    registrant(webinar, 1)
    reminders.send_reminders()
    assert sorted(Reminder.objects.values_list("kind", flat=True)) == expected


def test_day_then_hour_each_once(catalogue, django_capture_on_commit_callbacks):
    webinar = make_webinar(catalogue, starts_in=datetime.timedelta(hours=5))
    registrant(webinar, 1)
    with django_capture_on_commit_callbacks(execute=True):
        reminders.send_reminders()
        # Four hours and a quarter later: the hour's reminder, once.
        later = timezone.now() + datetime.timedelta(hours=4, minutes=15)
        reminders.send_reminders(now=later)
        reminders.send_reminders(now=later)
    assert [m.subject for m in mail.outbox] == [
        "[CMSS] Reminder: Prone ventilation & ECMO",
        "[CMSS] Starting in an hour: Prone ventilation & ECMO",
    ]


def test_cancelled_or_unpublished_webinars_get_no_reminders(catalogue):
    cancelled = make_webinar(catalogue, slug="cancelled")
    WebinarPage.objects.filter(pk=cancelled.pk).update(state=WebinarPage.State.CANCELLED)
    draft = make_webinar(catalogue, slug="draft")
    draft.unpublish()
    registrant(cancelled, 1)
    registrant(draft, 2)
    assert reminders.send_reminders() == 0


def test_the_command_says_how_many_it_sent(catalogue, capsys):
    webinar = make_webinar(catalogue)
    registrant(webinar, 1)
    call_command("send_reminders")
    assert "1 reminder(s) sent." in capsys.readouterr().out


def test_the_periodic_task_runs_the_rounds_once_on_a_backend_that_cannot_wait(catalogue):
    webinar = make_webinar(catalogue)
    registrant(webinar, 1)
    result = periodic.webinar_rounds.enqueue()
    assert result.return_value["reminders"] == "1"
    assert Reminder.objects.count() == 1


def test_starting_the_periodic_task_twice_queues_one_run(db, settings):
    settings.TASKS = {
        "default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"},
        "background": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default", "mail"]},
    }
    from django_tasks_db.models import DBTaskResult

    call_command("send_reminders", "--schedule")
    call_command("send_reminders", "--schedule")
    assert DBTaskResult.objects.filter(task_path=periodic.webinar_rounds.module_path).count() == 1


# -- two runs at the same moment (PostgreSQL) --------------------------------------------------


def race_two_runs(monkeypatch):
    """Run send_reminders in two threads, each on its own connection, both past their listing of
    what is due before either writes. Returns what each run returned."""
    barrier = threading.Barrier(2, timeout=20)
    listing = reminders.due_reminders

    def list_then_wait(now=None):
        due = listing(now)
        barrier.wait()
        return due

    monkeypatch.setattr(reminders, "due_reminders", list_then_wait)
    results, errors = [], []

    def run():
        try:
            results.append(reminders.send_reminders())
        except Exception as error:  # pragma: no cover - shown by the assertion below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    return results


postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="two connections at once need PostgreSQL"
)


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_two_runs_at_once_send_each_reminder_once(catalogue, monkeypatch, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    webinar = make_webinar(catalogue)
    people = [registrant(webinar, n) for n in range(1, 6)]
    mail.outbox = []

    results = race_two_runs(monkeypatch)

    assert sum(results) == 5
    for person in people:
        assert reminders_to(person.email).count() == 1
        assert len([m for m in mail.outbox if m.to == [person.email]]) == 1


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_control_without_the_unique_constraint_the_race_sends_twice(
    catalogue, monkeypatch, settings
):
    """The listing leaves out stored reminders, but it is only a look: without the constraint,
    both runs see every reminder as due and both send it. So the constraint is the guard."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    webinar = make_webinar(catalogue)
    people = [registrant(webinar, n) for n in range(1, 4)]
    mail.outbox = []
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE events_reminder DROP CONSTRAINT one_reminder_per_kind")
    try:
        results = race_two_runs(monkeypatch)
    finally:
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM events_reminder")
            cursor.execute(
                "ALTER TABLE events_reminder ADD CONSTRAINT one_reminder_per_kind "
                "UNIQUE (registration_id, kind)"
            )

    assert results == [3, 3]
    for person in people:
        assert reminders_to(person.email).count() == 2


def test_a_run_on_the_worker_queues_the_next_one_later_and_only_one(db, settings):
    settings.TASKS = {
        "default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"},
        "background": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default", "mail"]},
    }
    settings.WEBINAR_ROUNDS_SECONDS = 600
    from django_tasks_db.models import DBTaskResult

    before = timezone.now()
    periodic.webinar_rounds.call()  # what the worker does with a queued run
    periodic.webinar_rounds.call()  # a second chain meets the first one's next run: no third
    (queued,) = DBTaskResult.objects.filter(task_path=periodic.webinar_rounds.module_path)
    assert queued.status == "READY"
    assert queued.run_after >= before + datetime.timedelta(seconds=600)
