"""Security headers on real responses (issue 8, point 10): a Content-Security-Policy enforced on
the public site and report-only in the admin, Permissions-Policy, Cross-Origin-Resource-Policy
and -Opener-Policy, Referrer-Policy, X-Content-Type-Options and X-Frame-Options (DENY, but
SAMEORIGIN for Wagtail's preview, which the admin shows in a frame)."""

import re

import pytest
from django.urls import reverse

ENFORCED = "Content-Security-Policy"
REPORT_ONLY = "Content-Security-Policy-Report-Only"


def directives(policy):
    """{"script-src": ["'self'"], ...} from a policy header."""
    found = {}
    for part in policy.split(";"):
        words = part.split()
        if words:
            found[words[0]] = words[1:]
    return found


def assert_common_headers(response, frame="DENY"):
    permissions = response["Permissions-Policy"]
    for feature in ("camera", "microphone", "geolocation", "payment", "usb"):
        assert f"{feature}=()" in permissions, permissions
    assert response["Cross-Origin-Resource-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == frame
    assert "Server" not in response


def assert_enforced_policy(response):
    assert REPORT_ONLY not in response
    policy = directives(response[ENFORCED])
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"]  # no inline script, no eval
    assert policy["style-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["base-uri"] == ["'self'"]
    assert policy["form-action"] == ["'self'"]
    assert policy["frame-ancestors"] == ["'none'"]
    for values in policy.values():
        assert "'unsafe-inline'" not in values and "'unsafe-eval'" not in values


def test_public_page_and_its_cached_copy(client, home_page):
    first = client.get("/")
    assert first.status_code == 200 and first["X-Page-Cache"] == "miss"
    second = client.get("/")
    assert second["X-Page-Cache"] == "hit"
    for response in (first, second):
        assert_enforced_policy(response)
        assert_common_headers(response)
    assert second[ENFORCED] == first[ENFORCED]


def test_hospital_list_from_the_cache(client, home_page):
    client.get("/hospitals/", {"q": "leuven"})
    cached = client.get("/hospitals/", {"q": "leuven"})
    assert cached["X-Page-Cache"] == "hit"
    assert_enforced_policy(cached)
    assert_common_headers(cached)


def test_enrolment_page_and_its_json(client, privacy_page):
    for response in (client.get("/enrol/"), client.get("/enrol/hospitals/", {"country": "BE"})):
        assert response.status_code == 200
        assert_enforced_policy(response)
        assert_common_headers(response)


def test_sign_in_page(client, home_page):
    response = client.get("/accounts/login/")
    assert response.status_code == 200
    assert_enforced_policy(response)
    assert_common_headers(response)


def test_not_found_page(client, home_page):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert_enforced_policy(response)
    assert_common_headers(response)


def test_document_download(client, home_page, make_document):
    document = make_document("Protocol")
    response = client.get(document.url)
    assert response.status_code == 200
    assert ENFORCED in response
    assert_common_headers(response)
    if hasattr(response, "streaming_content"):
        b"".join(response.streaming_content)
        response.close()


def test_admin_is_report_only(client, home_page, make_staff):
    client.force_login(make_staff("root", superuser=True))
    response = client.get("/admin/")
    assert response.status_code == 200
    assert ENFORCED not in response
    policy = directives(response[REPORT_ONLY])
    assert policy["default-src"] == ["'self'"]
    assert policy["frame-ancestors"] == ["'self'"]
    assert_common_headers(response)


def test_admin_preview_may_be_framed_by_the_admin(client, home_page, make_staff):
    client.force_login(make_staff("root", superuser=True))
    url = reverse("wagtailadmin_pages:preview_on_edit", args=[home_page.pk])
    # Nothing posted from the editor yet: Wagtail answers its "preview not available" page,
    # through the same view and headers as a preview.
    response = client.get(url)
    assert response.status_code == 200
    assert ENFORCED not in response and REPORT_ONLY in response
    assert_common_headers(response, frame="SAMEORIGIN")


def test_static_file(client, db):
    response = client.get("/static/css/site.css")
    assert response.status_code == 200
    assert_common_headers(response)
    b"".join(response.streaming_content)
    response.close()


@pytest.mark.parametrize("path", ["/", "/hospitals/", "/enrol/", "/accounts/login/"])
def test_public_pages_hold_no_inline_script_or_style(client, privacy_page, path):
    """What the enforced policy would block: inline <script>, event handler attributes,
    style attributes and <style> elements (a <script src> or a JSON data block is fine)."""
    html = client.get(path).content.decode()
    for tag in re.findall(r"<script\b[^>]*>", html):
        assert "src=" in tag or 'type="application/json"' in tag, tag
    assert not re.search(r"<[^>]+\son[a-z]+\s*=", html)
    assert not re.search(r"<[^>]+\sstyle\s*=", html)
    assert "<style" not in html
    assert "javascript:" not in html
