"""No account takeover through the mail log: a one-time code is sent, never kept or resent.

The attack this guards against: a helpdesk member asks for a sign-in code for the
administrator's address, reads it in *Mail → Outgoing mail → Inspect* and signs in as them.
A message that carries a code is marked at queue time, its bodies are blanked once it is
sent (or failed, or expired), the admin shows a placeholder instead, and it cannot be resent.
Ordinary mail (the welcome email) keeps its body and can be resent, as before.
"""

import re
from datetime import timedelta

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.contrib import admin as django_admin
from django.core import mail
from django.core.management import call_command
from django.test import Client
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from cms.mail import services
from cms.mail.adapter import carries_secret
from cms.mail.models import OutgoingMessage, SuppressedAddress

Status = OutgoingMessage.Status
CODE = re.compile(r"^\s*([A-Z0-9]{4}-[A-Z0-9]{4})\s*$", re.M)
MAIL_ADMIN = "/admin/mail/outgoingmessage/"


@pytest.fixture
def administrator(make_staff):
    user = make_staff("boss", superuser=True)
    user.set_unusable_password()
    user.save()
    EmailAddress.objects.create(user=user, email=user.email, primary=True, verified=True)
    return user


@pytest.fixture
def helpdesk(client, make_staff):
    client.force_login(make_staff("hd", group="Helpdesk"))
    return client


def request_sign_in_code(email, django_capture_on_commit_callbacks):
    """Ask for a sign-in code for ``email`` as anyone may (a fresh, anonymous browser)."""
    with django_capture_on_commit_callbacks(execute=True):
        response = Client().post("/accounts/login/code/", {"email": email})
    assert response.status_code == 302
    sent = mail.outbox[-1]
    assert sent.to == [email]
    return CODE.search(sent.body).group(1), OutgoingMessage.objects.get(recipient=email)


def admin_pages(message):
    return {
        "index": MAIL_ADMIN,
        "search": f"{MAIL_ADMIN}?q={message.recipient}",
        "inspect": f"{MAIL_ADMIN}inspect/{message.pk}/",
        "history": f"{MAIL_ADMIN}history/{message.pk}/",
        "resend": f"{MAIL_ADMIN}resend/{message.pk}/",
    }


def test_helpdesk_cannot_read_a_sign_in_code_in_the_mail_log(
    helpdesk, administrator, home_page, django_capture_on_commit_callbacks
):
    code, message = request_sign_in_code(administrator.email, django_capture_on_commit_callbacks)

    # The administrator received the code by email...
    assert code in mail.outbox[-1].body
    assert code in mail.outbox[-1].alternatives[0][0]
    # ...but the log does not hold it once it is sent,
    message.refresh_from_db()
    assert message.status == Status.SENT
    assert message.carries_secret
    stored = [message.subject, message.body_text, message.body_html, str(message.attachments)]
    assert not any(code in field for field in stored)
    # and no admin page about it shows it (the inspect page was where it was read).
    for name, url in admin_pages(message).items():
        response = helpdesk.get(url, follow=True)
        assert response.status_code == 200, name
        assert code not in response.content.decode(), name
    inspect = helpdesk.get(admin_pages(message)["inspect"]).content.decode()
    assert "(contains a one-time code: not stored)" in inspect


def test_a_reauthentication_code_is_not_kept_either(
    client, administrator, home_page, django_capture_on_commit_callbacks
):
    client.force_login(administrator)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/accounts/reauthenticate/code/", {"recipient": administrator.email})
    assert response.status_code == 302
    sent = mail.outbox[-1]
    assert "confirm it is you" in sent.subject
    code = CODE.search(sent.body).group(1)
    message = OutgoingMessage.objects.get(recipient=administrator.email)
    assert message.carries_secret and message.status == Status.SENT
    assert code not in message.body_text + message.body_html


