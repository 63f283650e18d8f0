"""Public pages run a fixed number of SQL queries however much content sits below them."""

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from home.models import HomePageCallToAction, InformationPackageDocument

from .conftest import publish


def queries_for(client, path):
    # A cold page cache, so the page is really rendered; Wagtail's site-root cache stays warm.
    client.get(path)
    cache.delete_many([k for k in getattr(cache, "_cache", {}) if "pagecache" in str(k)])
    from home.pagecache import invalidate_public_pages

    invalidate_public_pages()
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path)
    assert response.status_code == 200
    assert response.get("X-Page-Cache") != "hit"
    return len(captured.captured_queries)


def add_content(package_page, make_standard_page, make_document, start, count):
    for number in range(start, start + count):
        make_standard_page(package_page, f"Procedure {number}", summary=f"Summary {number}")
        package_page.package_documents.add(
            InformationPackageDocument(document=make_document(f"Document {number}"))
        )
    publish(package_page)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path", ["/", "/information-package/", "/information-package/privacy-statement/"]
)
def test_query_count_does_not_grow_with_content(
    client, home_page, package_page, privacy_page, make_standard_page, make_document, path
):
    home_page.calls_to_action.add(HomePageCallToAction(label="Package", link_page=package_page))
    publish(home_page)
    add_content(package_page, make_standard_page, make_document, 0, 1)
    few = queries_for(client, path)

    add_content(package_page, make_standard_page, make_document, 1, 50)
    many = queries_for(client, path)

    assert many == few, f"{path}: {few} queries with 1 child, {many} with 51"
    assert few <= 15, f"{path}: {few} queries"


@pytest.mark.django_db
def test_the_count_check_sees_a_query_per_child(
    client, package_page, make_standard_page, make_document
):
    """Control: a listing that queries once per child is caught by the same measurement."""
    from home.models import InformationPackagePage

    original = InformationPackagePage.get_context

    def per_child_context(self, request, *args, **kwargs):
        context = original(self, request, *args, **kwargs)
        context["package_pages"] = [child.specific for child in self.get_children().live()]
        return context

    add_content(package_page, make_standard_page, make_document, 0, 1)
    InformationPackagePage.get_context = per_child_context
    try:
        few = queries_for(client, "/information-package/")
        add_content(package_page, make_standard_page, make_document, 1, 5)
        many = queries_for(client, "/information-package/")
    finally:
        InformationPackagePage.get_context = original
    assert many > few
