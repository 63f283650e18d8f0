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
