"""Announcements: written, previewed, tested on oneself, sent in batches by the task; a send
stopped halfway and run again gives every member exactly one message; targeting; the List-
Unsubscribe headers of the message that left; who may do it."""

import email
from email import policy

import pytest
from django.contrib.auth.models import Group
from django.core import mail as outbox
from django.test import Client
from wagtail.models import ModelLogEntry

from cms.mail.models import OutgoingMessage
from cms.mail.services import handoff
from directory import mailing_list
from directory.models import Announcement, AnnouncementRecipient, Clinician, Country
from directory.services import announcements
from directory.services.access import HELPDESK_GROUP, national_contact_point_group_name

from .test_directory_pages import make_clinician, make_hospital
from .test_pages import outline


@pytest.fixture(autouse=True)
def no_pause(monkeypatch, settings):
    settings.CMSS_ANNOUNCEMENT_BATCH_SIZE = 3
    settings.CMSS_ANNOUNCEMENT_BATCH_PAUSE_SECONDS = 0.5
    pauses = []
    monkeypatch.setattr(announcements, "pause", pauses.append)
    return pauses


@pytest.fixture
def members(db, django_user_model):
    be = make_hospital("Hôpital Érasme", "Brussels", "BE")
    pl = make_hospital("Szpital", "Łódź", "PL")
    people = [make_clinician(f"Bel{i}", "Member", be) for i in range(4)]
    people += [
        make_clinician(f"Pol{i}", "Member", pl, role=Clinician.Role.CASE_MANAGER) for i in range(3)
    ]
    make_clinician("Gone", "Away", be, mailing_opt_out=True)
    make_clinician("Not", "Yet", be, status=Clinician.Status.AWAITING)
    ncp = django_user_model.objects.create_user("ncp-be", "ncp-be@ncp.example.eu")
    ncp.groups.add(Group.objects.get(name=national_contact_point_group_name("Belgium")))
    return people


@pytest.fixture
def desk(make_staff):
    return make_staff("desk", HELPDESK_GROUP)


def draft(desk, **fields):
    fields.setdefault("subject", "Webinar season <opens>")
    fields.setdefault(
        "body", "<p>Dear colleagues, the <b>autumn</b> season opens.</p><p>See you.</p>"
    )
    return Announcement.objects.create(created_by=desk, **fields)


def messages_by_recipient(announcement):
    rows = OutgoingMessage.objects.filter(kind=announcements.KIND)
    counts = {}
    for recipient in rows.values_list("recipient", flat=True):
        counts[recipient] = counts.get(recipient, 0) + 1
    return counts


def parsed(message):
    return email.message_from_bytes(message.message().as_bytes(), policy=policy.default)


