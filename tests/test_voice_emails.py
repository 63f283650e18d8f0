"""Emails speak in CMSS's voice and link to the site's real address (CMSS_BASE_URL).

Every email allauth can send is rendered through the project's adapter, as text and HTML, with
no internal username and no "Hello from <host>!" greeting; the links of every email (allauth's
and the welcome mail) start with CMSS_BASE_URL; a page that names the signed-in person names
them, not their username.
"""

import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import allauth
import pytest
from allauth.account.adapter import get_adapter
from allauth.account.internal.userkit import default_user_display
from allauth.account.models import EmailAddress
from allauth.core.context import request_context
from django.contrib.sessions.middleware import SessionMiddleware
from django.core import mail
from django.template import Context, Engine
from django.test import RequestFactory, override_settings
from django.utils import timezone

from directory.models import Clinician
from directory.services.enrolment import send_welcome_email

USERNAME = "zq-internal-username-7"
HOST_GREETING = re.compile(r"hello from|thank you for using", re.I)

# Every template prefix allauth 65.22 sends with send_mail or send_notification_mail, and the
# context it passes (see allauth/account/adapter.py and allauth/*/internal/flows/).
ALLAUTH_EMAILS = {
    "account/email/login_code": {"code": "ABCD-EFGH", "reauthentication": False},
    "account/email/email_confirmation_signup": {"code": "WXYZ-1234"},
    "account/email/email_confirmation": {"code": "WXYZ-1234"},
    "account/email/account_already_exists": {
        "signup_url": "http://testserver/accounts/signup/",
        "password_reset_url": "http://testserver/accounts/password/reset/",
    },
    "account/email/unknown_account": {"signup_url": "http://testserver/accounts/signup/"},
    "account/email/password_reset_key": {
        "password_reset_url": "http://testserver/accounts/password/reset/key/x/",
        "username": USERNAME,
    },
    "account/email/password_reset_code": {"code": "PQRS-TUVW"},
}
# CMSS has no passwords: a password reset mail says how to sign in and carries no key or code.
CODE_EMAILS = {
    "account/email/login_code",
    "account/email/email_confirmation_signup",
    "account/email/email_confirmation",
}
NOTICES = {
    "account/email/email_changed": {"from_email": "old@example.eu", "to_email": "new@example.eu"},
    "account/email/email_confirm": {},
    "account/email/email_deleted": {"deleted_email": "old@example.eu"},
    "account/email/password_changed": {},
    "account/email/password_set": {},
    "account/email/password_reset": {},
    "mfa/email/totp_activated": {},
    "mfa/email/totp_deactivated": {},
    "mfa/email/recovery_codes_generated": {},
    "mfa/email/webauthn_added": {},
    "mfa/email/webauthn_removed": {},
}


class StrictHTML(HTMLParser):
    """Fails on a closing tag that does not match the open one, or an element left open."""

    VOID = {"br", "hr", "img", "input", "meta", "link", "col", "area", "base", "wbr", "source"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack = []
        self.links = []

    def handle_starttag(self, tag, attrs):
        if tag == "a":
            self.links.append(dict(attrs).get("href", ""))
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag):
        assert self.stack and self.stack[-1] == tag, f"</{tag}> closes {self.stack[-1:]}"
        self.stack.pop()

    @classmethod
    def parse(cls, html):
        parser = cls()
        parser.feed(html)
        parser.close()
        assert parser.stack == [], f"left open: {parser.stack}"
        return parser


def text_links(text):
    # A sentence may end just after a link: its full stop is not part of it.
    return [url.rstrip(".,;:") for url in re.findall(r"https?://[^\s<>\"')]+", text)]


def html_body(message):
    return next(content for content, kind in message.alternatives if kind == "text/html")


def site_links(urls):
    """The links that lead to the site (not mailto:)."""
    return [url for url in urls if url.startswith("http")]


@pytest.fixture
def person(db, django_user_model):
    user = django_user_model.objects.create_user(
        username=USERNAME, email="ana.silva@example.eu", first_name="Ana", last_name="Silva"
    )
    EmailAddress.objects.create(user=user, email=user.email, primary=True, verified=True)
    return user


def allauth_request(user=None):
    request = RequestFactory().get("/", HTTP_USER_AGENT="Firefox/140")
    SessionMiddleware(lambda r: None).process_request(request)
    request.user = user
    return request


def send_as_allauth(prefix, context, user, capture_on_commit):
    """Send one of allauth's emails as allauth does; it leaves once the transaction commits
    (``capture_on_commit`` is pytest-django's ``django_capture_on_commit_callbacks``)."""
    with capture_on_commit(execute=True), request_context(allauth_request(user)):
        if prefix in NOTICES:
            get_adapter().send_notification_mail(prefix, user, context)
        else:
            get_adapter().send_mail(prefix, user.email, {"user": user, **context})
    return mail.outbox[-1]