def test_the_admin_shows_no_body_even_before_a_code_is_sent(helpdesk, db):
    message = services.queue_message(
        "x@example.eu", "Your sign-in code", "Code: SECR-ET12", kind="t", carries_secret=True
    )
    # As if still waiting for the worker: the body is kept until then.
    OutgoingMessage.objects.filter(pk=message.pk).update(
        status=Status.QUEUED, body_text="Code: SECR-ET12"
    )
    response = helpdesk.get(admin_pages(message)["inspect"])
    assert "SECR-ET12" not in response.content.decode()
    assert "(contains a one-time code: not stored)" in response.content.decode()


def test_resend_refuses_a_message_with_a_code(
    helpdesk, administrator, home_page, django_capture_on_commit_callbacks
):
    code, message = request_sign_in_code(administrator.email, django_capture_on_commit_callbacks)
    sent_before = len(mail.outbox)

    index = helpdesk.get(MAIL_ADMIN).content.decode()
    assert admin_pages(message)["resend"] not in index  # no Resend button for it

    for method in (helpdesk.get, helpdesk.post):
        response = method(admin_pages(message)["resend"], follow=True)
        assert response.redirect_chain[0][0] == MAIL_ADMIN
        notices = [str(m) for m in response.context["messages"]]
        assert any("cannot be resent" in notice for notice in notices), notices
    assert OutgoingMessage.objects.count() == 1
    assert len(mail.outbox) == sent_before

    with pytest.raises(services.CannotResend):
        services.resend(message)


def test_ordinary_mail_still_shows_its_body_and_can_be_resent(
    helpdesk, db, django_capture_on_commit_callbacks
):
    from directory.models import Clinician
    from directory.services.enrolment import send_welcome_email

    clinician = Clinician.objects.create(first_name="W", last_name="E", email="w@example.eu")
    with django_capture_on_commit_callbacks(execute=True):
        message = send_welcome_email(clinician)
    message.refresh_from_db()
    assert not message.carries_secret
    assert message.status == Status.SENT and message.body_text

    inspect = helpdesk.get(admin_pages(message)["inspect"]).content.decode()
    assert "/information-package/" in inspect
    assert admin_pages(message)["resend"] in helpdesk.get(MAIL_ADMIN).content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        response = helpdesk.post(admin_pages(message)["resend"])
    assert response.status_code == 302
    copy = OutgoingMessage.objects.get(resent_from=message)
    assert copy.status == Status.SENT
    assert mail.outbox[-1].body == message.body_text


@pytest.mark.parametrize(
    ("prefix", "context", "secret"),
    [
        ("account/email/login_code", {"code": "A"}, True),
        ("account/email/email_confirmation_signup", {"code": "A"}, True),
        ("account/email/email_confirmation", {"activate_url": "http://x/k/"}, True),
        ("account/email/password_reset_key", {"password_reset_url": "http://x/k/"}, True),
        ("account/email/password_reset_code", {"code": "A"}, True),
        ("account/email/some_future_mail", {"key": "A"}, True),
        ("account/email/unknown_account", {"signup_url": "http://x/"}, False),
        ("account/email/account_already_exists", {"password_reset_url": "http://x/"}, False),
        ("mfa/email/totp_activated", {}, False),
    ],
)
def test_which_allauth_emails_carry_a_secret(prefix, context, secret):
    assert carries_secret(prefix, context) is secret


def old_secret(status, age_minutes, **fields):
    message = services.queue_message(
        "y@example.eu", "Code", "Code: OLDC-ODE1", kind="t", carries_secret=True
    )
    OutgoingMessage.objects.filter(pk=message.pk).update(
        status=status,
        body_text="Code: OLDC-ODE1",
        body_html="<p>OLDC-ODE1</p>",
        created_at=timezone.now() - timedelta(minutes=age_minutes),
        **fields,
    )
    return message


