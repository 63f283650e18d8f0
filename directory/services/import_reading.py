"""Reading a directory spreadsheet (CSV in UTF-8, or XLSX) into rows: pure functions from a path
or a binary file to SourceRows, with the file's limits checked first. Nothing here touches the
database; checking the rows against the directory is directory/services/import_matching.py.

A file that cannot be read at all raises DirectoryImportError, whose message says what to do.
"""

import contextlib
import csv
import datetime
import io
import itertools
import re
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

import openpyxl
from django.conf import settings

from cms.text import clean_text

DEFAULT_MAX_BYTES = 20 * 1024 * 1024
# The largest real list has 15,000 hospitals and 5,000 people; 100,000 rows leave room for
# growth. A 100,000-row workbook unpacks to about 40 MB; spreadsheet parts pack about 5 to 15
# to 1, a "zip bomb" hundreds to 1 (bench/import_memory.py measures both).
DEFAULT_MAX_ROWS = 100_000
DEFAULT_MAX_UNPACKED_BYTES = 200 * 1024 * 1024
DEFAULT_MAX_RATIO = 100
_RATIO_CHECKED_FROM = 1024 * 1024  # parts smaller than this unpacked may pack as they like
MAX_COLUMNS = 64  # cells read in a workbook's row; the directory has 10 columns
COLUMNS = (
    "country",
    "hospital",
    "city",
    "website",
    "first_name",
    "last_name",
    "email",
    "phone",
    "specialty",
    "role",
)
REQUIRED_COLUMNS = ("country", "hospital")

_XLSX_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # the old binary .xls format


class DirectoryImportError(Exception):
    """The file as a whole cannot be imported: too big, unreadable, not UTF-8, or without a usable
    header. Nothing was written."""


@dataclass(frozen=True)
class SourceRow:
    """One non-blank data row: its number as the spreadsheet shows it, and its known columns."""

    number: int
    values: dict
    extra_cells: bool = False  # cells with content beyond the header's columns


@dataclass
class Sheet:
    """What read_rows found in a file, before anything is checked against the directory.

    `rows` streams the file's SourceRows each time it is iterated (len() gives their count);
    `warnings` is kept for callers and is empty: a row's own warnings come with its SourceRow.
    """

    filename: str
    columns: list
    ignored_columns: list
    rows: object
    warnings: list


def max_import_bytes():
    return getattr(settings, "DIRECTORY_IMPORT_MAX_BYTES", DEFAULT_MAX_BYTES)


def max_import_rows():
    return getattr(settings, "DIRECTORY_IMPORT_MAX_ROWS", DEFAULT_MAX_ROWS)


def max_unpacked_bytes():
    return getattr(settings, "DIRECTORY_IMPORT_MAX_UNCOMPRESSED_BYTES", DEFAULT_MAX_UNPACKED_BYTES)


def max_compression_ratio():
    return getattr(settings, "DIRECTORY_IMPORT_MAX_COMPRESSION_RATIO", DEFAULT_MAX_RATIO)


def read_rows(source, filename=None):
    """Read a directory spreadsheet (CSV in UTF-8, or XLSX) into a Sheet whose rows are streamed.

    `source` is a path or a binary file object (an uploaded file will do); `filename` names it in
    messages. Before a row is kept anywhere, the file's limits are checked: its size
    (DIRECTORY_IMPORT_MAX_BYTES), for a workbook what it unpacks to and how tightly it is packed
    (DIRECTORY_IMPORT_MAX_UNCOMPRESSED_BYTES, DIRECTORY_IMPORT_MAX_COMPRESSION_RATIO), then the
    number of rows with content (DIRECTORY_IMPORT_MAX_ROWS), counted by one pass over the file
    that holds one row at a time. `Sheet.rows` reads the file again, row by row, each time it is
    iterated; its len() is that count.

    Raises DirectoryImportError when a limit is passed, or the file cannot be opened or parsed, is
    not UTF-8, or has no header row naming the required columns.
    """
    opener, filename, is_workbook = _checked_file(source, filename)
    read = _xlsx_records if is_workbook else _csv_records

    def records():
        with opener() as file:
            yield from read(file, filename)

    header_cells, header = _header(records(), filename)
    positions, ignored = header
    limit = max_import_rows()
    count = 0
    for _row in _source_rows(records(), positions, len(header_cells)):
        count += 1
        if count > limit:
            raise DirectoryImportError(
                f"{filename} has more than {limit:,} rows; the limit is {limit:,} (setting "
                "DIRECTORY_IMPORT_MAX_ROWS). Split the file into parts of at most "
                f"{limit:,} rows and import them one after another."
            )
    rows = _Rows(lambda: _source_rows(records(), positions, len(header_cells)), count)
    return Sheet(filename, [n for n in COLUMNS if n in positions], ignored, rows, [])


