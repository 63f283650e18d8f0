"""Rendered public pages are cached for anonymous visitors and dropped when anything they show changes."""

import pytest
from django.core.files.base import ContentFile
from django.test import Client
from wagtail.models import PageViewRestriction

from home.models import InformationPackageDocument, SiteSettings
from home.pagecache import invalidate_public_pages

from .conftest import publish


def body(response):
    return response.content.decode()


@pytest.mark.django_db
def test_second_anonymous_visit_is_served_from_the_cache(
    client, django_assert_num_queries, home_page
):
    first = client.get("/")
    assert first["X-Page-Cache"] == "miss"
    with django_assert_num_queries(0):
        second = client.get("/")
    assert second["X-Page-Cache"] == "hit"
    assert second.content == first.content
    assert second["Content-Type"] == first["Content-Type"]
    assert int(second["Content-Length"]) == len(second.content)


@pytest.mark.django_db
def test_published_change_shows_at_once(client, package_page, make_standard_page):
    page = make_standard_page(package_page, "Procedures", summary="First wording.")
    assert "First wording." in body(client.get("/information-package/"))
    assert "First wording." in body(client.get(page.url))

    page.summary = "Second wording."
    publish(page)

    assert "Second wording." in body(client.get("/information-package/"))
    assert "Second wording." in body(client.get(page.url))


@pytest.mark.django_db
def test_unpublished_page_disappears_at_once(client, package_page, make_standard_page):
    page = make_standard_page(package_page, "Procedures")
    assert client.get(page.url).status_code == 200
    client.get("/information-package/")
    page.unpublish()
    assert client.get(page.url).status_code == 404
    assert page.url_path not in body(client.get("/information-package/"))


@pytest.mark.django_db
def test_deleted_and_moved_pages_drop_the_cache(
    client, home_page, package_page, make_standard_page
):
    page = make_standard_page(package_page, "Procedures")
    assert "/information-package/procedures/" in body(client.get("/information-package/"))
    page.move(home_page, pos="last-child")
    assert "/information-package/procedures/" not in body(client.get("/information-package/"))
    assert client.get("/procedures/").status_code == 200
    page.refresh_from_db()
    page.delete()
    assert client.get("/procedures/").status_code == 404


@pytest.mark.django_db
def test_document_title_change_shows_at_once(client, package_page, make_document):
    document = make_document("Quick guide")
    package_page.package_documents.add(InformationPackageDocument(document=document))
    publish(package_page)
    assert "Quick guide" in body(client.get("/information-package/"))
    document.title = "Helpdesk quick guide, second edition"
    document.file.save("guide-2.pdf", ContentFile(b"%PDF-1.4\n"), save=False)
    document.save()
    assert "second edition" in body(client.get("/information-package/"))


@pytest.mark.django_db
def test_site_settings_change_shows_at_once(client, home_page):
    assert "helpdesk@cmss.example.eu" in body(client.get("/"))
    settings = SiteSettings.for_site(home_page.get_site())
    settings.helpdesk_email = "desk@network.example.eu"
    settings.save()
    assert "desk@network.example.eu" in body(client.get("/"))


@pytest.mark.django_db
def test_without_invalidation_the_stale_page_would_be_served(client, package_page, monkeypatch):
    """Control: shows the freshness tests above can fail, by switching invalidation off."""
    monkeypatch.setattr("home.pagecache.cache.incr", lambda *a, **k: None)
    package_page.title = "Old title"
    publish(package_page)
    assert "Old title" in body(client.get("/information-package/"))
    package_page.title = "New title"
    publish(package_page)
    assert "Old title" in body(client.get("/information-package/"))


@pytest.mark.django_db
def test_signed_in_users_never_get_the_anonymous_copy(client, home_page, make_staff):
    client.get("/")
    assert client.get("/")["X-Page-Cache"] == "hit"
    client.force_login(make_staff("ed", "Editors"))
    response = client.get("/")
    assert "X-Page-Cache" not in response
    # nor is their (possibly personalised) page stored for others
    assert Client().get("/")["X-Page-Cache"] == "hit"
    assert response.content != b"" and response.status_code == 200


@pytest.mark.django_db
def test_restricted_page_is_never_cached(client, package_page, make_standard_page, make_staff):
    page = make_standard_page(package_page, "Members only")
    PageViewRestriction.objects.create(page=page, restriction_type=PageViewRestriction.LOGIN)
    invalidate_public_pages()
    assert client.get(page.url).status_code == 302
    member = Client()
    member.force_login(make_staff("member", "Editors"))
    assert member.get(page.url).status_code == 200
    anonymous = client.get(page.url)
    assert anonymous.status_code == 302
    assert "X-Page-Cache" not in anonymous


@pytest.mark.django_db
def test_page_with_a_form_token_is_not_cached(client, home_page, monkeypatch):
    from django.middleware.csrf import get_token

    from home.models import HomePage

    original = HomePage.get_context

    def with_token(self, request, *args, **kwargs):
        get_token(request)
        return original(self, request, *args, **kwargs)

    monkeypatch.setattr(HomePage, "get_context", with_token)
    client.get("/")
    assert "X-Page-Cache" not in client.get("/")


@pytest.mark.django_db
def test_post_is_never_cached_and_unread_parameters_are_ignored(client, home_page):
    client.get("/")
    # The home page reads no parameter: /?a=1 is / (see tests/test_pagecache_correctness.py).
    assert client.get("/?a=1")["X-Page-Cache"] == "hit"
    assert "X-Page-Cache" not in client.post("/")