def test_retry_mail_purges_codes_left_behind(db, capsys):
    stale = old_secret(Status.QUEUED, age_minutes=60)
    fresh = old_secret(Status.QUEUED, age_minutes=0, next_attempt_at=timezone.now())
    failed = old_secret(Status.FAILED, age_minutes=0)
    ordinary = services.queue_message("z@example.eu", "Hi", "Keep me", kind="t")
    mail.outbox.clear()

    call_command("retry_mail")

    for message in (stale, fresh, failed, ordinary):
        message.refresh_from_db()
    # An expired code is not sent late, and its body is gone.
    assert stale.status == Status.FAILED and "expired" in stale.last_error
    assert (stale.body_text, stale.body_html) == ("", "")
    assert failed.body_text == "" and failed.status == Status.FAILED
    # A code still valid and waiting for a retry keeps its body until it is sent.
    assert fresh.status == Status.QUEUED and "OLDC-ODE1" in fresh.body_text
    assert ordinary.body_text == "Keep me"
    assert mail.outbox == []
    assert "1 expired one-time code(s) not sent" in capsys.readouterr().out


def test_a_code_that_fails_for_good_is_blanked(db, smtp_server, django_capture_on_commit_callbacks):
    services.close_connection()
    smtp_server.handler.refused = {"gone@example.eu": "550 5.1.1 No such user"}
    with django_capture_on_commit_callbacks(execute=True):
        message = services.queue_message(
            "gone@example.eu", "Code", "Code: FAIL-CODE", kind="t", carries_secret=True
        )
    message.refresh_from_db()
    assert message.status == Status.FAILED
    assert "FAIL-CODE" not in message.body_text + message.body_html


def test_no_admin_shows_a_totp_secret_or_recovery_codes(client, make_staff, administrator):
    """Django's admin (where allauth registers its Authenticator) is not served at all, and
    Wagtail's user pages show nothing of another user's authenticators."""
    totp = Authenticator.objects.create(
        user=administrator, type=Authenticator.Type.TOTP, data={"secret": "JBSWY3DPEHPK3PXPSECRET"}
    )
    codes = Authenticator.objects.create(
        user=administrator,
        type=Authenticator.Type.RECOVERY_CODES,
        data={"seed": "recovery-seed-0123456789abcdef", "used_mask": 0},
    )
    # allauth registers its authenticators with Django's admin, which is therefore not served.
    assert Authenticator in django_admin.site._registry
    with pytest.raises(NoReverseMatch):
        reverse("admin:index")
    with pytest.raises(NoReverseMatch):
        reverse("admin:mfa_authenticator_changelist")
    urls = [
        "/django-admin/",
        "/django-admin/mfa/authenticator/",
        f"/django-admin/mfa/authenticator/{totp.pk}/change/",
        "/admin/mfa/authenticator/",
        f"/admin/mfa/authenticator/{codes.pk}/",
        "/admin/snippets/mfa/authenticator/",
        "/admin/users/",
        f"/admin/users/{administrator.pk}/",
        f"/admin/users/edit/{administrator.pk}/",
    ]
    for user in (make_staff("root", superuser=True), make_staff("hd2", group="Helpdesk")):
        client.force_login(user)
        for url in urls:
            response = client.get(url, follow=True)
            assert response.status_code in (200, 403, 404), (user, url)
            body = response.content.decode()
            assert "JBSWY3DPEHPK3PXPSECRET" not in body, (user, url)
            assert "recovery-seed" not in body, (user, url)


def test_a_code_interrupted_mid_send_or_held_keeps_no_body(db, settings):
    settings.CMSS_MAIL_SENDING_LEASE_SECONDS = 0
    interrupted = old_secret(Status.SENDING, age_minutes=0, claimed_at=timezone.now())
    services.recover_stalled()
    interrupted.refresh_from_db()
    assert interrupted.status == Status.FAILED and interrupted.body_text == ""

    SuppressedAddress.objects.create(email="held@example.eu", reason="bounced")
    held = services.queue_message(
        "held@example.eu", "Code", "Code: HELD-CODE", kind="t", carries_secret=True
    )
    held.refresh_from_db()
    assert held.status == Status.HELD and held.body_text == ""
