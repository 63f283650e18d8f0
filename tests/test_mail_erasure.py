"""Mail to a person whose data is erased before it leaves is cancelled: shown as "Cancelled", not
as a failure, and neither the worker, `retry_mail` nor the helpdesk sends it (issue 9, point 3)."""

from io import StringIO

import pytest
from bs4 import BeautifulSoup
from django.core import mail
from django.core.management import call_command

from cms.mail import services
from cms.mail.models import OutgoingMessage, SuppressedAddress

Status = OutgoingMessage.Status
ADDRESS = "mette.hansen@example.eu"
LIST = "/admin/mail/outgoingmessage/"


@pytest.fixture
def cancelled(db):
    """One queued and one held message to ADDRESS, then the address erased from the log."""
    queued = services.queue_message(ADDRESS, "Welcome, Mette", "Dear Mette", kind="welcome")
    SuppressedAddress.objects.create(email=ADDRESS, reason="bounced")
    held = services.queue_message(ADDRESS, "Your webinar", "Dear Mette", kind="invitation")
    assert (queued.status, held.status) == (Status.QUEUED, Status.HELD)
    assert services.forget_recipient(ADDRESS) == 2
    for message in (queued, held):
        message.refresh_from_db()
    return queued, held


def test_erasure_cancels_mail_not_sent_yet(cancelled):
    for message in cancelled:
        assert message.status == Status.CANCELLED
        assert message.get_status_display() == "Cancelled"
        assert "erased" in message.last_error
        assert (message.subject, message.body_text) == ("(erased)", "")
    assert not OutgoingMessage.objects.filter(status=Status.FAILED).exists()


def test_cancelled_mail_is_not_sent_retried_or_resent(cancelled, settings):
    queued, held = cancelled
    assert services.deliver(queued.pk) == "skipped"  # its task reaches the worker late
    settings.CMSS_MAIL_REQUEUE_AFTER_SECONDS = 0  # every queued message is due for retry_mail
    settings.CMSS_MAIL_SENDING_LEASE_SECONDS = 0
    out = StringIO()
    call_command("retry_mail", stdout=out)
    assert "0 queued message(s) handed to the worker" in out.getvalue()
    assert "0 interrupted message(s)" in out.getvalue()
    for message in cancelled:
        message.refresh_from_db()
        assert message.status == Status.CANCELLED
        with pytest.raises(services.CannotResend):
            services.check_resendable(message)
    assert mail.outbox == []


def test_retry_mail_would_hand_a_queued_message_to_the_worker(db, settings):
    """Control for the test above: the same command does send mail that is merely queued."""
    settings.CMSS_MAIL_REQUEUE_AFTER_SECONDS = 0
    services.queue_message(ADDRESS, "Welcome, Mette", "Dear Mette", kind="welcome")
    out = StringIO()
    call_command("retry_mail", stdout=out)
    assert "1 queued message(s) handed to the worker" in out.getvalue()
    assert [m.to for m in mail.outbox] == [[ADDRESS]]


def test_the_mail_log_filters_and_shows_cancelled_mail_with_no_resend(
    cancelled, client, make_staff
):
    client.force_login(make_staff("desk", group="Helpdesk"))
    services.queue_message("other@example.eu", "Hello", "Body", kind="test")  # resendable
    listing = BeautifulSoup(client.get(LIST).content, "html.parser")
    link = listing.select_one(".changelist-filter a[href='?status__exact=cancelled']")
    assert link.get_text(strip=True) == "Cancelled"
    assert len(listing.find_all("a", string="Resend")) == 1  # only for the other message

    rows = BeautifulSoup(client.get(LIST + link["href"]).content, "html.parser").select("tbody tr")
    assert len(rows) == 2
    for row in rows:
        assert "Cancelled: the recipient's personal data was erased" in row.get_text(" ")
        assert row.find("a", string="Resend") is None
    failed = client.get(LIST, {"status__exact": "failed"}).content.decode()
    assert "Cancelled:" not in failed
