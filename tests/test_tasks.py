"""Background tasks: Wagtail's own still run on "default"; mail runs on its own database-backed
backend and worker; the helpdesk's outgoing-mail list and its permission-checked resend action."""

import importlib

import pytest
from django.core import mail
from django.test import override_settings
from django.utils import timezone
from django_tasks_db.models import DBTaskResult
from wagtail.models import Page, ReferenceIndex
from wagtail.tasks import update_reference_index_task

from cms.mail import services
from cms.mail.models import OutgoingMessage
from cms.mail.services import transport
from cms.mail.tasks import send_message
from tests.task_support import DATABASE_TASKS, keep_test_connection, run_worker

Status = OutgoingMessage.Status


@pytest.fixture(autouse=True)
def worker_keeps_the_test_connection(monkeypatch):
    keep_test_connection(monkeypatch)


@pytest.mark.parametrize("module", ["cms.settings.dev", "cms.settings.test"])
def test_wagtail_tasks_and_ours_use_separate_backends(module):
    tasks = importlib.import_module(module).TASKS
    assert update_reference_index_task.backend == "default"
    assert send_message.backend == "background"
    assert tasks["default"]["BACKEND"].endswith("ImmediateBackend")
    expected = "DatabaseBackend" if module.endswith("dev") else "ImmediateBackend"
    assert tasks["background"]["BACKEND"].endswith(expected)


def test_wagtail_search_and_reference_index_update_on_publish(home_page, make_standard_page):
    target = make_standard_page(home_page, "Target page")
    linking = make_standard_page(
        home_page,
        "Quokkaology notes",
        body=[{"type": "paragraph", "value": f'<p><a linktype="page" id="{target.pk}">t</a></p>'}],
    )
    assert ReferenceIndex.get_references_to(target).filter(object_id=str(linking.pk)).exists()
    assert list(Page.objects.live().search("Quokkaology")) == [linking.page_ptr]


@override_settings(TASKS=DATABASE_TASKS)
def test_database_worker_sends_queued_mail(db, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        message = services.queue_message("a@example.eu", "Hello", "Body", kind="test")
    assert mail.outbox == []  # stored as a task, not yet run
    assert DBTaskResult.objects.filter(queue_name="mail", backend_name="background").count() == 1
    run_worker()
    message.refresh_from_db()
    assert message.status == Status.SENT
    assert len(mail.outbox) == 1
    # The task delivered twice (a duplicate row) sends nothing more.
    send_message.enqueue(message.pk)
    run_worker()
    assert len(mail.outbox) == 1


@override_settings(TASKS=DATABASE_TASKS, CMSS_MAIL_RETRY_DELAYS=[3600])
def test_a_retry_waits_for_its_backoff_in_the_database(
    db, monkeypatch, django_capture_on_commit_callbacks
):
    calls = []

    def flaky(message):
        calls.append(message.pk)
        if len(calls) == 1:
            raise ConnectionRefusedError("connection refused")
        return message.provider_message_id

    monkeypatch.setattr(transport, "transmit", flaky)
    with django_capture_on_commit_callbacks(execute=True):
        message = services.queue_message("a@example.eu", "Hello", "Body", kind="test")
    run_worker()
    message.refresh_from_db()
    assert message.status == Status.QUEUED and "connection refused" in message.last_error
    retry = DBTaskResult.objects.filter(status="READY").get()
    assert retry.run_after > message.created_at
    run_worker()  # not due yet: the worker leaves it
    assert len(calls) == 1
    DBTaskResult.objects.filter(pk=retry.pk).update(run_after=timezone.now())
    OutgoingMessage.objects.filter(pk=message.pk).update(next_attempt_at=None)
    run_worker()
    message.refresh_from_db()
    assert (message.status, message.attempts) == (Status.SENT, 2)


# The helpdesk's list of outgoing mail.

LIST = "/admin/mail/outgoingmessage/"


@pytest.fixture
def logged(db, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return [
            services.queue_message("sent@example.eu", "Welcome aboard", "Body", kind="welcome"),
            services.queue_message("x@example.eu", "Your code", "Body", kind="account: login code"),
        ]


def test_helpdesk_sees_the_list_with_filters_and_search(client, make_staff, logged):
    client.force_login(make_staff("desk", group="Helpdesk"))
    page = client.get(LIST)
    assert page.status_code == 200
    html = page.content.decode()
    assert "sent@example.eu" in html and "Resend" in html
    filtered = client.get(LIST, {"kind": "welcome", "status": "sent"}).content.decode()
    assert "sent@example.eu" in filtered and "x@example.eu" not in filtered
    searched = client.get(LIST, {"q": "Your code"}).content.decode()
    assert "x@example.eu" in searched and "sent@example.eu" not in searched
    assert client.get(f"{LIST}inspect/{logged[0].pk}/").status_code == 200


def test_editors_do_not_see_the_mail_log(client, make_staff, logged):
    client.force_login(make_staff("ed", group="Editors"))
    response = client.get(LIST)
    assert response.status_code in (302, 403)
    assert "sent@example.eu" not in response.content.decode()


def test_helpdesk_resends_a_message(client, make_staff, logged, django_capture_on_commit_callbacks):
    client.force_login(make_staff("desk", group="Helpdesk"))
    url = f"{LIST}resend/{logged[0].pk}/"
    assert client.get(url).status_code == 200  # the confirmation page
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url)
    assert response.status_code == 302
    copy = OutgoingMessage.objects.get(resent_from=logged[0])
    assert copy.status == Status.SENT
    assert [m.to for m in mail.outbox][-1] == ["sent@example.eu"]


def test_resend_needs_the_resend_permission(client, make_staff, logged):
    from django.contrib.auth.models import Group, Permission

    viewers = Group.objects.create(name="Mail viewers")
    viewers.permissions.add(
        Permission.objects.get(codename="access_admin"),
        Permission.objects.get(codename="view_outgoingmessage"),
    )
    client.force_login(make_staff("viewer", group="Mail viewers"))
    assert client.get(LIST).status_code == 200
    assert "Resend" not in client.get(LIST).content.decode()
    refused = client.post(f"{LIST}resend/{logged[0].pk}/")
    # Wagtail turns PermissionDenied into a redirect to the dashboard with a message.
    assert (refused.status_code, refused.get("Location")) in ((403, None), (302, "/admin/"))
    assert not OutgoingMessage.objects.filter(resent_from__isnull=False).exists()


def test_nobody_edits_or_deletes_the_log(client, make_staff, logged):
    client.force_login(make_staff("desk", group="Helpdesk"))
    for action in ("edit", "delete"):
        assert client.get(f"{LIST}{action}/{logged[0].pk}/").status_code in (302, 403)
    assert OutgoingMessage.objects.count() == 2
