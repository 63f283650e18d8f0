"""Issue 8, point 4: no password anywhere; sign-in is by emailed code (plus TOTP for staff).

A signed-in user could set a password at /accounts/password/set/, and Wagtail's front-end login
(/_util/login/, where restricted pages sent anonymous visitors) then took email and password
without any rate limit; /admin/password_reset/ mailed a reset link. Every old password path is
tried here, as an anonymous visitor, a signed-in clinician and a signed-in staff member, GET and
POST with a password: nothing shows a password field, no password is set, none is accepted.
"""

import pytest
from django.contrib.auth.hashers import make_password
from django.core import mail
from django.test import Client
from django.urls import reverse
from wagtail.models import PageViewRestriction

from cms.mail.models import OutgoingMessage
from directory.models import Clinician, Country, Hospital
from home.pagecache import invalidate_public_pages

OLD_PASSWORD = "Old-known-passw0rd!"  # noqa: S105 - a test value
NEW_PASSWORD = "N3w-attacker-passw0rd!"  # noqa: S105 - a test value

PASSWORD_PATHS = [
    "/accounts/password/set/",
    "/accounts/password/change/",
    "/accounts/password/reset/",
    "/accounts/password/reset/done/",
    "/accounts/password/reset/key/done/",
    "/accounts/password/reset/key/1-set-password/",
    "/accounts/reauthenticate/",
    "/_util/login/",
    "/_util/authenticate_with_password/1/1/",
    "/documents/authenticate_with_password/1/",
    "/admin/login/",
    "/admin/password_reset/",
    "/admin/password_reset/done/",
    "/admin/password_reset/confirm/MQ/set-password/",
    "/admin/password_reset/complete/",
    "/admin/account/",
    "/admin/account/change_password/",
    "/django-admin/",
    "/django-admin/password_change/",
]
# Where a sign-in form once took an email and a password.
LOGIN_PATHS = ["/accounts/login/", "/_util/login/", "/admin/login/", "/accounts/reauthenticate/"]


def password_post(email):
    """Every name a password form here has ever used, with the attacker's new password."""
    return {
        "login": email,
        "email": email,
        "username": email,
        "password": OLD_PASSWORD,
        "oldpassword": OLD_PASSWORD,
        "old_password": OLD_PASSWORD,
        "password1": NEW_PASSWORD,
        "password2": NEW_PASSWORD,
        "new_password1": NEW_PASSWORD,
        "new_password2": NEW_PASSWORD,
        "next": "/",
    }


@pytest.fixture
def people(db, django_user_model, make_staff):
    """A clinician and a staff member who both still have an old password hash (made before
    this change, or by `createsuperuser`): it must not be usable either."""
    hospital = Hospital.objects.create(
        name="Hopital Erasme", city="Brussels", country=Country.objects.get(code="BE")
    )
    clinician = django_user_model.objects.create_user("clin", "clin@example.eu", OLD_PASSWORD)
    Clinician.objects.create(
        first_name="Clara",
        last_name="Clinician",
        email="clin@example.eu",
        hospital=hospital,
        status=Clinician.Status.APPROVED,
        user=clinician,
    )
    staff = make_staff("staffer", "Helpdesk")
    staff.set_password(OLD_PASSWORD)
    staff.save()
    from allauth.account.models import EmailAddress

    for user in (clinician, staff):
        EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    return {"clinician": clinician, "staff": staff}


def password_fields(response):
    if getattr(response, "streaming", False) or response.status_code != 200:
        return False
    content = response.content
    if response.get("Content-Type", "").startswith("application/json"):
        content = str(response.json()).encode()
    return b'type="password"' in content


def signed_in_user_id(client):
    return client.session.get("_auth_user_id")


@pytest.mark.django_db
def test_no_old_password_path_shows_or_takes_a_password(people, home_page):
    problems = []
    for who in ("anonymous", "clinician", "staff"):
        user = people.get(who)
        for path in PASSWORD_PATHS:
            client = Client()
            if user is not None:
                client.force_login(user)
            got = client.get(path)
            if password_fields(got):
                problems.append(f"{who} GET {path}: a password field")
            email = user.email if user else people["clinician"].email
            posted = client.post(path, password_post(email))
            if password_fields(posted):
                problems.append(f"{who} POST {path}: a password field")
            for person in people.values():
                person.refresh_from_db()
                if person.check_password(NEW_PASSWORD):
                    problems.append(f"{who} POST {path}: {person.username}'s password was set")
            if user is None and signed_in_user_id(client):
                problems.append(f"anonymous POST {path}: signed in")
    assert problems == []
    # No reset link was mailed (or logged to be mailed) to anyone.
    assert [m.subject for m in mail.outbox if "assword" in m.subject] == []
    assert not OutgoingMessage.objects.filter(subject__icontains="password").exists()


