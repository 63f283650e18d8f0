"""Issue 8, point 3: content restricted to "members" is for approved clinicians and staff only.

A page restricted in Wagtail's privacy dialog, and a document in a restricted collection, were
open to anyone signed in: a clinician awaiting approval (anyone can enrol and confirm an email)
and a suspended one. Both are tried here for every kind of visitor, and the demo's media URL,
which served private documents without asking, is tried too.
"""

import importlib

import pytest
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import clear_url_caches, reverse
from wagtail.models import Collection, CollectionViewRestriction, PageViewRestriction

from directory.models import Clinician, Country, Hospital
from directory.services.approval import approve_clinician, suspend_clinician
from home.pagecache import invalidate_public_pages

SECRET_PAGE_TEXT = "Minutes of the members meeting"
SECRET_DOCUMENT = b"%PDF-1.4\n%members-only-minutes\n"


@pytest.fixture
def hospital(db):
    return Hospital.objects.create(
        name="Hopital Erasme", city="Brussels", country=Country.objects.get(code="BE")
    )


@pytest.fixture
def make_clinician_user(django_user_model, hospital):
    def make(name, status):
        user = django_user_model.objects.create_user(name, f"{name}@example.eu")
        Clinician.objects.create(
            first_name=name.title(),
            last_name="Test",
            email=f"{name}@example.eu",
            hospital=hospital,
            status=status,
            user=user,
        )
        return user

    return make


@pytest.fixture
def visitors(make_clinician_user, make_staff, django_user_model):
    """One signed-in client per kind of visitor (None: anonymous)."""
    users = {
        "anonymous": None,
        "awaiting approval": make_clinician_user("awaiting", Clinician.Status.AWAITING),
        "email unconfirmed": make_clinician_user("unconfirmed", Clinician.Status.UNCONFIRMED),
        "suspended": make_clinician_user("suspended", Clinician.Status.SUSPENDED),
        "signed in, no clinician record": django_user_model.objects.create_user(
            "nobody", "nobody@example.eu"
        ),
        "approved clinician": make_clinician_user("approved", Clinician.Status.APPROVED),
        "editor": make_staff("editor", "Editors"),
        "helpdesk": make_staff("helpdesk", "Helpdesk"),
        "national contact point": make_staff("ncp", "National contact point – Belgium"),
        "administrator": make_staff("root", superuser=True),
    }
    clients = {}
    for role, user in users.items():
        client = Client()
        if user is not None:
            client.force_login(user)
        clients[role] = client
    return clients


MEMBERS = {"approved clinician", "editor", "helpdesk", "national contact point", "administrator"}
REFUSED = {"awaiting approval", "email unconfirmed", "suspended", "signed in, no clinician record"}


@pytest.fixture
def members_page(package_page, make_standard_page):
    page = make_standard_page(package_page, "Members area", summary=SECRET_PAGE_TEXT)
    PageViewRestriction.objects.create(page=page, restriction_type=PageViewRestriction.LOGIN)
    invalidate_public_pages()
    return page


@pytest.fixture
def members_document(make_document):
    collection = Collection.get_first_root_node().add_child(name="Members' papers")
    CollectionViewRestriction.objects.create(
        collection=collection, restriction_type=CollectionViewRestriction.LOGIN
    )
    document = make_document("Meeting minutes", content=SECRET_DOCUMENT)
    document.collection = collection
    document.save()
    return document


def content_of(response):
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content)
    return response.content


def outcome(role, response, secret):
    """What went wrong for ``role``, or None."""
    body = content_of(response)
    status, location = response.status_code, response.get("Location", "")
    if role == "anonymous":
        if status != 302 or not location.startswith("/accounts/login/?next="):
            return f"{role}: {status} {location}, expected the code sign-in"
    elif role in REFUSED:
        if status != 403 or b"approved" not in body:
            return f"{role}: {status}, expected 403 saying why"
    else:
        assert role in MEMBERS
        if status != 200 or secret not in body:
            return f"{role}: {status}, expected 200"
        cache_control = response.get("Cache-Control", "")
        if "private" not in cache_control or "no-store" not in cache_control:
            # What a member is given is theirs: no proxy or CDN in front may keep it.
            return f"{role}: {cache_control!r}, expected private, no-store"
        return None
    if secret in body:
        return f"{role}: the content was shown"
    if "no-cache" not in response.get("Cache-Control", ""):
        # A refusal or a redirect to sign-in is never kept by a browser or proxy cache.
        return f"{role}: {status} may be cached"
    return None


@pytest.mark.django_db
def test_restricted_page_is_for_approved_clinicians_and_staff(visitors, members_page):
    wrong = [
        outcome(role, client.get(members_page.url), SECRET_PAGE_TEXT.encode())
        for role, client in visitors.items()
    ]
    assert [w for w in wrong if w] == []