@pytest.mark.django_db
def test_lifecycle_through_the_admin(client, members, desk, django_capture_on_commit_callbacks):
    client.force_login(desk)
    belgium = Country.objects.get(code="BE")
    response = client.post(
        "/admin/announcements/add/",
        {
            "subject": "Season opens",
            "body": '{"blocks": [{"key": "a", "type": "unstyled", "text": "Hello all", '
            '"depth": 0, "inlineStyleRanges": [], "entityRanges": []}], "entityMap": {}}',
            "countries": [belgium.pk],
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    announcement = Announcement.objects.get()
    assert announcement.status == Announcement.Status.DRAFT

    preview = client.get(f"/admin/announcements/{announcement.pk}/")
    assert preview.status_code == 200
    text = preview.content.decode()
    assert "Hello all" in text  # the preview
    assert "5 members would receive it" in " ".join(outline(preview).text)

    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/admin/announcements/{announcement.pk}/test/")
    assert [m.to for m in outbox.outbox] == [[desk.email]]
    assert outbox.outbox[0].subject == "[Test] Season opens"
    outbox.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/admin/announcements/{announcement.pk}/send/")
    assert response.status_code == 302
    announcement.refresh_from_db()
    assert announcement.status == Announcement.Status.SENT
    assert sorted(m.to[0] for m in outbox.outbox) == sorted(
        [f"bel{i}.member@example.eu" for i in range(4)] + ["ncp-be@ncp.example.eu"]
    )
    page = client.get(f"/admin/announcements/{announcement.pk}/")
    words = " ".join(outline(page).text)
    assert "Sent: 5 of 5" in words
    assert 'http-equiv="refresh"' not in page.content.decode()
    actions = set(
        ModelLogEntry.objects.filter(object_id=str(announcement.pk)).values_list(
            "action", flat=True
        )
    )
    assert {
        "wagtail.create",
        announcements.TEST_ACTION,
        announcements.SEND_ACTION,
        announcements.SENT_ACTION,
    } <= actions
    # Sent once: it cannot be sent again or edited.
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/admin/announcements/{announcement.pk}/send/")
    assert len(outbox.outbox) == 5
    assert client.get(f"/admin/announcements/{announcement.pk}/edit/").status_code == 302


@pytest.mark.django_db
def test_the_message_carries_the_list_headers_and_a_working_link(
    members, desk, django_capture_on_commit_callbacks
):
    announcement = draft(desk, roles=[mailing_list.NCP_ROLE])
    with django_capture_on_commit_callbacks(execute=True):
        announcements.start_sending(announcement, desk)
    (sent,) = outbox.outbox
    message = parsed(sent)
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    links = [part.strip().strip("<>") for part in message["List-Unsubscribe"].split(",")]
    https, mailto = links
    assert https.startswith("http") and "/mailing-list/leave/" in https
    assert mailto.startswith("mailto:") and "subject=unsubscribe" in mailto
    assert message["Subject"] == "Webinar season <opens>"
    text = message.get_body(("plain",)).get_content()
    assert https in text and "autumn" in text
    html = message.get_body(("html",)).get_content()
    assert "<b>autumn</b>" in html
    # The header's link, POSTed the RFC 8058 way, unsubscribes the recipient.
    path = https.split("://", 1)[1].partition("/")[2]
    response = Client(enforce_csrf_checks=True).post(
        "/" + path,
        data="List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 200
    assert "ncp-be@ncp.example.eu" not in {m.email for m in mailing_list.iter_members()}


@pytest.mark.django_db
def test_batches_and_throttle(members, desk, no_pause, django_capture_on_commit_callbacks):
    announcement = draft(desk)
    with django_capture_on_commit_callbacks(execute=True):
        announcements.start_sending(announcement, desk)
    assert len(outbox.outbox) == 8
    # 8 members in batches of 3: a pause after each of the first two batches.
    assert no_pause == [0.5, 0.5]
    announcement.refresh_from_db()
    assert announcement.recipients_total == 8
    assert announcements.progress(announcement)["sent"] == 8


@pytest.mark.django_db
def test_a_send_stopped_after_one_batch_continues_without_a_second_copy(
    members, desk, django_capture_on_commit_callbacks
):
    announcement = draft(desk)
    Announcement.objects.filter(pk=announcement.pk).update(status=Announcement.Status.SENDING)
    with django_capture_on_commit_callbacks(execute=True):
        assert announcements.run_sending(announcement.pk, max_batches=1) == "stopped"
    assert len(outbox.outbox) == 3
    progress = announcements.progress(announcement)
    assert (progress["sent"], progress["total"], progress["not_stored"]) == (3, 8, 5)
    with django_capture_on_commit_callbacks(execute=True):
        assert announcements.run_sending(announcement.pk) == "sent"
    counts = messages_by_recipient(announcement)
    assert len(counts) == 8 and set(counts.values()) == {1}
    assert len(outbox.outbox) == 8
    assert AnnouncementRecipient.objects.filter(message__isnull=True).count() == 0


@pytest.mark.django_db
def test_a_worker_killed_mid_batch_sends_nobody_twice(
    members, desk, monkeypatch, django_capture_on_commit_callbacks
):
    """Killed inside a batch (before its commit): that batch stored nothing. Killed after a
    batch was stored but before it was delivered: the next run delivers those, once."""
    announcement = draft(desk)
    Announcement.objects.filter(pk=announcement.pk).update(status=Announcement.Status.SENDING)
    real_queue = announcements.mail.queue_message
    calls = {"n": 0}

    def dies_on_the_fifth(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 5:
            raise SystemExit("worker killed")
        return real_queue(*args, **kwargs)

    monkeypatch.setattr(announcements.mail, "queue_message", dies_on_the_fifth)
    with pytest.raises(SystemExit), django_capture_on_commit_callbacks(execute=True):
        announcements.run_sending(announcement.pk)
    assert len(outbox.outbox) == 3  # the first batch; the second rolled back
    assert OutgoingMessage.objects.filter(kind=announcements.KIND).count() == 3
    monkeypatch.setattr(announcements.mail, "queue_message", real_queue)

    # Killed between storing a batch and delivering it.
    real_deliver_all = announcements.deliver_all
    monkeypatch.setattr(announcements, "deliver_all", lambda ids: None)
    with django_capture_on_commit_callbacks(execute=True):
        announcements.run_sending(announcement.pk, max_batches=1)
    assert len(outbox.outbox) == 3
    assert OutgoingMessage.objects.filter(status="queued").count() == 3
    monkeypatch.setattr(announcements, "deliver_all", real_deliver_all)

    with django_capture_on_commit_callbacks(execute=True):
        assert announcements.run_sending(announcement.pk) == "sent"
    counts = messages_by_recipient(announcement)
    assert len(counts) == 8 and set(counts.values()) == {1}
    assert sorted(m.to[0] for m in outbox.outbox) == sorted(counts)
    # The mail service's own task, run again on any of them, sends nothing more.
    for pk in OutgoingMessage.objects.values_list("pk", flat=True):
        handoff.enqueue(pk)
    assert len(outbox.outbox) == 8


@pytest.mark.django_db
def test_targeting_countries_and_roles(members, desk, django_capture_on_commit_callbacks):
    poland = Country.objects.get(code="PL")
    announcement = draft(desk, roles=[Clinician.Role.CASE_MANAGER, mailing_list.NCP_ROLE])
    announcement.countries.set([poland])
    assert announcements.recipients_count(announcement) == 3
    with django_capture_on_commit_callbacks(execute=True):
        announcements.start_sending(announcement, desk)
    assert sorted(m.to[0] for m in outbox.outbox) == [f"pol{i}.member@example.eu" for i in range(3)]


@pytest.mark.django_db
def test_targeting_an_audience_from_the_registry(members, desk, django_capture_on_commit_callbacks):
    mailing_list.register_audience(
        "test-audience",
        "Test audience",
        lambda value: Clinician.objects.filter(first_name__startswith=value).values_list(
            "email", flat=True
        ),
        lambda: [("Bel1", "Bel1 only")],
    )
    announcement = draft(desk, audience="test-audience", audience_value="Bel1")
    with django_capture_on_commit_callbacks(execute=True):
        announcements.start_sending(announcement, desk)
    assert [m.to for m in outbox.outbox] == [["bel1.member@example.eu"]]


@pytest.mark.django_db
def test_events_registers_the_webinar_registrants_audience():
    from events.audiences import WEBINAR_REGISTRANTS

    audience = mailing_list.audience(WEBINAR_REGISTRANTS)
    assert audience.label == "Registrants of a webinar"
    assert list(audience.emails("not-a-number")) == []


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["editor", "ncp", "clinician", "anonymous"])
def test_only_the_helpdesk_and_admins_may(client, members, desk, make_staff, who):
    announcement = draft(desk)
    if who == "editor":
        client.force_login(make_staff("ed", "Editors"))
    elif who == "ncp":
        client.force_login(make_staff("ncp2", national_contact_point_group_name("Belgium")))
    elif who == "clinician":
        clinician = members[0]
        from django.contrib.auth import get_user_model

        clinician.user = get_user_model().objects.create_user("c", clinician.email)
        clinician.save()
        client.force_login(clinician.user)
    for url in ("/admin/announcements/", f"/admin/announcements/{announcement.pk}/"):
        response = client.get(url)
        assert response.status_code in (302, 403)
        assert "Webinar season" not in response.content.decode()
    client.post(f"/admin/announcements/{announcement.pk}/send/")
    client.post(f"/admin/announcements/{announcement.pk}/test/")
    announcement.refresh_from_db()
    assert announcement.status == Announcement.Status.DRAFT
    assert announcement.test_sent_at is None
    assert outbox.outbox == []


@pytest.mark.django_db
def test_an_administrator_may(client, members, desk, make_staff):
    announcement = draft(desk)
    client.force_login(make_staff("root", superuser=True))
    assert client.get(f"/admin/announcements/{announcement.pk}/").status_code == 200


@pytest.mark.django_db
def test_progress_page_refreshes_itself_while_sending(client, members, desk):
    announcement = draft(desk)
    Announcement.objects.filter(pk=announcement.pk).update(status=Announcement.Status.SENDING)
    client.force_login(desk)
    response = client.get(f"/admin/announcements/{announcement.pk}/")
    assert '<meta http-equiv="refresh" content="3">' in response.content.decode()
    assert "Sending: 0 of" in " ".join(outline(response).text)
