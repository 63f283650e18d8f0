"""Hostile spreadsheets are refused before they cost memory (issue 8, point 6).

The files are built here, small: an XLSX whose shared strings or sheet unpack to many times the
file's size (the members are written to the zip in chunks, so the test never holds them), and a
CSV with more rows than the limit. Each is refused with a message that names the limit, the figure
and what to do; nothing is written, and reading stops before the content is held (tracemalloc's
peak stays small).
"""

import io
import tracemalloc
import zipfile

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from directory.models import Clinician, DirectoryImportRun, Hospital
from directory.services.imports import DirectoryImportError, plan_import, read_rows, run_import

MB = 1024 * 1024
HEADER = "country,hospital,city,first_name,last_name,email\n"


def workbook_bytes(rows):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["country", "hospital", "city", "first_name", "last_name", "email"])
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def inflated_xlsx(path, member, unpacked_bytes):
    """A real workbook of one row whose `member` ("sharedStrings" or "sheet") is replaced by one
    that unpacks to about `unpacked_bytes`: a single huge shared string, or the same row repeated.
    """
    small = zipfile.ZipFile(io.BytesIO(workbook_bytes([["DE", "Charité", "Berlin"]])))
    chunk_size = 1 * MB
    if member == "sharedStrings":
        name = "xl/sharedStrings.xml"
        head = (
            '<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/'
            'spreadsheetml/2006/main" count="1" uniqueCount="1"><si><t>'
        )
        chunk, tail = "A" * chunk_size, "</t></si></sst>"
    else:
        name = "xl/worksheets/sheet1.xml"
        head = (
            '<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats'
            '.org/spreadsheetml/2006/main"><sheetData>'
        )
        row = '<row><c t="inlineStr"><is><t>DE</t></is></c><c t="inlineStr"><is><t>H</t></is></c></row>'
        chunk, tail = row * (chunk_size // len(row)), "</sheetData></worksheet>"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for info in small.infolist():
            if info.filename != name:
                archive.writestr(info, small.read(info))
        with archive.open(name, "w", force_zip64=True) as handle:
            handle.write(head.encode())
            for _ in range(unpacked_bytes // len(chunk)):
                handle.write(chunk.encode())
            handle.write(tail.encode())
    if member == "sharedStrings":  # make sure the workbook refers to it
        assert name in zipfile.ZipFile(path).namelist()
    return path


def peak_of(function, *args, **kwargs):
    """(result or raised DirectoryImportError, tracemalloc peak in bytes) of calling function."""
    tracemalloc.start()
    try:
        try:
            result = function(*args, **kwargs)
        except DirectoryImportError as error:
            result = error
        return result, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.django_db
@pytest.mark.parametrize("member", ["sharedStrings", "sheet"])
def test_an_xlsx_that_unpacks_past_the_limit_is_refused_before_it_is_read(
    member, settings, tmp_path
):
    settings.DIRECTORY_IMPORT_MAX_UNCOMPRESSED_BYTES = 8 * MB
    path = inflated_xlsx(tmp_path / "bomb.xlsx", member, 24 * MB)
    assert path.stat().st_size < 200 * 1024  # small on disk

    error, peak = peak_of(plan_import, path)
    assert isinstance(error, DirectoryImportError), error
    message = str(error)
    assert "unpacks to 24.0 MB" in message
    assert "limit is 8.0 MB" in message
    assert "DIRECTORY_IMPORT_MAX_UNCOMPRESSED_BYTES" in message
    assert "Save it again" in message
    assert peak < 2 * MB, f"{peak / MB:.1f} MB held to refuse it"
    assert Hospital.objects.count() == 0


@pytest.mark.django_db
def test_an_xlsx_compressed_like_a_zip_bomb_is_refused_under_the_size_limit(settings, tmp_path):
    """Within the unpacked-size limit, a member packed more than the usual ratio still is."""
    settings.DIRECTORY_IMPORT_MAX_UNCOMPRESSED_BYTES = 100 * MB
    settings.DIRECTORY_IMPORT_MAX_COMPRESSION_RATIO = 100
    path = inflated_xlsx(tmp_path / "packed.xlsx", "sharedStrings", 24 * MB)

    error, peak = peak_of(run_import, path)
    assert isinstance(error, DirectoryImportError), error
    assert "packed" in str(error) and "DIRECTORY_IMPORT_MAX_COMPRESSION_RATIO" in str(error)
    assert peak < 2 * MB
    assert Hospital.objects.count() == 0


@pytest.mark.django_db
def test_a_csv_over_the_row_limit_is_refused_before_its_rows_are_held(settings, tmp_path):
    settings.DIRECTORY_IMPORT_MAX_ROWS = 1000
    path = tmp_path / "long.csv"
    path.write_text(HEADER + "".join(f"DE,Klinik {n},Berlin,,,\n" for n in range(50_000)))

    error, peak = peak_of(run_import, path)
    assert isinstance(error, DirectoryImportError), error
    message = str(error)
    assert "more than 1,000 rows" in message
    assert "DIRECTORY_IMPORT_MAX_ROWS" in message
    assert "Split the file" in message
    assert peak < 2 * MB, f"{peak / MB:.1f} MB held to refuse it"
    assert Hospital.objects.count() == 0


@pytest.mark.django_db
def test_the_row_limit_counts_rows_with_content(settings, tmp_path):
    settings.DIRECTORY_IMPORT_MAX_ROWS = 3
    rows = "".join(f"DE,Klinik {n},Berlin,,,\n\n,,,,,\n" for n in range(3))
    (tmp_path / "ok.csv").write_text(HEADER + rows)
    assert len(read_rows(tmp_path / "ok.csv").rows) == 3  # blank lines do not count
    (tmp_path / "over.csv").write_text(HEADER + rows + "DE,Klinik 4,Berlin,,,\n")
    with pytest.raises(DirectoryImportError, match="more than 3 rows"):
        read_rows(tmp_path / "over.csv")

    book = tmp_path / "over.xlsx"
    book.write_bytes(workbook_bytes([["DE", f"Klinik {n}", "Berlin"] for n in range(4)]))
    with pytest.raises(DirectoryImportError, match="more than 3 rows"):
        read_rows(book)
    settings.DIRECTORY_IMPORT_MAX_ROWS = 4
    assert [row.values["hospital"] for row in read_rows(book).rows] == [
        f"Klinik {n}" for n in range(4)
    ]


@pytest.mark.django_db
def test_a_sheet_that_claims_every_column_and_row_is_read_as_far_as_it_holds(tmp_path):
    """A cell in the last column (XFD) and a declared dimension of the whole sheet cost nothing."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["country", "hospital"])
    sheet.append(["DE", "Charité"])
    sheet.cell(row=2, column=16384, value="far away")
    path = tmp_path / "wide.xlsx"
    book.save(path)
    report, peak = peak_of(plan_import, path)
    assert report.ok and len(report.rows) == 1
    assert peak < 4 * MB


@pytest.fixture
def helpdesk(client, make_staff, settings, tmp_path):
    settings.DIRECTORY_IMPORT_DIR = tmp_path / "imports"
    client.force_login(make_staff("hd", "Helpdesk"))
    return client


@pytest.mark.django_db
def test_the_upload_refuses_a_bomb_with_a_plain_message_and_keeps_nothing(
    helpdesk, settings, tmp_path
):
    settings.DIRECTORY_IMPORT_MAX_UNCOMPRESSED_BYTES = 8 * MB
    path = inflated_xlsx(tmp_path / "bomb.xlsx", "sharedStrings", 24 * MB)
    response = helpdesk.post(
        reverse("directory_import"),
        {"file": SimpleUploadedFile("list.xlsx", path.read_bytes())},
        follow=True,
    )
    assert response.status_code == 200
    text = response.content.decode()
    assert "unpacks to 24.0 MB" in text and "Nothing was written" in text
    assert list((tmp_path / "imports").iterdir()) == []  # the upload was not kept
    assert DirectoryImportRun.objects.count() == 0
    assert Clinician.objects.count() == 0 and Hospital.objects.count() == 0


@pytest.mark.django_db
def test_the_upload_refuses_too_many_rows(helpdesk, settings):
    settings.DIRECTORY_IMPORT_MAX_ROWS = 10
    text = HEADER + "".join(f"DE,Klinik {n},Berlin,,,\n" for n in range(11))
    response = helpdesk.post(
        reverse("directory_import"),
        {"file": SimpleUploadedFile("list.csv", text.encode())},
        follow=True,
    )
    assert response.status_code == 200
    assert "more than 10 rows" in response.content.decode()
    assert Hospital.objects.count() == 0
