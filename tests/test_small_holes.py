"""Smaller holes (issue 8, point 9): searches capped in length and terms, addresses compared
after IDNA normalisation, and gunicorn's Server header hidden."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from directory.models import Clinician, Country, Hospital

# 1,000 different words, ~7,000 characters: what the attacker typed.
LONG_QUERY = " ".join(f"w{n}ord" for n in range(1000))

ADMIN_SEARCHES = [
    "/admin/pages/search/",
    "/admin/pages/search/results/",
    "/admin/choose-page/search/",
    "/admin/snippets/directory/clinician/",
    "/admin/snippets/directory/hospital/",
    "/admin/snippets/choose/directory/clinician/results/",
    "/admin/snippets/choose/directory/hospital/results/",
    "/admin/mail/outgoingmessage/",
    "/admin/mail/suppressedaddress/",
    "/admin/events/webexbooking/",
    "/admin/documents/",
    "/admin/documents/chooser/results/",
    "/admin/images/",
    "/admin/images/chooser/results/",
    "/admin/users/",
    "/admin/groups/",
    "/admin/redirects/",
    "/admin/forms/",
    "/admin/sites/",
    "/admin/tag-autocomplete/",
]


@pytest.fixture
def country(db):
    return Country.objects.get_or_create(code="BE", defaults={"name": "Belgium"})[0]


@pytest.fixture
def hospital(country):
    return Hospital.objects.create(name="UZ Leuven", city="Leuven", country=country)


@pytest.mark.parametrize("url", ADMIN_SEARCHES)
def test_a_1000_word_admin_search_answers_quickly(client, make_staff, home_page, hospital, url):
    client.force_login(make_staff("root", superuser=True))
    with CaptureQueriesContext(connection) as queries:
        name = "term" if "autocomplete" in url else "q"
        response = client.get(url, {name: LONG_QUERY})
    assert response.status_code == 200, response.status_code
    assert len(queries) < 120, len(queries)
    longest = max((len(q["sql"]) for q in queries.captured_queries), default=0)
    assert longest < 12_000, longest  # no query carries the thousand words


def test_a_long_public_search_answers_quickly(client, home_page, hospital, django_user_model):
    user = django_user_model.objects.create_user("anna", "anna@uzleuven.example.be")
    Clinician.objects.create(
        user=user,
        first_name="Anna",
        last_name="Peeters",
        email="anna@uzleuven.example.be",
        hospital=hospital,
        status=Clinician.Status.APPROVED,
    )
    for url, params in [
        ("/hospitals/", {"q": LONG_QUERY}),
        ("/enrol/hospitals/", {"q": LONG_QUERY, "country": "BE"}),
    ]:
        assert client.get(url, params).status_code == 200, url
    client.force_login(user)
    assert client.get("/directory/", {"q": LONG_QUERY}).status_code == 200


def test_the_cap_keeps_the_first_words(rf, settings):
    from cms.security import capped_search

    settings.CMSS_SEARCH_MAX_CHARS = 20
    settings.CMSS_SEARCH_MAX_TERMS = 3
    assert capped_search("uz leuven") == "uz leuven"  # short queries are left as they are
    assert capped_search("  a  b  ") == "  a  b  "
    assert capped_search("one two three four") == "one two three"
    assert capped_search("x" * 50) == "x" * 20


def test_the_middleware_caps_q_and_leaves_other_parameters(rf, settings):
    from cms.security import SearchCapMiddleware

    settings.CMSS_SEARCH_MAX_TERMS = 2
    seen = {}

    def view(request):
        seen.update(q=request.GET.get("q"), page=request.GET.get("page"), t=request.GET["term"])
        return None

    SearchCapMiddleware(view)(rf.get("/x/", {"q": "a b c d", "page": "2 3 4", "term": "e f g"}))
    assert seen == {"q": "a b", "page": "2 3 4", "t": "e f"}


# -- The same mailbox written in Unicode and in IDNA ASCII -----------------------------------

UNICODE_ADDRESS = "x@bücher.example"
ASCII_ADDRESS = "x@xn--bcher-kva.example"


def test_normalise_email():
    from cms.emails import normalise_email

    assert normalise_email(UNICODE_ADDRESS) == ASCII_ADDRESS
    assert (
        normalise_email(" Anna.Peeters@UZLeuven.Example.BE ") == "Anna.Peeters@uzleuven.example.be"
    )
    assert normalise_email("X@Bücher.EXAMPLE") == "X@xn--bcher-kva.example"
    assert normalise_email("not an address") == "not an address"


def enrolment_data(hospital, email):
    return {
        "first_name": "Xavier",
        "last_name": "Buch",
        "email": email,
        "country": hospital.country.code,
        "hospital": str(hospital.pk),
        "specialty": "Infectious diseases",
        "role": "case_manager",
        "phone": "+32 16 33 22 11",
        "languages": "Dutch",
        "consent": "on",
    }


@pytest.mark.parametrize(
    "first, second", [(UNICODE_ADDRESS, ASCII_ADDRESS), (ASCII_ADDRESS, UNICODE_ADDRESS)]
)
def test_one_mailbox_written_two_ways_enrols_once(
    client, privacy_page, hospital, first, second, django_capture_on_commit_callbacks
):
    from django.core import mail
    from django.core.cache import cache

    with django_capture_on_commit_callbacks(execute=True):
        assert client.post("/enrol/", enrolment_data(hospital, first)).status_code == 302
    client.cookies.clear()
    cache.clear()  # an hour later: the rate limit per address is not what is tested
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post("/enrol/", enrolment_data(hospital, second)).status_code == 302
    assert Clinician.objects.count() == 1
    assert Clinician.objects.get().email == ASCII_ADDRESS
    assert "already enrolled" in mail.outbox[1].subject


def test_a_legacy_unicode_address_is_still_found(
    client, privacy_page, hospital, django_capture_on_commit_callbacks
):
    """An address stored before normalisation, domain in Unicode, is found by the ASCII form."""
    from django.core import mail

    Clinician.objects.create(first_name="X", last_name="B", email=UNICODE_ADDRESS)
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post("/enrol/", enrolment_data(hospital, ASCII_ADDRESS)).status_code == 302
    assert Clinician.objects.count() == 1
    assert "already enrolled" in mail.outbox[0].subject


@pytest.mark.parametrize("typed", [UNICODE_ADDRESS, ASCII_ADDRESS, "X@Bücher.Example"])
@pytest.mark.parametrize("page", ["/accounts/login/code/", "/accounts/login/"])
def test_both_spellings_sign_in_to_the_same_account(
    client, home_page, django_user_model, typed, page, django_capture_on_commit_callbacks
):
    import re

    from allauth.account.models import EmailAddress
    from django.core import mail

    user = django_user_model.objects.create_user(username="x", email=ASCII_ADDRESS)
    EmailAddress.objects.create(user=user, email=ASCII_ADDRESS, primary=True, verified=True)
    field = "email" if page.endswith("code/") else "login"
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(page, {field: typed})
    assert response.status_code == 302, response.status_code
    code = re.search(r"^\s*([A-Z0-9]{4}-[A-Z0-9]{4})\s*$", mail.outbox[-1].body, re.M)
    assert code is not None, mail.outbox[-1].subject  # a sign-in code, not "no account"
    assert mail.outbox[-1].to == [ASCII_ADDRESS]
    client.post("/accounts/login/code/confirm/", {"code": code.group(1)})
    assert client.session["_auth_user_id"] == str(user.pk)


# -- gunicorn does not name itself ------------------------------------------------------------


def free_port():
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def raw_response_head(port, path="/robots.txt"):
    """The status line and headers gunicorn writes, read off the socket as they are sent."""
    import socket

    with socket.create_connection(("127.0.0.1", port), timeout=30) as conn:
        conn.sendall(
            f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode()
        )
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = conn.recv(4096)
            if not chunk:
                break
            data += chunk
    return data.split(b"\r\n\r\n", 1)[0].decode("latin-1")


def run_gunicorn(config_args):
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    port = free_port()
    env = {**os.environ, "GUNICORN_CMD_ARGS": ""}
    # gunicorn adds the header whatever the application: the smallest one starts fastest.
    command = [sys.executable, "-m", "gunicorn", *config_args, "tests.wsgi_hello:app"]
    command += ["--bind", f"127.0.0.1:{port}", "--workers", "1", "--no-control-socket"]
    server = subprocess.Popen(
        command, cwd=root, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    try:
        # The socket listens once gunicorn says so; a connection then waits for the worker.
        for line in server.stderr:
            if b"Listening at" in line:
                break
        return raw_response_head(port)
    finally:
        server.terminate()
        server.stderr.close()
        server.wait(timeout=20)


def test_gunicorn_with_the_site_config_sends_no_server_header():
    head = run_gunicorn(["-c", "cms/gunicorn.conf.py"])
    assert head.startswith("HTTP/1.1 ")
    names = [line.split(":", 1)[0].strip().lower() for line in head.split("\r\n")[1:]]
    assert "date" in names  # a real response head
    assert "server" not in names, head
    assert "gunicorn" not in head.lower()


def test_gunicorn_without_it_names_itself():
    """Control: the same server without the config file sends `Server: gunicorn`."""
    head = run_gunicorn([])
    assert "Server: gunicorn" in head