@pytest.mark.django_db
def test_email_and_password_sign_no_one_in(people, home_page):
    """Not even the right (old) password, on any of the login paths."""
    for path in LOGIN_PATHS:
        for person in people.values():
            client = Client()
            client.post(path, {"login": person.email, "password": OLD_PASSWORD})
            client.post(path, {"username": person.email, "password": OLD_PASSWORD})
            client.post(path, {"username": person.username, "password": OLD_PASSWORD})
            assert signed_in_user_id(client) is None, (path, person.username)


@pytest.mark.django_db
def test_passwordless_users_stay_passwordless(people, django_user_model, home_page):
    """A clinician without a password (as every account allauth or the import makes) still has
    none after trying to set one everywhere."""
    user = django_user_model.objects.create_user("fresh", "fresh@example.eu")
    assert not user.has_usable_password()
    client = Client()
    client.force_login(user)
    for path in PASSWORD_PATHS:
        client.post(path, password_post(user.email))
    user.refresh_from_db()
    assert not user.has_usable_password()


@pytest.mark.django_db
def test_old_paths_lead_to_the_code_sign_in(client, home_page):
    for path in ("/_util/login/", "/accounts/password/reset/", "/accounts/password/set/"):
        response = client.get(f"{path}?next=/information-package/")
        assert response.status_code == 302, path
        assert response["Location"].startswith("/accounts/login/"), (path, response["Location"])
    assert client.get("/_util/login/?next=/information-package/")["Location"] == (
        "/accounts/login/?next=/information-package/"
    )
    # Wagtail's own reset pages are gone.
    assert client.get("/admin/password_reset/").status_code in (302, 404)


@pytest.mark.django_db
def test_restricted_page_sends_anonymous_visitors_to_the_code_sign_in(
    client, package_page, make_standard_page, settings
):
    assert settings.WAGTAIL_FRONTEND_LOGIN_URL == settings.LOGIN_URL == "/accounts/login/"
    page = make_standard_page(package_page, "Members news")
    PageViewRestriction.objects.create(page=page, restriction_type=PageViewRestriction.LOGIN)
    invalidate_public_pages()
    response = client.get(page.url)
    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next={page.url}"
    sign_in = client.get(response["Location"])
    assert sign_in.status_code == 200
    assert b'type="password"' not in sign_in.content


@pytest.mark.django_db
def test_admin_user_forms_have_no_password_fields(client, make_staff, people):
    client.force_login(make_staff("root", superuser=True))
    for url in (
        reverse("wagtailusers_users:add"),
        reverse("wagtailusers_users:edit", args=[people["clinician"].pk]),
        reverse("wagtailadmin_account"),
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert b'type="password"' not in response.content, url


@pytest.mark.django_db
def test_shared_password_privacy_is_never_offered(client, package_page, make_staff):
    """README: pages and collections are never restricted by a shared password."""
    from wagtail.models import Collection

    client.force_login(make_staff("root", superuser=True))
    collection = Collection.get_first_root_node().add_child(name="Papers")
    for url in (
        reverse("wagtailadmin_pages:set_privacy", args=[package_page.pk]),
        reverse("wagtailadmin_collections:set_privacy", args=[collection.pk]),
    ):
        html = client.get(url).json()["html"]
        assert 'value="password"' not in html
        assert 'type="password"' not in html
        # Asking for one anyway is refused, and no restriction is made.
        client.post(url, {"restriction_type": "password", "password": "shared-secret"})
    assert not PageViewRestriction.objects.filter(restriction_type="password").exists()
    from wagtail.models import CollectionViewRestriction

    assert not CollectionViewRestriction.objects.filter(restriction_type="password").exists()


@pytest.mark.django_db
def test_a_shared_password_restriction_made_all_the_same_asks_for_no_password(
    package_page, make_standard_page, people
):
    """One made in the shell or by an old database: members only, and no password form."""
    page = make_standard_page(package_page, "Old shared page", summary="Old shared text.")
    PageViewRestriction.objects.create(
        page=page, restriction_type=PageViewRestriction.PASSWORD, password=make_password("x")
    )
    invalidate_public_pages()
    anonymous = Client().get(page.url)
    assert anonymous.status_code == 302
    assert anonymous["Location"].startswith("/accounts/login/")
    member = Client()
    member.force_login(people["clinician"])
    response = member.get(page.url)
    assert response.status_code == 200
    assert b"Old shared text." in response.content
