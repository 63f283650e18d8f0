"""Recordings (issue 10, point 6): found on Webex after a recorded webinar ends (or pasted by the
helpdesk), stored on the page and its revisions, emailed to registrants once, removed after the
retention period by purge_expired."""

import datetime
import threading

import psycopg
import pytest
from django.core import mail
from django.core.management import call_command
from django.db import connection, connections
from django.utils import timezone
from wagtail.models import Revision

from cms.mail.models import OutgoingMessage
from events.models import Registration, WebexBooking, WebinarIndexPage, WebinarPage
from events.services import recordings
from events.webex import WEBINAR, MeetingSpec, get_backend
from events.webex.simulated import SimulatedWebex
from home.pagecache import current_generation

from .conftest import publish
from .fake_webex import api_backend_against_fake
from .test_mail_claim_race import waiting_on_a_lock

Status = Registration.Status


@pytest.fixture
def catalogue(home_page):
    index = WebinarIndexPage(title="Webinars", slug="webinars")
    home_page.add_child(instance=index)
    return publish(index)


def webinar_on_webex(
    parent,
    *,
    slug="ventilation",
    ended_ago=datetime.timedelta(hours=2),
    series_id=None,
    recorded=True,
):
    """A published webinar, recorded with consent, booked on the simulated Webex and ended."""
    end = timezone.now() - ended_ago
    start = end - datetime.timedelta(hours=1)
    if series_id is None:
        series_id = (
            SimulatedWebex()
            .create_meeting(
                MeetingSpec(
                    title="Prone ventilation",
                    start=start,
                    end=end,
                    timezone="UTC",
                    kind=WEBINAR,
                    record_automatically=recorded,
                )
            )
            .id
        )
    webinar = WebinarPage(
        title="Prone ventilation & ECMO",
        slug=slug,
        summary="When to turn, and when to cannulate.",
        start=start,
        end=end,
        time_zone="Europe/Athens",
        speaker_consents_to_recording=True,
        recorded=recorded,
    )
    parent.add_child(instance=webinar)
    publish(webinar)
    booking = WebexBooking.objects.create(
        kind=WebexBooking.Kind.WEBINAR,
        title=webinar.title,
        start=start,
        end=end,
        status=WebexBooking.Status.BOOKED,
        webex_meeting_id=series_id,
        record_automatically=recorded,
    )
    WebinarPage.objects.filter(pk=webinar.pk).update(booking=booking)
    webinar.refresh_from_db()
    return webinar


def registrant(webinar, number, status=Status.CONFIRMED, **fields):
    return Registration.objects.create(
        webinar=webinar,
        first_name=f"Ana{number}",
        last_name="Silva",
        email=f"ana{number}@example.eu",
        status=status,
        **fields,
    )


def recording_mails():
    return OutgoingMessage.objects.filter(kind="webinar_recording")


def test_a_recording_found_on_webex_is_stored_and_sent_to_registrants_once(
    catalogue, django_capture_on_commit_callbacks
):
    webinar = webinar_on_webex(catalogue)
    registrant(webinar, 1)
    registrant(webinar, 2)
    registrant(webinar, 3, status=Status.CANCELLED)
    registrant(webinar, 4, status=Status.WAITING)
    registrant(webinar, 5, erased=True)
    generation = current_generation()
    mail.outbox = []

    with django_capture_on_commit_callbacks(execute=True):
        assert recordings.sync_recordings() == {"found": 1, "announced": 1, "failed": 0}

    webinar.refresh_from_db()
    assert webinar.recording_url.startswith("https://cmss-demo.webex.com/")
    assert webinar.recording_password
    assert webinar.recording_added_at and webinar.recording_sent_at
    assert current_generation() > generation, "the cached pages showing it were dropped"
    # The latest revision has it too: the next edit starts from it.
    latest = Revision.page_revisions.get(pk=webinar.latest_revision_id)
    assert latest.content["recording_url"] == webinar.recording_url
    assert sorted(m.to[0] for m in mail.outbox) == ["ana1@example.eu", "ana2@example.eu"]
    body = mail.outbox[0].body
    assert webinar.recording_url in body
    assert f"Password: {webinar.recording_password}" in body
    assert mail.outbox[0].subject == "[CMSS] The recording of Prone ventilation & ECMO"

    with django_capture_on_commit_callbacks(execute=True):
        assert recordings.sync_recordings() == {"found": 0, "announced": 0, "failed": 0}
    assert recording_mails().count() == 2


def test_announcing_twice_sends_once(catalogue):
    webinar = webinar_on_webex(catalogue)
    registrant(webinar, 1)
    recordings.store(webinar, "https://example.webex.com/rec/1", "Pw1")
    assert recordings.announce(webinar) == 1
    # A second run that read the webinar before the first marked it finds the mark under the lock.
    stale = WebinarPage.objects.get(pk=webinar.pk)
    stale.recording_sent_at = None
    assert recordings.announce(stale) is None
    assert recording_mails().count() == 1


def test_webinars_not_recorded_or_not_ended_are_not_looked_for(catalogue):
    not_recorded = webinar_on_webex(catalogue, slug="plain", recorded=False)
    upcoming = webinar_on_webex(catalogue, slug="upcoming", ended_ago=datetime.timedelta(hours=-3))
    for webinar in (not_recorded, upcoming):
        registrant(webinar, webinar.pk)
    assert list(recordings.webinars_to_sync()) == []
    assert recordings.sync_recordings() == {"found": 0, "announced": 0, "failed": 0}