def check_file_limits(source, filename=None):
    """Check the limits that cost no parsing, as read_rows does first: the file's size, and for a
    workbook what its zip directory says it unpacks to and how tightly it is packed. Reads no row
    (the upload request calls this; the rows are read by the preview's task).

    Raises DirectoryImportError as read_rows does for those limits, and for an old .xls workbook.
    """
    _checked_file(source, filename)


def _checked_file(source, filename):
    """(opener, filename, is_workbook) of `source` once check_file_limits' limits hold."""
    opener, filename = _opener(source, filename)
    with opener() as file:
        magic = file.read(len(_XLSX_MAGIC))
        if magic.startswith(_OLE_MAGIC):
            raise DirectoryImportError(
                f"{filename} is an old Excel (.xls) workbook. Save it as .xlsx or as CSV UTF-8."
            )
        is_workbook = magic.startswith(_XLSX_MAGIC)
        if is_workbook:
            file.seek(0)
            _refuse_if_packed_too_tightly(file, filename)
    return opener, filename, is_workbook


class _Rows:
    """The SourceRows of a file, read from it again at each iteration; len() is their count."""

    def __init__(self, make, count):
        self._make, self._count = make, count

    def __iter__(self):
        return iter(self._make())

    def __len__(self):
        return self._count


def _opener(source, filename):
    """(a function opening `source` as a seekable binary file at its start, its name), after the
    size check. A path is opened afresh each time; an upload that cannot seek is copied to a
    temporary file first, at most one byte past the limit."""
    if isinstance(source, str | Path):
        path = Path(source)
        filename = filename or path.name
        try:
            _refuse_if_too_big(path.stat().st_size, filename)
        except OSError as exc:
            raise DirectoryImportError(f"{filename} cannot be opened: {exc.strerror}.") from exc

        def open_path():
            try:
                return path.open("rb")
            except OSError as exc:
                raise DirectoryImportError(f"{filename} cannot be opened: {exc.strerror}.") from exc

        return open_path, filename

    filename = filename or Path(getattr(source, "name", "") or "upload").name
    _rewind(source)  # a preview may have read this upload already
    _refuse_if_too_big(_size_of(source), filename)
    copy = tempfile.SpooledTemporaryFile(max_size=1024 * 1024)  # noqa: SIM115 (kept for the rows)
    limit, copied = max_import_bytes(), 0
    while copied <= limit:
        chunk = source.read(min(1024 * 1024, limit + 1 - copied))
        if not chunk:
            break
        if isinstance(chunk, str):
            chunk = chunk.encode("utf-8")
        copy.write(chunk)
        copied += len(chunk)
    # The size may have been unknown, or wrong: never hold more than the limit.
    _refuse_if_too_big(copied, filename)

    @contextlib.contextmanager
    def open_copy():
        copy.seek(0)
        yield copy

    return open_copy, filename


def _rewind(file):
    with contextlib.suppress(AttributeError, OSError, ValueError):  # not seekable: read on
        file.seek(0)


def _size_of(file):
    size = getattr(file, "size", None)
    if size is not None:
        return size
    try:
        position = file.tell()
        size = file.seek(0, io.SEEK_END) - position
        file.seek(position)
    except (AttributeError, OSError, ValueError):
        return None  # not seekable: read_rows reads at most one byte past the limit
    return size


def _refuse_if_too_big(size, filename):
    limit = max_import_bytes()
    if size is not None and size > limit:
        raise DirectoryImportError(
            f"{filename} is {_megabytes(size)}; the limit is {_megabytes(limit)} "
            "(setting DIRECTORY_IMPORT_MAX_BYTES). Split the file, or ask for the limit to be raised."
        )


def _refuse_if_packed_too_tightly(file, filename):
    """Refuse a workbook by what its zip directory says it unpacks to, before unpacking any of it.

    zipfile stops reading a member at the size its directory gives (and then fails its checksum),
    so a member cannot unpack to more than this check saw.
    """
    try:
        with zipfile.ZipFile(file) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as exc:
        raise DirectoryImportError(
            f"{filename} cannot be read as an XLSX workbook ({exc.__class__.__name__})."
        ) from exc
    unpacked = sum(member.file_size for member in members)
    limit = max_unpacked_bytes()
    if unpacked > limit:
        raise DirectoryImportError(
            f"{filename} unpacks to {_megabytes(unpacked)}; the limit is {_megabytes(limit)} "
            "(setting DIRECTORY_IMPORT_MAX_UNCOMPRESSED_BYTES), far more than a list of "
            f"{max_import_rows():,} rows needs. Save it again from the spreadsheet as .xlsx or as "
            "CSV UTF-8, with only the directory's columns, or split it."
        )
    ratio = max_compression_ratio()
    for member in members:
        if member.file_size > _RATIO_CHECKED_FROM and member.file_size > ratio * max(
            member.compress_size, 1
        ):
            raise DirectoryImportError(
                f"{filename} holds a part ({member.filename}) packed "
                f"{member.file_size // max(member.compress_size, 1):,} to 1, more than the "
                f"{ratio} to 1 a spreadsheet needs (setting DIRECTORY_IMPORT_MAX_COMPRESSION_RATIO): "
                "such files are made to exhaust the server's memory. Save it again from the "
                "spreadsheet as .xlsx or as CSV UTF-8 and import that."
            )


