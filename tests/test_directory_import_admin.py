"""The helpdesk's upload: preview first, nothing written until confirmed, errors by row and column."""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.urls import reverse
from wagtail.models import ModelLogEntry

from directory.models import Clinician, Country, Hospital
from directory.services.access import national_contact_point_group_name

from .test_pages import outline

GOOD = (
    "country,hospital,city,first_name,last_name,email,role,extra\n"
    "BE,Hôpital Érasme,Brussels,Jan,Peeters,jan.peeters@example.eu,contact person,x\n"
    "EL,Ευαγγελισμός,Αθήνα,Νίκος,Παπαδόπουλος,nikos@example.eu,other,y\n"
)
BAD_ROW = GOOD + "Atlantis,Nowhere hospital,Nowhere,,,,,\n"


@pytest.fixture
def helpdesk(client, make_staff, settings, tmp_path):
    settings.DIRECTORY_IMPORT_DIR = tmp_path / "imports"
    client.force_login(make_staff("hd", "Helpdesk"))
    return client


def upload(client, text, name="directory.csv"):
    """Upload a file and follow on to its preview."""
    return client.post(
        reverse("directory_import"),
        {"file": SimpleUploadedFile(name, text.encode("utf-8"), content_type="text/csv")},
        follow=True,
    )


def token_of(response):
    return re.search(r'name="token" value="([^"]+)"', response.content.decode()).group(1)


@pytest.mark.django_db
def test_preview_writes_nothing_and_confirm_imports(helpdesk, django_capture_on_commit_callbacks):
    preview = upload(helpdesk, GOOD)
    assert preview.status_code == 200
    text = " ".join(outline(preview).text)
    assert "2 created" in text
    assert "extra" in text  # the ignored column is reported
    assert Hospital.objects.count() == 0 and Clinician.objects.count() == 0

    with django_capture_on_commit_callbacks(execute=True):
        done = helpdesk.post(reverse("directory_import"), {"token": token_of(preview)})
    assert done.status_code == 302  # to the run's progress page; the task ran on commit
    assert Clinician.objects.get(email="nikos@example.eu").status == Clinician.Status.APPROVED
    assert Hospital.objects.get(name="Ευαγγελισμός").country.code == "GR"
    assert ModelLogEntry.objects.filter(action="cmss.directory_import").count() == 1


@pytest.mark.django_db
def test_a_bad_row_is_shown_by_row_and_column_and_blocks_the_import(
    helpdesk, django_capture_on_commit_callbacks
):
    preview = upload(helpdesk, BAD_ROW)
    rows = [cells for cells in _table_rows(preview) if cells and cells[0] == "4"]
    assert rows and rows[0][1] == "country"
    helpdesk.post(reverse("directory_import"), {"token": token_of(preview)})
    assert Hospital.objects.count() == 0

    with django_capture_on_commit_callbacks(execute=True):
        helpdesk.post(
            reverse("directory_import"), {"token": token_of(preview), "skip_invalid": "on"}
        )
    assert Hospital.objects.count() == 2


def _table_rows(response):
    from html.parser import HTMLParser

    class Rows(HTMLParser):
        def __init__(self):
            super().__init__()
            self.rows, self.cell = [], None

        def handle_starttag(self, tag, attrs):
            if tag == "tr":
                self.rows.append([])
            elif tag == "td":
                self.cell = ""

        def handle_endtag(self, tag):
            if tag == "td" and self.rows:
                self.rows[-1].append(self.cell.strip())
                self.cell = None

        def handle_data(self, data):
            if self.cell is not None:
                self.cell += data

    parser = Rows()
    parser.feed(response.content.decode())
    return parser.rows


@pytest.mark.django_db
def test_a_forged_or_foreign_token_imports_nothing(helpdesk, make_staff, client):
    preview = upload(helpdesk, GOOD)
    token = token_of(preview)
    helpdesk.post(reverse("directory_import"), {"token": token[:-2] + "xx"})
    assert Hospital.objects.count() == 0
    other = make_staff("other", "Helpdesk")
    client.force_login(other)
    client.post(reverse("directory_import"), {"token": token})
    assert Hospital.objects.count() == 0


@pytest.mark.django_db
@override_settings(DIRECTORY_IMPORT_MAX_BYTES=50)
def test_too_big_a_file_is_refused(helpdesk):
    response = upload(helpdesk, GOOD)
    assert response.status_code == 200
    assert "the limit is" in response.content.decode()
    assert Hospital.objects.count() == 0


@pytest.mark.django_db
def test_national_contact_points_and_editors_cannot_import(client, make_staff):
    belgium = Country.objects.get(code="BE")
    ncp = make_staff("ncp", national_contact_point_group_name(belgium))
    for user in (ncp, make_staff("ed", "Editors")):
        client.force_login(user)
        # Wagtail's admin answers a refusal with a redirect to the dashboard and a message.
        page = client.get(reverse("directory_import"))
        assert page.status_code in (302, 403)
        assert b"Preview the import" not in page.content
        upload(client, GOOD)
        assert Hospital.objects.count() == 0
