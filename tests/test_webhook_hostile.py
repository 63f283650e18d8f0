"""The tracking webhook under hostile calls: bad bodies answer 400, providers that are not set up
answer 404, and a large batch is accepted at once and applied in the background, each event once.

Mailgun (signed, one event per call) is the configured provider in the test settings; SendGrid
(basic auth, a batch of events per call) is configured per test where a batch is needed.
"""

import json
import time

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import URLPattern, URLResolver, get_resolver

from cms.mail import services
from cms.mail.models import OutgoingMessage, ProcessedWebhookEvent, SuppressedAddress
from tests.task_support import DATABASE_TASKS, keep_test_connection, run_worker
from tests.test_mail_webhook import AUTH, bounce_of, signed

# anymail warns that it no longer officially supports SendGrid; its parser is what is used here.
pytestmark = pytest.mark.filterwarnings("ignore::anymail.exceptions.AnymailNotSupportedWarning")

MAILGUN = "/anymail/mailgun/tracking/"
SENDGRID = "/anymail/sendgrid/tracking/"


def raw_post(client, url, body, auth=AUTH, content_type="application/json"):
    headers = {"HTTP_AUTHORIZATION": auth} if auth else {}
    return client.post(url, data=body, content_type=content_type, **headers)


@pytest.fixture
def sent(db, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return services.queue_message("lena@charite.example.eu", "Hello", "Body", kind="test")


@pytest.fixture
def sendgrid(settings):
    settings.CMSS_MAIL_WEBHOOK_ESP = "sendgrid"


def sendgrid_bounce(n, recipient=None):
    return {
        "event": "bounce",
        "email": recipient or f"person{n}@hospital.example.eu",
        "timestamp": int(time.time()),
        "sg_event_id": f"sg-{n}",
        "reason": "550 5.1.1 mailbox unknown",
    }


# -- Bad bodies after authentication: 400, nothing written ----------------------------------


def signed_with(event_data, **top):
    payload = signed(event_data)
    payload.update(top)
    return json.dumps(payload)


MAILGUN_BAD_BODIES = {
    # JSON of the wrong shape where an object is expected
    "list": json.dumps([1, 2, 3]),
    "string": json.dumps("event"),
    "number": json.dumps(42),
    "signature a list": json.dumps({"signature": ["a"], "event-data": {}}),
    # objects missing keys
    "event-data empty": signed_with({}),
    "no event-data, no event": signed_with({"recipient": "a@b.example"}),
    # wrong types inside
    "event-data a list": signed_with([1]),
    "event-data a string": signed_with("failed"),
    "timestamp not a number": signed_with({"event": "failed", "timestamp": "soon"}),
    "message a string": signed_with({"event": "failed", "message": "x"}),
    "headers a list": signed_with({"event": "failed", "message": {"headers": [1]}}),
    "recipient an object": signed_with({"event": "failed", "recipient": {"a": 1}}),
    "user-variables a list": signed_with({"event": "failed", "user-variables": [1]}),
    "recipient too long": signed_with({"event": "failed", "recipient": "a" * 400 + "@b.example"}),
    "event an object": signed_with({"event": {"x": 1}}),
}


@pytest.mark.parametrize("body", MAILGUN_BAD_BODIES.values(), ids=list(MAILGUN_BAD_BODIES))
def test_wrong_shapes_and_types_answer_400(client, sent, body):
    response = raw_post(client, MAILGUN, body)
    assert response.status_code == 400, response.status_code
    assert not SuppressedAddress.objects.exists()
    sent.refresh_from_db()
    assert sent.status == OutgoingMessage.Status.SENT


SENDGRID_BAD_BODIES = {
    "invalid JSON": b'[{"event": "bounce",',
    "not UTF-8": b'[{"event": "bounce", "email": "\xff\xfe@x.example"}]',
    "an object, not a list": b'{"event": "bounce", "email": "a@b.example"}',
    "a string": b'"bounce"',
    "a number": b"12",
    "list of lists": b"[[1]]",
    "event missing": b'[{"email": "a@b.example"}]',
    "email a number": b'[{"event": "bounce", "email": 5}]',
    "NaN": b"NaN",
    "nested too deep": b"[" * 100_000 + b"]" * 100_000,
}


@pytest.mark.parametrize("body", SENDGRID_BAD_BODIES.values(), ids=list(SENDGRID_BAD_BODIES))
def test_bad_bodies_of_a_basic_auth_provider_answer_400(client, db, sendgrid, body):
    assert raw_post(client, SENDGRID, body).status_code == 400
    assert not SuppressedAddress.objects.exists()
    assert not ProcessedWebhookEvent.objects.exists()


def test_control_characters_in_an_event_are_cleaned(client, db, sendgrid):
    body = json.dumps(
        [{**sendgrid_bounce(1, "bad\x00@x.example"), "reason": "mailbox\x00 \x1bunknown"}]
    )
    assert raw_post(client, SENDGRID, body).status_code in (200, 400)
    for flag in SuppressedAddress.objects.all():
        assert "\x00" not in flag.email and "\x1b" not in flag.reason


def test_a_good_mailgun_call_still_works(client, sent):
    """Control: the same client and signature are accepted, so the 400s above mean the body."""
    assert raw_post(client, MAILGUN, json.dumps(bounce_of(sent))).status_code == 200
    assert SuppressedAddress.objects.filter(email=sent.recipient).exists()


# -- Providers that are not set up: 404, with or without authentication ---------------------


def anymail_urls():
    """Every address under /anymail/ that the anymail package offers."""
    from anymail import urls as anymail_urls_module

    found = []
    for pattern in anymail_urls_module.urlpatterns:
        route = str(pattern.pattern).lstrip("^").rstrip("$")
        found.append("/anymail/" + route.replace("(_mime)?", ""))
    return found


def test_anymail_urls_are_many():
    assert len(anymail_urls()) > 20 and MAILGUN in anymail_urls()


@pytest.mark.parametrize("auth", [None, AUTH], ids=["anonymous", "authenticated"])
def test_providers_not_set_up_answer_404(client, db, auth):
    for url in anymail_urls():
        if url == MAILGUN:
            continue
        response = raw_post(client, url, b"{}", auth=auth)
        assert response.status_code == 404, (url, response.status_code)


def test_no_provider_set_up_means_every_webhook_is_404(client, db, settings):
    settings.CMSS_MAIL_WEBHOOK_ESP = ""
    assert raw_post(client, MAILGUN, b"{}").status_code == 404


def test_the_configured_provider_answers_400_not_404_to_a_bad_call(client, db):
    assert raw_post(client, MAILGUN, b"{}", auth=None).status_code == 400


def test_webhook_routes_are_only_the_tracking_one():
    """Nothing else of anymail (inbound mail) is routed."""

    def walk(patterns, prefix=""):
        for p in patterns:
            if isinstance(p, URLResolver):
                yield from walk(p.url_patterns, prefix + str(p.pattern))
            elif isinstance(p, URLPattern):
                yield prefix + str(p.pattern)

    routes = [r for r in walk(get_resolver().url_patterns) if r.startswith("anymail")]
    assert routes == ["anymail/<slug:esp>/tracking/"], routes


# -- Large batches: accepted at once, applied in the background, each event once --------------


def test_a_batch_of_9000_events_is_accepted_without_applying_it_in_the_request(
    client, db, sendgrid, settings
):
    settings.TASKS = DATABASE_TASKS
    body = json.dumps([sendgrid_bounce(n) for n in range(9000)])
    with CaptureQueriesContext(connection) as queries:
        response = raw_post(client, SENDGRID, body)
    assert response.status_code == 200
    assert len(queries) <= 30, len(queries)
    assert not ProcessedWebhookEvent.objects.exists()


def test_a_batch_is_applied_by_the_worker_each_event_once(
    client, db, sendgrid, settings, monkeypatch
):
    settings.TASKS = DATABASE_TASKS
    settings.CMSS_MAIL_WEBHOOK_INLINE_EVENTS = 5
    settings.CMSS_MAIL_WEBHOOK_EVENTS_PER_TASK = 7
    keep_test_connection(monkeypatch)
    events = [sendgrid_bounce(n) for n in range(30)]
    body = json.dumps(events)
    assert raw_post(client, SENDGRID, body).status_code == 200
    assert raw_post(client, SENDGRID, body).status_code == 200  # the provider's retry
    assert not SuppressedAddress.objects.exists()
    run_worker()
    assert ProcessedWebhookEvent.objects.count() == 30
    assert SuppressedAddress.objects.count() == 30

    # A third delivery of the same batch, after the helpdesk lifted every flag: nothing returns.
    SuppressedAddress.objects.all().delete()
    assert raw_post(client, SENDGRID, body).status_code == 200
    run_worker()
    assert not SuppressedAddress.objects.exists()
    assert ProcessedWebhookEvent.objects.count() == 30


def test_a_small_batch_is_applied_in_the_request(client, db, sendgrid, settings):
    settings.TASKS = DATABASE_TASKS
    settings.CMSS_MAIL_WEBHOOK_INLINE_EVENTS = 5
    body = json.dumps([sendgrid_bounce(n) for n in range(5)])
    assert raw_post(client, SENDGRID, body).status_code == 200
    assert SuppressedAddress.objects.count() == 5


def test_a_chunk_whose_worker_died_midway_is_finished_by_retry_mail(
    client, db, sendgrid, settings, monkeypatch
):
    from django.core.management import call_command
    from django.utils import timezone
    from django_tasks.base import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    from cms.mail.webhooks import apply_record

    settings.TASKS = DATABASE_TASKS
    settings.CMSS_MAIL_WEBHOOK_INLINE_EVENTS = 5
    settings.CMSS_MAIL_WEBHOOK_EVENTS_PER_TASK = 10
    keep_test_connection(monkeypatch)
    body = json.dumps([sendgrid_bounce(n) for n in range(10)])
    assert raw_post(client, SENDGRID, body).status_code == 200
    # A worker took the chunk, applied 4 of its 10 events, and was killed.
    chunk = DBTaskResult.objects.get()
    esp_name, records = chunk.args_kwargs["args"]
    for record in records[:4]:
        apply_record(record, esp_name)
    chunk.status = TaskResultStatus.RUNNING
    chunk.started_at = timezone.now() - timezone.timedelta(hours=1)
    chunk.save()
    run_worker()  # a running task is not picked up again by itself
    assert SuppressedAddress.objects.count() == 4

    call_command("retry_mail")
    run_worker()

    assert SuppressedAddress.objects.count() == 10
    assert ProcessedWebhookEvent.objects.count() == 10
    assert not DBTaskResult.objects.filter(status=TaskResultStatus.RUNNING).exists()
    call_command("retry_mail")  # nothing left to resume
    assert DBTaskResult.objects.count() == 1