def _megabytes(size):
    if size < 100 * 1024:
        return f"{size} bytes"
    return f"{size / (1024 * 1024):.1f} MB"


def _csv_records(file, filename):
    """(row number, cells) for every record, one at a time; a record holding line breaks is one
    row."""
    text = io.TextIOWrapper(file, encoding="utf-8-sig", newline="")
    reader = None
    try:
        first = text.readline()
        reader = csv.reader(itertools.chain([first], text), delimiter=_delimiter(first))
        yield from enumerate(reader, start=1)
    except UnicodeDecodeError as exc:
        line = reader.line_num + 1 if reader is not None else 1
        raise DirectoryImportError(
            f"{filename} is not UTF-8 text (the first byte that is not is near line {line}). "
            'Save it as "CSV UTF-8" and import it again.'
        ) from exc
    except csv.Error as exc:
        raise DirectoryImportError(
            f"{filename} cannot be read as CSV near line {reader.line_num}: {exc}."
        ) from exc
    finally:
        text.detach()  # leave the binary file open for the next pass


def _delimiter(text):
    """Comma, unless the header row splits into more known columns on a semicolon or a tab (as
    spreadsheets in some locales export CSV)."""
    header = text.split("\n", 1)[0]

    def known(delimiter):
        return sum(_column_name(cell) in COLUMNS for cell in header.split(delimiter))

    return max([",", ";", "\t"], key=known)  # max keeps the first of equals: the comma


def _xlsx_records(file, filename):
    """(row number, cells) for every row of the first sheet, one at a time (openpyxl's read-only
    mode); at most MAX_COLUMNS cells a row, whatever width the sheet claims."""
    try:
        workbook = openpyxl.load_workbook(file, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds of error for a damaged file
        raise DirectoryImportError(
            f"{filename} cannot be read as an XLSX workbook ({exc.__class__.__name__})."
        ) from exc
    try:
        sheet = workbook.worksheets[0]
        sheet.reset_dimensions()  # a claimed size of the whole sheet would be padded to
        rows = sheet.iter_rows(values_only=True, max_col=MAX_COLUMNS)
        for number, values in enumerate(rows, start=1):
            yield number, [_cell_text(value) for value in values]
    except DirectoryImportError:
        raise
    except Exception as exc:
        raise DirectoryImportError(
            f"{filename} cannot be read as an XLSX workbook ({exc.__class__.__name__})."
        ) from exc
    finally:
        workbook.close()


def _cell_text(value):
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime.datetime | datetime.date):
        return value.isoformat()
    return str(value)


def _column_name(header_cell):
    return re.sub(r"[\s\-]+", "_", clean_text(header_cell).strip()).casefold()


def _header(records, filename):
    """(row 1's cells, (column positions by name, ignored column titles)); checks row 1."""
    first = next(records, None)
    records.close()
    cells = first[1] if first else []
    if not any(cell.strip() for cell in cells):
        raise DirectoryImportError(
            f"{filename} has no header in row 1. Row 1 must name the columns: {', '.join(COLUMNS)}."
        )
    header = [_column_name(cell) for cell in cells]
    positions, ignored = {}, []
    for position, name in enumerate(header):
        if name in COLUMNS:
            if name in positions:
                raise DirectoryImportError(
                    f"{filename} has two columns named {name} (columns {_letter(positions[name])} "
                    f"and {_letter(position)}). Keep one and import it again."
                )
            positions[name] = position
        elif name:
            ignored.append(clean_text(cells[position]).strip())
    missing = [name for name in REQUIRED_COLUMNS if name not in positions]
    if missing:
        found = ", ".join(clean_text(cell).strip() for cell in cells if cell.strip())
        raise DirectoryImportError(
            f"{filename} has no column {' or '.join(missing)} in its header (row 1 names: {found}). "
            f"The columns are {', '.join(COLUMNS)}."
        )
    return cells, (positions, ignored)


def _source_rows(records, positions, width):
    """The data rows with content, as SourceRows, one at a time."""
    next(records, None)  # the header
    for number, cells in records:
        if not any(cell.strip() for cell in cells):
            continue
        values = {
            name: (cells[position] if position < len(cells) else "")
            for name, position in positions.items()
        }
        for name in COLUMNS:
            values.setdefault(name, "")
        yield SourceRow(number, values, any(cell.strip() for cell in cells[width:]))


def _letter(position):
    letters = ""
    position += 1
    while position:
        position, remainder = divmod(position - 1, 26)
        letters = chr(ord("A") + remainder) + letters
    return letters