@override_settings(ACCOUNT_EMAIL_NOTIFICATIONS=True, CMSS_BASE_URL="http://127.0.0.1:8100")
@pytest.mark.parametrize("prefix", [*ALLAUTH_EMAILS, *NOTICES])
def test_every_allauth_email_is_in_cmss_voice_as_text_and_html(
    prefix, person, django_capture_on_commit_callbacks
):
    context = {**ALLAUTH_EMAILS.get(prefix, {}), **NOTICES.get(prefix, {})}
    message = send_as_allauth(prefix, context, person, django_capture_on_commit_callbacks)
    html = html_body(message)
    parsed = StrictHTML.parse(html)
    for body in (message.subject, message.body, html):
        assert USERNAME not in body
        assert not HOST_GREETING.search(body), body
        assert "testserver" not in body and "example.com" not in body
    assert message.subject.startswith("[CMSS] ")
    assert "The CMSS helpdesk" in message.body and "The CMSS helpdesk" in html
    # Every link to the site, in either body, starts with the configured address.
    links = site_links(text_links(message.body)) + site_links(parsed.links)
    assert links, "every email links at least to the site"
    assert all(link.startswith("http://127.0.0.1:8100/") for link in links), links
    if prefix in CODE_EMAILS:
        assert context["code"] in message.body and context["code"] in html


def test_allauth_defaults_would_fail_these_checks(person):
    """Control: allauth's own templates greet by host and name the username, and the checks
    above see it."""
    engine = Engine(
        dirs=[Path(allauth.__file__).parent / "templates"],
        libraries={
            "i18n": "django.templatetags.i18n",
            "account": "allauth.account.templatetags.account",
        },
    )
    site = type("Site", (), {"name": "127.0.0.1:8100", "domain": "127.0.0.1:8100"})()
    with request_context(allauth_request(person)):
        confirmation = engine.get_template("account/email/email_confirmation_message.txt")
        text = confirmation.render(Context({"current_site": site, "user": person, "code": "X"}))
        assert HOST_GREETING.search(text)
        reset = engine.get_template("account/email/password_reset_key_message.txt")
        text = reset.render(Context({"current_site": site, "username": USERNAME}))
        assert USERNAME in text and HOST_GREETING.search(text)
    # allauth's own way of naming a user is the username.
    assert default_user_display(person) == USERNAME


@override_settings(CMSS_BASE_URL="http://127.0.0.1:8100")
def test_sign_in_code_sent_through_the_site_links_to_the_base_url(
    client, person, home_page, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/accounts/login/code/", {"email": person.email})
    assert response.status_code == 302
    message = mail.outbox[-1]
    assert re.search(r"^\s*[A-Z0-9]{4}-[A-Z0-9]{4}\s*$", message.body, re.M)
    links = site_links(text_links(message.body)) + site_links(
        StrictHTML.parse(html_body(message)).links
    )
    assert links and all(urlsplit(link).netloc == "127.0.0.1:8100" for link in links), links


@override_settings(CMSS_BASE_URL="http://127.0.0.1:8100")
def test_unknown_address_mail_points_at_enrolment_on_the_base_url(
    client, db, home_page, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/accounts/login/code/", {"email": "nobody@example.eu"})
    message = mail.outbox[-1]
    assert "http://127.0.0.1:8100/enrol/" in text_links(message.body)
    assert "http://127.0.0.1:8100/enrol/" in StrictHTML.parse(html_body(message)).links


def test_base_url_is_what_the_links_follow(db, settings, django_capture_on_commit_callbacks):
    """Control: the same email with another base URL links there instead."""
    clinician = Clinician.objects.create(first_name="Ana", last_name="Silva", email="a@x.eu")
    for base in ("http://127.0.0.1:8100", "https://cmss.example.eu"):
        settings.CMSS_BASE_URL = base
        mail.outbox.clear()
        with django_capture_on_commit_callbacks(execute=True):
            send_welcome_email(clinician)
        message = mail.outbox[0]
        links = site_links(text_links(message.body)) + site_links(
            StrictHTML.parse(html_body(message)).links
        )
        assert len(links) >= 4
        assert all(link.startswith(base + "/") for link in links), links


def test_a_person_is_named_by_name_never_by_username(client, person, home_page):
    from allauth.account.utils import user_display

    assert user_display(person) == "Ana Silva"
    person.first_name = person.last_name = ""
    assert user_display(person) == "ana.silva@example.eu"


def test_signing_in_shows_no_username(
    client, person, home_page, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/accounts/login/code/", {"email": person.email})
    code = re.search(r"^\s*([A-Z0-9]{4}-[A-Z0-9]{4})\s*$", mail.outbox[-1].body, re.M).group(1)
    response = client.post("/accounts/login/code/confirm/", {"code": code}, follow=True)
    assert response.status_code == 200
    assert USERNAME not in response.content.decode()
    # allauth's "signed in as" message (shown on the next page with a message area) names the
    # person.
    notices = [str(message) for message in response.context["messages"]]
    assert any("Ana Silva" in notice for notice in notices), notices
    assert not any(USERNAME in notice for notice in notices)


def test_timestamp_in_notices_is_readable(person, settings, django_capture_on_commit_callbacks):
    settings.ACCOUNT_EMAIL_NOTIFICATIONS = True
    message = send_as_allauth(
        "mfa/email/totp_activated", {}, person, django_capture_on_commit_callbacks
    )
    assert timezone.localtime().strftime("%Y") in message.body
    assert "authenticator app was added" in message.body
