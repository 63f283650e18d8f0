"""The page cache never serves what it should not (issue 9, point 1): invalidation after commit,
private pages and redirects, the HTTPS redirect, query strings, and Cache-Control headers."""

import threading

import pytest
from django.db import connection, transaction
from django.test import Client

from home.pagecache import current_generation

from .conftest import publish


def body(response):
    return response.content.decode()


def get_from_another_connection(path):
    """A visitor's request served by another process while a transaction is open: it reads only
    committed rows."""
    found = {}

    def visit():
        try:
            found["response"] = Client().get(path)
        finally:
            connection.close()

    thread = threading.Thread(target=visit)
    thread.start()
    thread.join()
    return found["response"]


# --- (a) invalidation after commit -------------------------------------------------------------


@pytest.mark.django_db
def test_generation_is_bumped_again_when_the_publishing_transaction_commits(
    client, package_page, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        package_page.title = "New title"
        publish(package_page)
        # Rendered inside the publishing transaction and stored.
        client.get("/information-package/")
        assert client.get("/information-package/")["X-Page-Cache"] == "hit"
    before = current_generation()
    for callback in callbacks:
        callback()
    assert current_generation() > before
    assert client.get("/information-package/")["X-Page-Cache"] == "miss"


@pytest.mark.skipif("connection.vendor != 'postgresql'")
@pytest.mark.django_db(transaction=True)
def test_page_rendered_during_the_publishing_transaction_is_not_served_after_commit(
    package_page,
):
    package_page.title = "Old title"
    publish(package_page)
    with transaction.atomic():
        package_page.title = "New title"
        publish(package_page)
        during = get_from_another_connection("/information-package/")
        assert "Old title" in body(during) and during["X-Page-Cache"] == "miss"
    after = Client().get("/information-package/")
    assert "New title" in body(after)


# --- (b) private pages and redirects ------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("on", ["page", "ancestor"])
def test_making_a_page_private_drops_its_public_copy(client, package_page, make_standard_page, on):
    from wagtail.models import PageViewRestriction

    page = make_standard_page(package_page, "Procedures")
    client.get(page.url)
    assert client.get(page.url)["X-Page-Cache"] == "hit"
    restricted = page if on == "page" else package_page
    restriction = PageViewRestriction.objects.create(
        page=restricted, restriction_type=PageViewRestriction.LOGIN
    )
    response = client.get(page.url)
    assert response.status_code == 302 and "X-Page-Cache" not in response
    # Public again: the page is served (and cached) again.
    restriction.delete()
    assert client.get(page.url).status_code == 200


@pytest.mark.django_db
def test_restriction_to_groups_changed_drops_the_cache(client, package_page):
    from django.contrib.auth.models import Group
    from wagtail.models import PageViewRestriction

    restriction = PageViewRestriction.objects.create(
        page=package_page, restriction_type=PageViewRestriction.GROUPS
    )
    client.get("/")
    assert client.get("/")["X-Page-Cache"] == "hit"
    restriction.groups.add(Group.objects.create(name="Readers"))
    assert client.get("/")["X-Page-Cache"] == "miss"


@pytest.mark.django_db
def test_collection_made_private_drops_the_cache(client, home_page):
    from wagtail.models import Collection, CollectionViewRestriction

    client.get("/")
    assert client.get("/")["X-Page-Cache"] == "hit"
    restriction = CollectionViewRestriction.objects.create(
        collection=Collection.get_first_root_node(),
        restriction_type=CollectionViewRestriction.LOGIN,
    )
    assert client.get("/")["X-Page-Cache"] == "miss"
    client.get("/")
    restriction.delete()
    assert client.get("/")["X-Page-Cache"] == "miss"


@pytest.mark.django_db
def test_redirect_added_changed_or_deleted_drops_the_cache(client, home_page):
    from wagtail.contrib.redirects.models import Redirect

    client.get("/")
    assert client.get("/")["X-Page-Cache"] == "hit"
    redirect = Redirect.objects.create(old_path="/old", redirect_link="/")
    assert client.get("/")["X-Page-Cache"] == "miss"
    client.get("/")
    redirect.redirect_link = "/hospitals/"
    redirect.save()
    assert client.get("/")["X-Page-Cache"] == "miss"
    client.get("/")
    redirect.delete()
    assert client.get("/")["X-Page-Cache"] == "miss"


# --- (c) the HTTPS redirect comes before the cache ---------------------------------------------


@pytest.mark.django_db
def test_plain_http_gets_the_https_redirect_even_when_pages_are_cached(client, home_page, settings):
    settings.SECURE_SSL_REDIRECT = False
    # Copies stored before the redirect was switched on, for both schemes.
    client.get("/")
    client.get("/", secure=True)
    assert client.get("/", secure=True)["X-Page-Cache"] == "hit"
    settings.SECURE_SSL_REDIRECT = True
    client = Client()  # SecurityMiddleware reads the setting when it is made
    plain = client.get("/")
    assert plain.status_code == 301 and plain["Location"] == "https://testserver/"
    assert "X-Page-Cache" not in plain
    assert client.get("/", secure=True)["X-Page-Cache"] == "hit"


@pytest.mark.django_db
def test_https_copy_is_never_answered_to_plain_http(client, home_page):
    client.get("/", secure=True)
    assert client.get("/", secure=True)["X-Page-Cache"] == "hit"
    assert client.get("/")["X-Page-Cache"] == "miss"


# --- (d) only the parameters a page reads make an entry -----------------------------------------


def stored_pages():
    from django.core.cache import cache

    return sum(1 for key in cache._cache if "pagecache:page:" in key)


@pytest.mark.django_db
def test_page_reading_no_parameter_is_one_entry_whatever_the_query(client, home_page):
    first = client.get("/")
    assert first["X-Page-Cache"] == "miss"
    for query in ("?utm_source=x", "?a=1&b=2", "?page=3", "?q=anything"):
        response = client.get("/" + query)
        assert response["X-Page-Cache"] == "hit", query
        assert response.content == first.content
    assert stored_pages() == 1


@pytest.mark.django_db
def test_page_reading_parameters_keys_on_those_only(client, home_page, settings):
    assert client.get("/hospitals/", {"q": "leuven"})["X-Page-Cache"] == "miss"
    assert client.get("/hospitals/", {"q": "leuven", "junk": "1"})["X-Page-Cache"] == "hit"
    assert client.get("/hospitals/", {"junk": "2", "q": "leuven"})["X-Page-Cache"] == "hit"
    # A parameter the page reads is its own entry.
    assert client.get("/hospitals/", {"q": "gent"})["X-Page-Cache"] == "miss"
    assert client.get("/hospitals/")["X-Page-Cache"] == "miss"
    assert client.get("/hospitals/", {"other": "x"})["X-Page-Cache"] == "hit"
    assert stored_pages() == 3
    # A request with a parameter the page does not read stores nothing.
    assert "X-Page-Cache" not in client.get("/hospitals/", {"q": "liège", "junk": "1"})
    assert stored_pages() == 3


@pytest.fixture
def some_hospitals(home_page):
    from directory.models import Country, Hospital

    belgium = Country.objects.get_or_create(
        code="BE", defaults={"name": "Belgium", "time_zone": "Europe/Brussels", "membership": "EU"}
    )[0]
    for name, city in (("Hôpital Érasme", "Bruxelles"), ("UZ Gasthuisberg", "Leuven")):
        Hospital.objects.create(name=name, city=city, country=belgium)


@pytest.mark.django_db
def test_values_that_render_the_same_page_make_no_entries_of_their_own(client, some_hospitals):
    """An invalid page number renders page 1 or the last page, an unknown country every
    country, a search with spaces around it the same search: none of them is stored, so
    varying a value cannot fill the cache."""
    assert client.get("/hospitals/")["X-Page-Cache"] == "miss"
    assert client.get("/hospitals/", {"country": "BE", "q": "leuven"})["X-Page-Cache"] == "miss"
    assert client.get("/enrol/hospitals/", {"country": "BE", "q": "leuven"})["X-Page-Cache"] == (
        "miss"
    )
    assert stored_pages() == 3
    variants = []
    for n in range(40):
        variants += [
            ("/hospitals/", {"page": f"abc{n}"}),
            ("/hospitals/", {"page": str(99_999 + n)}),
            ("/hospitals/", {"page": f"0{n + 1}"}),
            ("/hospitals/", {"page": ["1", str(n)]}),
            ("/hospitals/", {"country": f"X{n}"}),
            ("/hospitals/", {"country": "BE" + str(n), "q": "leuven"}),
            ("/hospitals/", {"country": "BE", "q": " " * (n + 1) + "leuven"}),
            ("/enrol/hospitals/", {"country": "be", "q": "leuven"}),
            ("/enrol/hospitals/", {"country": "BE", "q": "leuven" + " " * (n + 1)}),
        ]
    for path, params in variants:
        response = client.get(path, params)
        assert response.status_code == 200, (path, params)
        assert "X-Page-Cache" not in response, (path, params)
    assert stored_pages() == 3
    # What was rendered is still the page the value leads to.
    assert "Hôpital Érasme" in client.get("/hospitals/", {"page": "abc"}).content.decode()


@pytest.mark.django_db
def test_a_page_keeps_at_most_so_many_variants(client, some_hospitals, monkeypatch):
    """Searches are free text, each a page of its own: a page keeps at most
    MAX_VARIANTS_PER_PATH of them until its copies expire or something is published."""
    from home import pagecache

    monkeypatch.setattr(pagecache, "MAX_VARIANTS_PER_PATH", 5)
    for n in range(30):
        client.get("/hospitals/", {"q": f"search {n}"})
    assert stored_pages() == 5
    assert client.get("/hospitals/", {"q": "search 2"})["X-Page-Cache"] == "hit"
    over = client.get("/hospitals/", {"q": "search 29"})
    assert "X-Page-Cache" not in over
    assert_private(over)
    # The page without parameters is not a variant: it is always kept.
    assert client.get("/hospitals/")["X-Page-Cache"] == "miss"
    assert stored_pages() == 6


# --- (e) Cache-Control: who may store a response ------------------------------------------------


def directives(response):
    return {part.strip() for part in response.get("Cache-Control", "").split(",") if part.strip()}


def assert_private(response):
    found = directives(response)
    assert {"private", "no-cache"} <= found, found
    assert "public" not in found and not any(d.startswith("s-maxage") for d in found), found


@pytest.mark.django_db
def test_stored_pages_say_a_shared_cache_may_keep_them_and_hits_say_it_again(
    client, home_page, settings
):
    expected = {"public", "max-age=0", f"s-maxage={settings.CMSS_PAGE_CACHE_SECONDS}"}
    miss = client.get("/")
    hit = client.get("/")
    assert miss["X-Page-Cache"] == "miss" and hit["X-Page-Cache"] == "hit"
    assert directives(miss) == expected
    assert directives(hit) == expected


@pytest.mark.django_db
def test_what_is_rendered_for_a_session_is_private(client, home_page, make_staff):
    client.force_login(make_staff("ed", "Editors"))
    response = client.get("/")
    assert response.status_code == 200 and "X-Page-Cache" not in response
    assert_private(response)


@pytest.mark.django_db
def test_a_view_s_own_public_header_is_made_private_for_a_session(client, home_page, make_staff):
    from directory.models import Country

    Country.objects.get_or_create(
        code="BE", defaults={"name": "Belgium", "time_zone": "Europe/Brussels", "membership": "EU"}
    )
    anonymous = client.get("/enrol/hospitals/", {"country": "BE"})
    assert "public" in directives(anonymous)
    client.force_login(make_staff("ed", "Editors"))
    assert_private(client.get("/enrol/hospitals/", {"country": "BE"}))


@pytest.mark.django_db
def test_sign_in_redirects_and_pages_that_set_a_cookie_are_private(
    client, package_page, make_standard_page
):
    from wagtail.models import PageViewRestriction

    page = make_standard_page(package_page, "Members only")
    PageViewRestriction.objects.create(page=page, restriction_type=PageViewRestriction.LOGIN)
    for response in (client.get(page.url), client.get("/account/"), client.get("/admin/")):
        assert response.status_code == 302, response
        assert_private(response)
    enrol = client.get("/enrol/")  # its form sets the CSRF cookie
    assert enrol.cookies
    assert_private(enrol)


@pytest.mark.django_db
def test_members_only_content_stays_no_store(client, package_page, make_standard_page, make_staff):
    from wagtail.models import PageViewRestriction

    page = make_standard_page(package_page, "Members only")
    PageViewRestriction.objects.create(page=page, restriction_type=PageViewRestriction.LOGIN)
    client.force_login(make_staff("ed", "Editors"))
    response = client.get(page.url)
    assert response.status_code == 200
    assert {"private", "no-store"} <= directives(response)
    assert "public" not in directives(response)


# --- (f) document downloads ---------------------------------------------------------------------


@pytest.mark.django_db
def test_document_download_has_a_valid_encoding_and_an_etag_from_its_hash(client, make_document):
    document = make_document("Guide", content=b"%PDF-1.4\n%guide\n")
    response = client.get(document.url)
    assert response.status_code == 200
    assert response.get("Content-Encoding") in (None, "identity", "gzip", "br")
    document.refresh_from_db()
    assert document.file_hash and response["ETag"] == f'"{document.file_hash}"'
    again = client.get(document.url, HTTP_IF_NONE_MATCH=response["ETag"])
    assert again.status_code == 304


def test_static_root_comes_from_the_environment_in_production(tmp_path):
    from .test_settings import PRODUCTION_ENV, manage

    print_root = "from django.conf import settings; print(settings.STATIC_ROOT)"
    result = manage("shell", "-c", print_root, **PRODUCTION_ENV, DJANGO_STATIC_ROOT=str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == str(tmp_path)
