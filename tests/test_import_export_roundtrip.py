"""An export of hospitals or clinicians, opened in a spreadsheet and imported again, changes
nothing: the exports use the import's column names and values (directory/views_admin.py,
directory/services/exports.py), and a CSV starts with a UTF-8 BOM that the import reads."""

import io

import openpyxl
import pytest
from django.core.management import call_command
from django.urls import reverse

from directory.models import Clinician, Country, Hospital
from directory.services.exports import formula_safe
from directory.services.imports import COLUMNS, plan_import

BOM = b"\xef\xbb\xbf"


@pytest.fixture
def directory(db):
    def hospital(name, city, code, website=""):
        return Hospital.objects.create(
            name=name, city=city, country=Country.objects.get(code=code), website=website
        )

    erasme = hospital("Hôpital Érasme", "Bruxelles", "BE", "https://www.erasme.be")
    evangelismos = hospital("Ευαγγελισμός", "Αθήνα", "GR")
    hospital("=Klinik Nord", "", "DE", "http://www.example.de/")  # a name that looks like a formula
    hospital("Fakultní nemocnice Motol", "Praha", "CZ")  # no one named there
    people = [
        ("Zoë", "Lefèvre", "zoe@erasme.be", "+3225553111", "Soins intensifs", "contact", erasme),
        ("Νίκος", "Παπαδόπουλος", "np@ev.gr", "", "", "case_manager", evangelismos),
        ("Jiří", "Dvořák", "jd@erasme.be", "+32475123456", "@ICU", "other", erasme),
    ]
    for first, last, email, phone, specialty, role, at in people:
        Clinician.objects.create(
            first_name=first,
            last_name=last,
            email=email,
            phone=phone,
            specialty=specialty,
            role=role,
            hospital=at,
            status=Clinician.Status.APPROVED,
        )


@pytest.fixture
def helpdesk(client, make_staff):
    client.force_login(make_staff("hd", "Helpdesk"))
    return client


def export(client, model, export_format):
    response = client.get(
        reverse(model.snippet_viewset.get_url_name("list")), {"export": export_format}
    )
    assert response.status_code == 200
    return b"".join(response.streaming_content)


@pytest.mark.parametrize("model", [Hospital, Clinician])
@pytest.mark.parametrize("export_format", ["csv", "xlsx"])
def test_an_exported_file_imports_again_with_nothing_changed(
    helpdesk, directory, tmp_path, model, export_format
):
    path = tmp_path / f"export.{export_format}"
    path.write_bytes(export(helpdesk, model, export_format))

    report = plan_import(path)

    assert report.ok, [str(error) for error in report.errors]
    assert not report.warnings, [str(warning) for warning in report.warnings]
    assert report.hospitals["created"] == report.hospitals["updated"] == 0
    assert report.clinicians["created"] == report.clinicians["updated"] == 0
    assert report.hospitals["unchanged"] == (4 if model is Hospital else 2)
    assert report.clinicians["unchanged"] == (0 if model is Hospital else 3)

    out = io.StringIO()
    call_command("import_directory", str(path), "--dry-run", stdout=out)
    assert "Hospitals: 0 created, 0 updated" in out.getvalue()
    assert "Clinicians: 0 created, 0 updated" in out.getvalue()


@pytest.mark.parametrize("model", [Hospital, Clinician])
def test_export_columns_are_the_import_columns_and_roles_read_back(helpdesk, directory, model):
    workbook = openpyxl.load_workbook(io.BytesIO(export(helpdesk, model, "xlsx")))
    header = [cell.value for cell in next(workbook.active.iter_rows(max_row=1))]
    imported = [name for name in header if name in COLUMNS]
    wanted = ["country", "hospital", "city", "website"] if model is Hospital else [
        "country", "hospital", "city", "first_name", "last_name", "email", "phone", "specialty",
        "role",
    ]  # fmt: skip
    assert imported == wanted
    if model is Clinician:
        rows = workbook.active.iter_rows(min_row=2, values_only=True)
        roles = {row[header.index("role")] for row in rows}
        assert roles == {"Contact person", "Case manager", "Other"}


def test_a_csv_export_starts_with_a_bom_and_stays_formula_safe(helpdesk, directory, tmp_path):
    content = export(helpdesk, Hospital, "csv")
    assert content.startswith(BOM)
    assert not content[len(BOM) :].startswith(BOM)
    text = content.decode("utf-8-sig")
    assert text.splitlines()[0].startswith("country,hospital,city,website")
    assert "Hôpital Érasme" in text and "Ευαγγελισμός" in text
    assert f",{formula_safe('=Klinik Nord')}," in text  # '=Klinik Nord

    # The import reads the BOM-prefixed file: its first column is "country", not "\ufeffcountry".
    path = tmp_path / "hospitals.csv"
    path.write_bytes(content)
    report = plan_import(path)
    assert report.ok and report.hospitals["unchanged"] == 4
    assert "=Klinik Nord, " not in {row.hospital for row in report.rows}
    assert any(row.hospital.startswith("=Klinik Nord") for row in report.rows)