def test_a_link_the_helpdesk_pastes_and_publishes_is_sent_once(
    catalogue, django_capture_on_commit_callbacks
):
    webinar = webinar_on_webex(catalogue, recorded=False)
    registrant(webinar, 1)
    page = WebinarPage.objects.get(pk=webinar.pk)
    page.recording_url = "https://example.webex.com/recording/pasted"
    page.recording_password = "Pasted1"
    with django_capture_on_commit_callbacks(execute=True):
        page.save_revision().publish()
    sent = [m for m in mail.outbox if "recording" in m.subject]
    assert [m.to[0] for m in sent] == ["ana1@example.eu"]
    assert "https://example.webex.com/recording/pasted" in sent[0].body

    page = WebinarPage.objects.get(pk=webinar.pk)
    assert page.recording_added_at and page.recording_sent_at
    page.summary = "Corrected summary."
    with django_capture_on_commit_callbacks(execute=True):
        page.save_revision().publish()
        recordings.sync_recordings()
    assert recording_mails().count() == 1


def test_a_link_pasted_before_the_end_goes_out_with_the_command_after_it(
    catalogue, django_capture_on_commit_callbacks, capsys
):
    webinar = webinar_on_webex(catalogue, recorded=False, ended_ago=datetime.timedelta(hours=-2))
    registrant(webinar, 1)
    page = WebinarPage.objects.get(pk=webinar.pk)
    page.recording_url = "https://example.webex.com/recording/early"
    with django_capture_on_commit_callbacks(execute=True):
        page.save_revision().publish()
    assert recording_mails().count() == 0

    WebinarPage.objects.filter(pk=webinar.pk).update(
        start=timezone.now() - datetime.timedelta(hours=2),
        end=timezone.now() - datetime.timedelta(hours=1),
    )
    with django_capture_on_commit_callbacks(execute=True):
        call_command("sync_recordings")
    assert "1 webinar(s) announced" in capsys.readouterr().out
    assert recording_mails().count() == 1


def test_publishing_the_latest_revision_keeps_a_recording_found_since(catalogue):
    webinar = webinar_on_webex(catalogue)
    recordings.sync_recordings()
    found = WebinarPage.objects.get(pk=webinar.pk).recording_url
    assert found
    # An editor publishes the revision they had open (made before the recording was found).
    Revision.page_revisions.get(pk=webinar.latest_revision_id).publish()
    assert WebinarPage.objects.get(pk=webinar.pk).recording_url == found


def test_the_link_is_removed_after_the_retention_period(catalogue, settings):
    settings.WEBINAR_RECORDING_RETENTION_DAYS = 30
    old = webinar_on_webex(catalogue, slug="old")
    recent = webinar_on_webex(catalogue, slug="recent")
    recordings.sync_recordings()
    WebinarPage.objects.filter(pk=old.pk).update(
        recording_added_at=timezone.now() - datetime.timedelta(days=31)
    )
    generation = current_generation()

    call_command("purge_expired")

    old.refresh_from_db()
    recent.refresh_from_db()
    assert (old.recording_url, old.recording_password) == ("", "")
    assert recent.recording_url
    assert current_generation() > generation
    for revision in Revision.page_revisions.filter(object_id=str(old.pk)):
        assert revision.content.get("recording_url", "") == ""
        assert revision.content.get("recording_password", "") == ""
    # Not fetched from Webex again.
    assert recordings.sync_recordings()["found"] == 0
    assert WebinarPage.objects.get(pk=old.pk).recording_url == ""


def test_a_recording_through_the_api_against_the_fake_webex(catalogue, monkeypatch):
    with api_backend_against_fake(monkeypatch) as server:
        start = timezone.now() - datetime.timedelta(hours=3)
        meeting = get_backend().create_meeting(
            MeetingSpec(
                title="Prone ventilation",
                start=start,
                end=start + datetime.timedelta(hours=1),
                timezone="UTC",
                kind=WEBINAR,
                record_automatically=True,
            )
        )
        recording = server.add_recording(meeting.id, password="Rec0rd")
        webinar = webinar_on_webex(catalogue, series_id=meeting.id)
        assert recordings.sync_recordings()["found"] == 1
    webinar.refresh_from_db()
    assert (webinar.recording_url, webinar.recording_password) == (
        recording["playbackUrl"],
        "Rec0rd",
    )


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_two_runs_announcing_at_once_send_once(catalogue, settings):
    """A third connection holds the webinar's row while two runs start: both wait on the row lock
    (a run that only read would not wait, and both would see "not sent yet"); once it is
    released, the first run marks and sends, the second finds the mark."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    webinar = webinar_on_webex(catalogue)
    for number in (1, 2, 3):
        registrant(webinar, number)
    recordings.store(webinar, "https://example.webex.com/rec/race", "Race1")
    outcomes = []

    def run():
        try:
            outcomes.append(recordings.announce(WebinarPage.objects.get(pk=webinar.pk)))
        finally:
            connections.close_all()

    with psycopg.connect(**connection.get_connection_params()) as locker:
        locker.execute("BEGIN")
        locker.execute(
            "SELECT page_ptr_id FROM events_webinarpage WHERE page_ptr_id = %s FOR UPDATE",
            [webinar.pk],
        )
        threads = [threading.Thread(target=run) for _ in range(2)]
        for thread in threads:
            thread.start()
        assert waiting_on_a_lock(2), "both runs should wait for the webinar's row"
        locker.execute("COMMIT")
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(outcomes, key=str) == [3, None]
    assert recording_mails().count() == 3