@pytest.mark.django_db
def test_document_in_restricted_collection_is_for_approved_clinicians_and_staff(
    visitors, members_document
):
    wrong = [
        outcome(role, client.get(members_document.url), SECRET_DOCUMENT)
        for role, client in visitors.items()
    ]
    assert [w for w in wrong if w] == []


@pytest.mark.django_db
def test_approval_and_suspension_take_effect_at_once(
    make_clinician_user, make_staff, members_page, members_document
):
    user = make_clinician_user("waiting", Clinician.Status.AWAITING)
    client = Client()
    client.force_login(user)
    assert client.get(members_page.url).status_code == 403
    helpdesk = make_staff("hd", "Helpdesk")
    approve_clinician(user.clinician, helpdesk)
    assert client.get(members_page.url).status_code == 200
    assert client.get(members_document.url).status_code == 200
    suspend_clinician(user.clinician, helpdesk)
    assert client.get(members_page.url).status_code == 403
    assert client.get(members_document.url).status_code == 403


@pytest.mark.django_db
def test_group_restriction_refuses_signed_in_outsiders_without_a_sign_in_loop(
    package_page, make_standard_page, make_staff, visitors
):
    page = make_standard_page(package_page, "Moderators only", summary="For moderators.")
    restriction = PageViewRestriction.objects.create(
        page=page, restriction_type=PageViewRestriction.GROUPS
    )
    restriction.groups.set([Group.objects.get(name="Moderators")])
    # Sent back to the sign-in page while signed in, a person would go round in circles.
    response = visitors["approved clinician"].get(page.url)
    assert response.status_code == 403
    moderator = Client()
    moderator.force_login(make_staff("mod", "Moderators"))
    assert moderator.get(page.url).status_code == 200
    assert visitors["anonymous"].get(page.url).status_code == 302


@pytest.mark.django_db
def test_privacy_dialog_says_members_in_plain_words(client, members_page, make_staff):
    client.force_login(make_staff("dialog-admin", superuser=True))
    collection = Collection.get_first_root_node().add_child(name="Package")
    for url in (
        reverse("wagtailadmin_pages:set_privacy", args=[members_page.pk]),
        reverse("wagtailadmin_collections:set_privacy", args=[collection.pk]),
    ):
        response = client.get(url)
        assert response.status_code == 200
        html = response.json()["html"]
        assert "Members: approved clinicians and staff" in html
        assert "any logged-in users" not in html
        assert 'value="password"' not in html
        assert 'type="password"' not in html


@pytest.mark.django_db
def test_choosing_members_in_the_dialog_restricts_to_members(
    client, members_page, make_staff, make_standard_page, package_page, visitors
):
    page = make_standard_page(package_page, "New members page", summary="Members news.")
    client.force_login(make_staff("dialog-admin", superuser=True))
    response = client.post(
        reverse("wagtailadmin_pages:set_privacy", args=[page.pk]), {"restriction_type": "login"}
    )
    assert response.status_code == 200
    invalidate_public_pages()
    assert visitors["suspended"].get(page.url).status_code == 403
    assert visitors["approved clinician"].get(page.url).status_code == 200


def test_documents_always_go_through_the_checking_view(settings):
    assert settings.WAGTAILDOCS_SERVE_METHOD == "serve_view"


@pytest.fixture
def debug_urlconf(settings):
    """cms.urls as the demo (DEBUG) builds it."""
    import cms.urls

    settings.DEBUG = True
    importlib.reload(cms.urls)
    clear_url_caches()
    yield
    settings.DEBUG = False
    importlib.reload(cms.urls)
    clear_url_caches()


@pytest.mark.django_db
def test_demo_does_not_serve_documents_by_their_media_url(
    debug_urlconf, members_document, visitors, settings
):
    from pathlib import Path

    stored = Path(settings.MEDIA_ROOT) / members_document.file.name
    assert stored.exists() and members_document.file.name.startswith("documents/")
    for role in ("anonymous", "suspended", "approved clinician"):
        response = visitors[role].get(f"{settings.MEDIA_URL}{members_document.file.name}")
        assert response.status_code == 404, role
    # Images are still served by the demo.
    image = Path(settings.MEDIA_ROOT) / "original_images" / "members-only-test.gif"
    image.parent.mkdir(parents=True, exist_ok=True)
    image.write_bytes(TINY_GIF)
    try:
        response = visitors["anonymous"].get(f"{settings.MEDIA_URL}original_images/{image.name}")
        assert response.status_code == 200
    finally:
        image.unlink()


TINY_GIF = (
    b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00"
    b",\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"
)
