"""Documents in a private collection go out only through Wagtail's serving view, which checks who
asks; their files are not reachable by their media address (issue 12, point 6)."""

import importlib
import threading
import urllib.error
import urllib.request

import pytest
from django.conf import settings as django_settings
from django.core.files.base import ContentFile
from django.urls import clear_url_caches
from wagtail.documents import get_document_model
from wagtail.models import CollectionViewRestriction

from directory.models import Clinician

from .conftest import root_collection

pytestmark = pytest.mark.django_db


@pytest.fixture
def private_document(home_page):
    collection = root_collection().add_child(name="Members only")
    CollectionViewRestriction.objects.create(collection=collection, restriction_type="login")
    Document = get_document_model()
    document = Document(title="Call log procedure", collection=collection)
    document.file.save("call-log-procedure.pdf", ContentFile(b"%PDF-1.4\n%private\n"), save=False)
    document.save()
    return document


def test_serving_view_checks_who_asks(client, private_document, django_user_model):
    assert django_settings.WAGTAILDOCS_SERVE_METHOD == "serve_view"
    assert private_document.url.startswith("/documents/")
    response = client.get(private_document.url)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]

    user = django_user_model.objects.create_user(username="ana", email="ana@example.eu")
    clinician = Clinician.objects.create(
        first_name="Ana",
        last_name="S",
        email="ana@example.eu",
        user=user,
        status=Clinician.Status.AWAITING,
    )
    client.force_login(user)
    assert client.get(private_document.url).status_code == 403  # not approved yet
    clinician.status = Clinician.Status.APPROVED
    clinician.save()
    response = client.get(private_document.url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"%PDF-1.4\n%private\n"
    assert "private" in response["Cache-Control"]


@pytest.fixture
def debug_urls(settings):
    """cms.urls as the demo builds it (DEBUG serves images from MEDIA_ROOT), then as before."""
    import cms.urls

    settings.DEBUG = True
    importlib.reload(cms.urls)
    clear_url_caches()
    yield
    settings.DEBUG = False
    importlib.reload(cms.urls)
    clear_url_caches()


def test_demo_serves_images_but_not_documents_from_media(client, private_document, debug_urls):
    media = django_settings.MEDIA_ROOT
    assert (media / private_document.file.name).is_file()
    image_dir = media / "original_images"
    image_dir.mkdir(parents=True, exist_ok=True)
    probe = image_dir / "probe-for-test.txt"
    probe.write_bytes(b"probe")
    try:
        # Control: the demo's media serving is on, for images.
        assert client.get("/media/original_images/probe-for-test.txt").status_code == 200
        assert client.get(f"/media/{private_document.file.name}").status_code == 404
    finally:
        probe.unlink()


@pytest.fixture
def app_server(transactional_db):
    """The site's WSGI application (cms.wsgi, WhiteNoise included) on a loopback port, as a server
    runs it; unlike pytest-django's live_server, which also serves MEDIA_ROOT itself."""
    from wsgiref.simple_server import WSGIRequestHandler, make_server

    from cms.wsgi import application

    class Quiet(WSGIRequestHandler):
        def log_message(self, *args):
            pass

    server = make_server("127.0.0.1", 0, application, handler_class=Quiet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


def test_running_app_answers_404_for_a_document_media_url(app_server, private_document):
    assert (django_settings.MEDIA_ROOT / private_document.file.name).is_file()
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(f"{app_server}/media/{private_document.file.name}", timeout=10)
    assert refused.value.code == 404
    # The serving view on the same server sends an anonymous visitor to sign in.
    opener = urllib.request.build_opener(NoRedirect)
    with pytest.raises(urllib.error.HTTPError) as redirected:
        opener.open(f"{app_server}{private_document.url}", timeout=10)
    assert redirected.value.code == 302
    assert "/accounts/login/" in redirected.value.headers["Location"]


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None
