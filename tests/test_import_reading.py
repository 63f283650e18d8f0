"""Reading a directory spreadsheet into rows (directory/services/import_reading.py). Pure: these
tests have no database (pytest-django refuses any query in a test not marked django_db), so each
also shows that reading a file asks the directory nothing."""

import datetime
import io

import openpyxl
import pytest

from directory.services.import_reading import (
    COLUMNS,
    DirectoryImportError,
    check_file_limits,
    read_rows,
)


def csv_bytes(text, bom=False):
    return (b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8")


def xlsx_bytes(rows):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for values in rows:
        sheet.append(values)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def rows_of(sheet):
    """{row number: {column: value}} with the empty cells left out."""
    return {r.number: {k: v for k, v in r.values.items() if v} for r in sheet.rows}


class Unseekable(io.RawIOBase):
    """An upload that can only be read forward, as some request streams are."""

    def __init__(self, data):
        self._data = io.BytesIO(data)

    def readable(self):
        return True

    def readinto(self, buffer):
        chunk = self._data.read(len(buffer))
        buffer[: len(chunk)] = chunk
        return len(chunk)


def test_a_csv_with_bom_crlf_and_headers_in_any_case_or_spacing(tmp_path):
    path = tmp_path / "export.csv"
    path.write_bytes(
        csv_bytes(
            " Country ,HOSPITAL,City,First Name,last-name,E-mail,Notes\r\n"
            "DE,Charité,Berlin,Jürgen,Müller,j@charite.de,call first\r\n",
            bom=True,
        )
    )

    sheet = read_rows(path)

    assert sheet.filename == "export.csv"
    assert sheet.columns == ["country", "hospital", "city", "first_name", "last_name"]
    assert sheet.ignored_columns == ["E-mail", "Notes"]  # unknown columns are reported, not read
    assert rows_of(sheet) == {
        2: {
            "country": "DE",
            "hospital": "Charité",
            "city": "Berlin",
            "first_name": "Jürgen",
            "last_name": "Müller",
        }
    }
    # Every column is present in a row's values, empty when the file has no such column.
    assert set(next(iter(sheet.rows)).values) == set(COLUMNS)


@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
def test_comma_semicolon_or_tab_separated(delimiter):
    text = delimiter.join(["country", "hospital", "city"]) + "\n"
    text += delimiter.join(["AT", "AKH Wien", "Wien"]) + "\n"
    sheet = read_rows(io.BytesIO(csv_bytes(text)), filename="list.csv")
    assert rows_of(sheet) == {2: {"country": "AT", "hospital": "AKH Wien", "city": "Wien"}}


def test_row_numbers_are_the_spreadsheets_blank_rows_skipped_and_line_breaks_kept_in_a_record():
    text = (
        "country,hospital,city\n"
        "BE,UZ Leuven,Leuven\n"
        ",,\n"
        '\n"FR","Hôpital\nBichat",Paris\n'  # a blank line, then one record on two lines
        "IT,Policlinico Gemelli,Roma\n"
    )
    sheet = read_rows(io.BytesIO(csv_bytes(text)), filename="list.csv")

    assert len(sheet.rows) == 3
    assert [(r.number, r.values["hospital"]) for r in sheet.rows] == [
        (2, "UZ Leuven"),
        (5, "Hôpital\nBichat"),  # records are counted, not lines; cells are cleaned later
        (6, "Policlinico Gemelli"),
    ]


def test_the_rows_can_be_read_again_and_cells_past_the_header_are_flagged():
    text = "country,hospital\nDE,Charité,surplus\nAT,AKH Wien\n"
    sheet = read_rows(io.BytesIO(csv_bytes(text)), filename="list.csv")

    first = [(r.number, r.extra_cells) for r in sheet.rows]
    assert first == [(2, True), (3, False)]
    assert [(r.number, r.extra_cells) for r in sheet.rows] == first  # streamed again, same rows


def test_an_upload_that_cannot_seek_is_read_too():
    sheet = read_rows(Unseekable(csv_bytes("country,hospital\nDE,Charité\n")), filename="up.csv")
    assert rows_of(sheet) == {2: {"country": "DE", "hospital": "Charité"}}
    assert len(sheet.rows) == 1


def test_an_xlsx_gives_numbers_and_dates_as_text_and_keeps_its_row_numbers():
    data = xlsx_bytes(
        [
            ["Country", "Hospital", "City", "Phone", "Specialty"],
            ["PL", "Szpital Bielański", "Warszawa", 48225690000, datetime.date(2024, 5, 1)],
            [None, None, None, None, None],
            ["SE", "Karolinska", "Stockholm", 46.5, None],
        ]
    )
    sheet = read_rows(io.BytesIO(data), filename="list.xlsx")

    assert rows_of(sheet) == {
        2: {
            "country": "PL",
            "hospital": "Szpital Bielański",
            "city": "Warszawa",
            "phone": "48225690000",  # a whole number, not "48225690000.0"
            "specialty": "2024-05-01T00:00:00",  # a date cell comes back as a datetime
        },
        4: {"country": "SE", "hospital": "Karolinska", "city": "Stockholm", "phone": "46.5"},
    }


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "has no header in row 1"),
        (csv_bytes("\n\nDE,Charité\n"), "has no header in row 1"),
        (csv_bytes("land,name\nDE,Charité\n"), "has no column country or hospital"),
        (csv_bytes("country,Hospital,hospital\n"), "two columns named hospital (columns B and C)"),
        ("country,hospital\nDE,Universitätsklinikum\n".encode("latin-1"), "is not UTF-8 text"),
        (b"\xd0\xcf\x11\xe0" + bytes(60), "old Excel (.xls) workbook"),
        (b"PK\x03\x04" + bytes(60), "cannot be read as an XLSX workbook"),
    ],
)
def test_a_file_that_cannot_be_read_says_why(content, message):
    with pytest.raises(DirectoryImportError, match=message.replace("(", r"\(").replace(")", r"\)")):
        read_rows(io.BytesIO(content), filename="list.csv")


def test_a_missing_file_is_refused_with_its_name(tmp_path):
    with pytest.raises(DirectoryImportError, match="gone.csv cannot be opened"):
        read_rows(tmp_path / "gone.csv")


def test_the_limits_are_checked_without_reading_a_row(settings):
    settings.DIRECTORY_IMPORT_MAX_BYTES = 50
    small = io.BytesIO(csv_bytes("country,hospital\nDE,Charité\n"))
    check_file_limits(small, "small.csv")  # within the limit: nothing to say
    with pytest.raises(DirectoryImportError, match="the limit is 50 bytes"):
        check_file_limits(io.BytesIO(csv_bytes("country,hospital\n" + "DE,x\n" * 20)), "big.csv")
