"""Import the directory spreadsheet (CSV or XLSX) into hospitals and clinicians.

The management command, the admin upload and its background task all come here: `plan_import` says
what a file would do, row by row, and writes nothing; `run_import` writes it, all or nothing unless the
caller asks to skip invalid rows. A file that cannot be imported at all raises DirectoryImportError;
a bad row is reported with the row number a spreadsheet user sees (the header is row 1) and the column.

Only what makes a row unusable is an error: no country, an unknown country, no hospital name, a person
without names or a valid email, a third contact person, a value too long to store. An optional cell
that does not validate never costs its row: a website is repaired where that needs no guessing (see
`repair_website`) or else left empty, a phone that cannot be dialled is left empty, and a hospital
given a second, different website on a later row keeps the first; each of these is a warning that
names the row and the column and quotes the cell.

Every row is read, checked and planned outside any transaction (from one read of the directory);
then everything is written in one short transaction of bulk inserts and updates, so that a
database shared with a task worker (SQLite) is locked only while the rows are written; the search
index follows after the commit.
"""

import contextlib
import csv
import datetime
import io
import itertools
import logging
import re
import tempfile
import zipfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import openpyxl
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator, validate_email
from django.db import DatabaseError, IntegrityError, transaction
from django.utils import timezone
from wagtail.search.backends import get_search_backends

from cms.emails import normalise_email
from cms.text import clean_text, has_control_characters
from directory.countries import country_code
from directory.models import MAX_CONTACT_PERSONS, Clinician, Country, Hospital, match_text
from directory.phones import InvalidPhoneNumber, normalise_phone
from directory.search import clinician_search_text, hospital_search_text
from directory.services import contact_persons
from directory.services.exports import FORMULA_TRIGGERS
from directory.signals import hospitals_changed

logger = logging.getLogger(__name__)

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
# Any of these filled in makes the row a person's row.
PERSON_COLUMNS = ("first_name", "last_name", "email", "phone", "specialty", "role")
ROLES = {
    "contact person": Clinician.Role.CONTACT_PERSON,
    "contact": Clinician.Role.CONTACT_PERSON,
    "case manager": Clinician.Role.CASE_MANAGER,
    "other": Clinician.Role.OTHER,
}
MAX_LENGTHS = {
    "hospital": Hospital._meta.get_field("name").max_length,
    "city": Hospital._meta.get_field("city").max_length,
    "website": Hospital._meta.get_field("website").max_length,
    "first_name": Clinician._meta.get_field("first_name").max_length,
    "last_name": Clinician._meta.get_field("last_name").max_length,
    "email": Clinician._meta.get_field("email").max_length,
    "phone": Clinician._meta.get_field("phone").max_length,
    "specialty": Clinician._meta.get_field("specialty").max_length,
}
# Optional cells whose problems are warnings (the cell is left empty), never errors.
OPTIONAL_CHECKED = ("website", "phone")
BATCH_SIZE = 500
PROGRESS_EVERY = 250

CREATED = "created"
UPDATED = "updated"
UNCHANGED = "unchanged"
DUPLICATE = "duplicate"
INVALID = "invalid"
ROW_ACTIONS = (CREATED, UPDATED, UNCHANGED, DUPLICATE, INVALID)
_RANK = {CREATED: 3, UPDATED: 2, UNCHANGED: 1}

_XLSX_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # the old binary .xls format
_url_validator = URLValidator(schemes=["http", "https"])


class DirectoryImportError(Exception):
    """The file as a whole cannot be imported: too big, unreadable, not UTF-8, or without a usable
    header. Nothing was written."""


@dataclass(frozen=True)
class RowIssue:
    """An error or a warning about one cell (or one row, when column is None)."""

    row: int
    column: str | None
    message: str

    def __str__(self):
        where = f"row {self.row}, column {self.column}" if self.column else f"row {self.row}"
        return f"{where}: {self.message}"


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


@dataclass
class RowOutcome:
    """What one row does (or would do): `action` is one of ROW_ACTIONS.

    `hospital_action` is None when an earlier row already handled the hospital and this one adds
    nothing to it; `clinician_action` is None on a row without a person. `changes` names the fields
    an update sets.
    """

    row: int
    action: str = INVALID
    hospital: str = ""
    person: str = ""
    hospital_action: str | None = None
    clinician_action: str | None = None
    duplicate_of: int | None = None
    changes: list = field(default_factory=list)
    errors: list = field(default_factory=list)
    warnings: list = field(default_factory=list)


@dataclass
class ImportReport:
    """The result of plan_import or run_import.

    `rows` holds one RowOutcome per non-blank data row, in file order; `errors` and `warnings` hold
    every RowIssue; `hospitals` and `clinicians` count distinct records by what happens to them
    (created, updated, unchanged). `written` says whether the directory was changed by this call.
    """

    filename: str
    dry_run: bool = False
    skip_invalid: bool = False
    rows: list = field(default_factory=list)
    errors: list = field(default_factory=list)
    warnings: list = field(default_factory=list)
    ignored_columns: list = field(default_factory=list)
    hospitals: Counter = field(default_factory=Counter)
    clinicians: Counter = field(default_factory=Counter)
    written: bool = False

    @property
    def counts(self):
        """Rows by action, every action present (zero when none)."""
        counts = Counter(dict.fromkeys(ROW_ACTIONS, 0))
        counts.update(outcome.action for outcome in self.rows)
        return counts

    @property
    def ok(self):
        return not self.errors

    def summary(self):
        counts = self.counts
        rows = ", ".join(f"{counts[action]} {action}" for action in ROW_ACTIONS)
        hospitals = ", ".join(f"{self.hospitals[a]} {a}" for a in (CREATED, UPDATED, UNCHANGED))
        clinicians = ", ".join(f"{self.clinicians[a]} {a}" for a in (CREATED, UPDATED, UNCHANGED))
        return (
            f"{len(self.rows)} rows: {rows}. Hospitals: {hospitals}. Clinicians: {clinicians}. "
            f"{len(self.errors)} errors, {len(self.warnings)} warnings."
        )


# Reading ---------------------------------------------------------------------------------------


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


# Mis-decoded text --------------------------------------------------------------------------------

# What UTF-8 read as Windows-1252 or Latin-1 plausibly was: Latin letters, Romanian ș and ț, Greek,
# Cyrillic, typographic punctuation, the euro and trade marks. Restricting it keeps real names such
# as the Czech "MÍŠA" (whose bytes would decode to a combining mark) from being flagged.
_PLAUSIBLE = (
    (0x00A0, 0x017F),
    (0x0218, 0x021B),
    (0x0370, 0x03FF),
    (0x0400, 0x045F),
    (0x2010, 0x203A),
    (0x20AC, 0x20AC),
    (0x2122, 0x2122),
)


def _single_byte(character):
    code = ord(character)
    if code < 0x100:
        return code
    try:
        return character.encode("cp1252")[0]
    except UnicodeEncodeError:
        return None


def mis_decoding(text):
    """Why `text` looks mis-decoded upstream (UTF-8 read as Windows-1252, or a U+FFFD replacement
    character), with the likely original where it can be recovered; None when it looks fine."""
    if text.isascii():
        return None
    if "\ufffd" in text:
        return "holds U+FFFD, a character lost when the text was decoded upstream"
    codes = [_single_byte(character) for character in text]
    for start, lead in enumerate(codes):
        if lead is None or not 0xC2 <= lead <= 0xF4:
            continue
        length = 2 if lead < 0xE0 else 3 if lead < 0xF0 else 4
        sequence = codes[start : start + length]
        if len(sequence) < length or any(c is None or not 0x80 <= c <= 0xBF for c in sequence[1:]):
            continue
        try:
            decoded = bytes(sequence).decode("utf-8")
        except UnicodeDecodeError:
            continue
        if any(low <= ord(decoded) <= high for low, high in _PLAUSIBLE):
            return f"looks like UTF-8 read as Windows-1252{_likely_original(codes)}"
    return None


def _likely_original(codes):
    if None in codes:
        return ""
    try:
        return f" (perhaps {bytes(codes).decode('utf-8')!r})"
    except UnicodeDecodeError:
        return ""


# Repairing websites ------------------------------------------------------------------------------

KEPT = "kept"
NORMALISED = "normalised"
REPAIRED = "repaired"
UNUSABLE = "unusable"

# A scheme as people mistype it (htp, htttp, https, hhttp), then what should be "://" as it is
# mistyped: a missing, doubled or misplaced ":" or "/", a dot or a backslash in between.
_SCHEME = re.compile(r"(?P<scheme>h{1,2}t{1,3}p{1,2}(?P<secure>s?))(?P<separator>[:/\\.]+)", re.I)
_HOST_LIKE = re.compile(r"(?:[a-z0-9-]+\.)+[a-z]{2,}(?:[/:?#].*)?", re.I)
_PHONE_LIKE = re.compile(r"[+(]?[0-9][0-9 ()./-]{5,}")
_WWW_COMMA = re.compile(r"^www,", re.I)
_W_W_W = re.compile(r"^w\.w\.w\.", re.I)


@dataclass(frozen=True)
class WebsiteRepair:
    """What repair_website made of a cell: the address to store ("" when none) and how it got
    there: KEPT (as given), NORMALISED (https:// put before a bare host, the scheme's case),
    REPAIRED (a typo fixed: worth a warning) or UNUSABLE (left empty: worth a warning)."""

    url: str
    action: str
    reason: str = ""


def repair_website(raw):
    """The web address a spreadsheet cell means, when that can be told without guessing.

    Repaired: a missing, doubled or misplaced ``:`` or ``/`` after the scheme (``http//:www.x.at``,
    ``http:/www.x.at``, ``http:///www.x.at``), a mistyped scheme (``htp``, ``htttp``), a scheme
    written twice (``http://htttp.//www.x.cz/``), spaces anywhere (``http : //www. x.gr/``), a comma
    for the dot after ``www`` (``www,x.cz``) and ``w.w.w.`` for ``www.``. A bare host
    (``www.x.at``, ``x.at``) gets ``https://``: that is how an address is stored, not a repair, so
    it is NORMALISED and not worth a warning; so is a scheme in capitals.

    Unusable (the cell is left empty): a phone number, words that are not an address ("in
    constructie"), two addresses in one cell (separated by ``;``, ``,`` or spaces), a scheme
    other than http(s), anything the URL validator still refuses or too long to store.
    Pure: reads and writes nothing.
    """
    text = " ".join((raw or "").split())
    if not text:
        return WebsiteRepair("", KEPT)
    if _PHONE_LIKE.fullmatch(text):
        return WebsiteRepair("", UNUSABLE, "looks like a phone number")
    pieces = re.split(r"[\s;,]+", text)
    if sum(bool(_HOST_LIKE.fullmatch(_without_scheme(piece))) for piece in pieces) > 1:
        return WebsiteRepair("", UNUSABLE, "holds more than one address")

    candidate = "".join(text.split()).rstrip(";,")  # spaces inside one address are typos
    scheme, rest = "https", candidate
    match = _SCHEME.match(candidate)
    if match and ("/" in match["separator"] or ":" in match["separator"]):
        scheme = "https" if match["secure"] else "http"
        rest = candidate[match.end() :]
        while (again := _SCHEME.match(rest)) and ("/" in again["separator"]):
            rest = rest[again.end() :]  # the scheme written twice
    elif re.match(r"[a-z][a-z0-9+.-]*://", candidate, re.I):
        return WebsiteRepair("", UNUSABLE, "is not a web address (http or https)")
    rest = _W_W_W.sub("www.", _WWW_COMMA.sub("www.", rest))
    url = f"{scheme}://{rest}"
    if len(url) > MAX_LENGTHS["website"]:
        return WebsiteRepair("", UNUSABLE, f"is longer than {MAX_LENGTHS['website']} characters")
    try:
        _url_validator(url)
    except ValidationError:
        return WebsiteRepair("", UNUSABLE, "is not a web address")
    if url == text:
        return WebsiteRepair(url, KEPT)
    if url.casefold() in (text.casefold(), f"https://{text}".casefold()):
        return WebsiteRepair(url, NORMALISED)
    return WebsiteRepair(url, REPAIRED)


def _without_scheme(piece):
    match = _SCHEME.match(piece)
    return piece[match.end() :] if match else piece


# Planning ----------------------------------------------------------------------------------------


@dataclass
class _HospitalPlan:
    instance: Hospital
    is_new: bool
    first_row: int
    label: str
    website_row: int | None = None  # the row of this file that set the website
    changes: set = field(default_factory=set)

    @property
    def ref(self):
        """How contact persons are counted per hospital: by id, or by match key while unsaved."""
        return self.instance.pk if not self.is_new else self.key

    @property
    def key(self):
        i = self.instance
        return (i.country_id, i.match_name, i.match_city)

    @property
    def action(self):
        return CREATED if self.is_new else UPDATED if self.changes else UNCHANGED


@dataclass
class _ClinicianPlan:
    instance: Clinician
    is_new: bool
    first_row: int
    hospital: _HospitalPlan | None = None
    changes: set = field(default_factory=set)

    @property
    def action(self):
        return CREATED if self.is_new else UPDATED if self.changes else UNCHANGED


@dataclass
class _PersonRow:
    """A valid row's person, checked against the plan but not yet added to it."""

    email: str
    values: dict
    earlier: _ClinicianPlan | None  # the plan of an earlier row of the file with this email
    current: Clinician | None  # the clinician as the plan has them before this row
    current_ref: object  # the hospital they are in before this row (see _HospitalPlan.ref)
    changes: dict
    role: str
    counts_as_contact: bool


class _Plan:
    """The directory as the file would leave it, built row by row from one read of the database."""

    def __init__(self):
        self.countries = {country.code: country for country in Country.objects.all()}
        self.existing_hospitals = {
            (h.country_id, h.match_name, h.match_city): h
            for h in Hospital.objects.only(
                "id", "name", "city", "website", "country_id", "match_name", "match_city"
            )
        }
        self.existing_clinicians = {}
        self.contacts = {}  # hospital ref -> emails of its (not suspended) contact persons
        for clinician in Clinician.objects.only(
            "id",
            "first_name",
            "last_name",
            "email",
            "phone",
            "specialty",
            "role",
            "status",
            "hospital_id",
            "languages",
            "search_text",
        ):
            self.existing_clinicians[normalise_email(clinician.email).lower()] = clinician
            if _counts_as_contact(clinician):
                self.contacts.setdefault(clinician.hospital_id, set()).add(clinician.email.lower())
        self.hospitals = {}  # match key -> _HospitalPlan, for hospitals the file names
        self.hospital_labels = {}  # hospital ref -> label, for messages
        # Refs of hospitals where the file names someone a contact person who was not one there.
        self.contact_gains = set()
        self.clinicians = {}  # email -> _ClinicianPlan
        self.clinician_hospital_ref = {}  # email -> ref of the hospital the plan puts them in

    def apply(self, source, outcome):
        """Check `source` against the plan so far and, if it is valid, add it to the plan."""
        values = _cleaned(source, outcome)
        outcome.hospital = values["hospital"]
        if any(values[name] for name in PERSON_COLUMNS):
            outcome.person = f"{values['first_name']} {values['last_name']} <{values['email']}>"
        country = None
        if values["country"]:
            country = self.countries.get(country_code(values["country"]))
            if country is None:
                self.error(
                    outcome,
                    "country",
                    f"{values['country']!r} is not a country of the network; use its ISO code "
                    "(EL and UK are accepted too) or its English name",
                )
        if outcome.errors:
            return
        if values["phone"]:
            try:
                values["phone"] = normalise_phone(values["phone"], country.code)
            except InvalidPhoneNumber:
                self.warn(
                    outcome,
                    "phone",
                    f"{values['phone']!r} is not a phone number that can be dialled from "
                    f"{country.name}; the phone was left empty",
                )
                values["phone"] = ""

        hospital_plan, hospital_action = self.hospital_for(values, country, source.number, outcome)
        person = None
        if values["email"]:
            person = self.person_for(values, hospital_plan, source.number, outcome)
        if outcome.errors:
            return

        # Valid: commit this row to the plan.
        if hospital_plan.first_row == source.number:
            self.hospitals[hospital_plan.key] = hospital_plan
        if hospital_action == UPDATED:
            hospital_plan.instance.website = values["website"]
            hospital_plan.changes.add("website")
            hospital_plan.website_row = source.number
        elif values["website"] and hospital_plan.website_row is None:
            hospital_plan.website_row = source.number  # the row that gives (or confirms) it
        outcome.hospital = hospital_plan.label
        outcome.hospital_action = hospital_action
        if hospital_action == UPDATED:
            outcome.changes.append("website")
        duplicate_of = None if hospital_action else hospital_plan.first_row

        if person is not None:
            clinician_action, duplicate_of = self.commit_person(person, hospital_plan, outcome)
            outcome.clinician_action = clinician_action
        actions = [a for a in (hospital_action, outcome.clinician_action) if a in _RANK]
        if actions:
            outcome.action = max(actions, key=_RANK.get)
        else:
            outcome.action = DUPLICATE
            outcome.duplicate_of = duplicate_of

    def hospital_for(self, values, country, row, outcome):
        """The hospital plan the row names, and what the row does to it (None: nothing new)."""
        key = (country.pk, match_text(values["hospital"]), match_text(values["city"]))
        website = values["website"]
        plan = self.hospitals.get(key)
        if plan is not None:
            if not website or website == plan.instance.website:
                return plan, None
            if plan.website_row is not None:
                self.warn(
                    outcome,
                    "website",
                    f"row {plan.website_row} gives this hospital another website "
                    f"({plan.instance.website}); a hospital has one, so {website!r} was left out",
                )
                return plan, None
            return plan, UPDATED
        existing = self.existing_hospitals.get(key)
        if existing is not None:
            plan = _HospitalPlan(existing, False, row, _hospital_label(existing, country))
            return plan, UPDATED if website and website != existing.website else UNCHANGED
        hospital = Hospital(
            name=values["hospital"],
            city=values["city"],
            country=country,
            website=website,
            match_name=key[1],
            match_city=key[2],
        )
        return _HospitalPlan(hospital, True, row, _hospital_label(hospital, country)), CREATED

    def person_for(self, values, hospital_plan, row, outcome):
        """The row's person checked against the plan: a conflict with an earlier row of the file,
        or a contact person too many, goes to `outcome` as an error."""
        email = values["email"]
        plan = self.clinicians.get(email)
        if plan is not None:
            current, current_ref = plan.instance, self.clinician_hospital_ref.get(email)
        else:
            current = self.existing_clinicians.get(email)
            current_ref = current.hospital_id if current else None
        changes = _person_changes(values, current, current_ref, hospital_plan)
        if plan is not None and changes:
            self.error(
                outcome,
                next(iter(changes)),
                f"{email} is also on row {plan.first_row} with a different "
                f"{', '.join(changes)}; a person has one row (the email address identifies them)",
            )
            return None

        role = values["role"] or (current.role if current else Clinician.Role.OTHER)
        suspended = current is not None and current.status == Clinician.Status.SUSPENDED
        counts_as_contact = role == Clinician.Role.CONTACT_PERSON and not suspended
        if counts_as_contact:
            named = self.contacts.get(hospital_plan.ref, set()) - {email}
            if len(named) >= MAX_CONTACT_PERSONS:
                self.error(
                    outcome,
                    "role",
                    f"{hospital_plan.label} already has {len(named)} contact persons "
                    f"({', '.join(sorted(named))}); a hospital names at most "
                    f"{_number_word(MAX_CONTACT_PERSONS)}. Give this person another role, "
                    "or change one of them first",
                )
        return _PersonRow(
            email, values, plan, current, current_ref, changes, role, counts_as_contact
        )

    def commit_person(self, person, hospital_plan, outcome):
        """Add a checked person to the plan; returns (clinician action, row duplicated or None)."""
        if person.earlier is not None:
            return DUPLICATE, person.earlier.first_row
        email, values, current, changes = (
            person.email,
            person.values,
            person.current,
            person.changes,
        )
        if current is None:
            current = Clinician(
                first_name=values["first_name"],
                last_name=values["last_name"],
                email=email,
                phone=values["phone"],
                specialty=values["specialty"],
                role=person.role,
                status=Clinician.Status.APPROVED,
                source=Clinician.Source.IMPORT,
            )
            plan = _ClinicianPlan(current, True, outcome.row, hospital_plan)
        else:
            plan = _ClinicianPlan(current, False, outcome.row, hospital_plan, set(changes))
            for name, value in changes.items():
                if name != "hospital":
                    setattr(current, name, value)
            outcome.changes.extend(changes)
        self.clinicians[email] = plan
        self.clinician_hospital_ref[email] = hospital_plan.ref
        self.contacts.get(person.current_ref, set()).discard(email)
        if person.counts_as_contact:
            named = self.contacts.setdefault(hospital_plan.ref, set())
            if email not in named:
                self.contact_gains.add(hospital_plan.ref)
                self.hospital_labels[hospital_plan.ref] = hospital_plan.label
            named.add(email)
        return plan.action, None

    @staticmethod
    def error(outcome, column, message):
        outcome.errors.append(RowIssue(outcome.row, column, message))

    @staticmethod
    def warn(outcome, column, message):
        outcome.warnings.append(RowIssue(outcome.row, column, message))


def _column_order(issue):
    return COLUMNS.index(issue.column) if issue.column in COLUMNS else -1


def _counts_as_contact(clinician):
    return (
        clinician.role == Clinician.Role.CONTACT_PERSON
        and clinician.status != Clinician.Status.SUSPENDED
        and clinician.hospital_id is not None
    )


def _person_changes(values, current, current_ref, hospital_plan):
    """The fields the row sets differently from `current`; none when there is no `current` yet.

    A blank cell leaves a value alone, and names that differ only in case or spacing are the same
    name: an export in capitals does not overwrite a name written with care.
    """
    if current is None:
        return {}
    changes = {}
    for name in ("first_name", "last_name"):
        if values[name] and match_text(values[name]) != match_text(getattr(current, name)):
            changes[name] = values[name]
    for name in ("phone", "specialty", "role"):
        if values[name] and values[name] != getattr(current, name):
            changes[name] = values[name]
    if current_ref != hospital_plan.ref:
        changes["hospital"] = hospital_plan
    return changes


def _hospital_label(hospital, country):
    place = f", {hospital.city}" if hospital.city else ""
    return f"{hospital.name}{place} ({country.code})"


def _number_word(number):
    return {1: "one", 2: "two", 3: "three"}.get(number, str(number))


def _cleaned(source, outcome):
    """The row's values trimmed and checked cell by cell; problems go to `outcome`."""
    values = {}
    for name in COLUMNS:
        raw = source.values[name]
        if "\x00" in raw:
            _Plan.error(
                outcome,
                name,
                "holds a NUL character (a zero byte), which cannot be stored. It usually means "
                'the file was saved as UTF-16 or from another program: save it as "CSV UTF-8" '
                "and import it again",
            )
        problem = mis_decoding(raw) if raw and not raw.isascii() else None
        if problem:
            outcome.warnings.append(RowIssue(source.number, name, f"{problem}; kept as given"))
        # Control characters go; C1 ones stay in text kept as given above (they are its trace).
        cleaned = clean_text(raw, keep_c1=bool(problem))
        if cleaned != raw and "\x00" not in raw and has_control_characters(raw):
            outcome.warnings.append(
                RowIssue(
                    source.number, name, "held invisible control characters, which were removed"
                )
            )
        raw = cleaned
        # Every column is a single line: line breaks and doubled spaces inside a cell are dropped.
        value = " ".join(raw.split())
        if value.startswith("'") and value[1:].startswith(FORMULA_TRIGGERS):
            value = value[1:]  # the apostrophe a formula-safe export put before the text
        values[name] = value

    if not values["country"]:
        _Plan.error(outcome, "country", "the country is missing")
    if not values["hospital"]:
        _Plan.error(outcome, "hospital", "the hospital's name is missing")
    if values["website"]:
        repair = repair_website(values["website"])
        if repair.action == REPAIRED:
            _Plan.warn(outcome, "website", f"{values['website']!r} was repaired to {repair.url!r}")
        elif repair.action == UNUSABLE:
            _Plan.warn(
                outcome,
                "website",
                f"{values['website']!r} {repair.reason}; the website was left empty",
            )
        values["website"] = repair.url

    # One written form per mailbox (a Unicode or an IDNA domain), as enrolment and sign-in.
    values["email"] = normalise_email(values["email"]).lower()
    if any(values[name] for name in PERSON_COLUMNS):
        for name, what in (
            ("first_name", "first name"),
            ("last_name", "last name"),
            ("email", "email address"),
        ):
            if not values[name]:
                _Plan.error(outcome, name, f"a person needs a {what}; this row has none")
    if values["email"]:
        try:
            validate_email(values["email"])
        except ValidationError:
            _Plan.error(outcome, "email", f"{values['email']!r} is not a valid email address")
    if values["role"]:
        role = ROLES.get(re.sub(r"[\s_\-]+", " ", values["role"]).casefold())
        if role is None:
            _Plan.error(
                outcome,
                "role",
                f"{values['role']!r} is not a role; use contact person, case manager or other",
            )
        values["role"] = role or ""

    for name, limit in MAX_LENGTHS.items():
        if name not in OPTIONAL_CHECKED and len(values[name]) > limit:
            _Plan.error(
                outcome, name, f"is {len(values[name])} characters long; at most {limit} fit"
            )
    return values


# Writing -----------------------------------------------------------------------------------------


def plan_import(source, *, filename=None):
    """What importing `source` would do, row by row; writes nothing.

    Raises DirectoryImportError as read_rows does.
    """
    return run_import(source, filename=filename, dry_run=True)


def run_import(source, *, filename=None, skip_invalid=False, dry_run=False, progress=None):
    """Import a directory spreadsheet and return an ImportReport.

    Hospitals are matched by country, name and city (ignoring case and spacing), clinicians by
    email; new clinicians land approved, with source "import". One invalid row means nothing is
    written, unless `skip_invalid`; `dry_run` writes nothing in any case. Warnings never stop an
    import. `progress`, if given, is called as ``progress(rows_checked, rows_total)`` every
    PROGRESS_EVERY rows while the file is checked (outside any transaction, so that it may save
    progress in its own), and once more when every row is checked.

    Raises DirectoryImportError as read_rows does, and when the directory changed under the import
    so that it could not be written (a hospital or clinician the file adds was added meanwhile, or
    someone took a contact-person place the file fills); nothing was written then either.
    """
    sheet = read_rows(source, filename=filename)
    report = ImportReport(
        sheet.filename,
        dry_run=dry_run,
        skip_invalid=skip_invalid,
        ignored_columns=sheet.ignored_columns,
    )
    plan = _plan_rows(sheet, report, progress)
    if dry_run or not (report.ok or skip_invalid):
        return report
    try:
        with transaction.atomic():
            _lock_contact_places(plan, sheet.filename)
            written = _write(plan)
            # Bulk writes send no signals: drop the cached /hospitals/ pages after commit here.
            hospitals_changed()
    except IntegrityError as exc:
        raise DirectoryImportError(
            f"The directory changed while {sheet.filename} was being imported (someone added a "
            "hospital or a clinician that the file also adds). Nothing was written; import it again."
        ) from exc
    report.written = True
    _update_search_index(written)
    return report


def _plan_rows(sheet, report, progress):
    """Check every row against one read of the directory, filling `report`; returns the plan.

    Runs in no transaction of its own: it only reads, and a long file must not hold a database
    lock (on SQLite, even a read transaction would keep a writer from checkpointing).
    """
    plan = _Plan()
    total = len(sheet.rows)
    for done, source_row in enumerate(sheet.rows, start=1):
        outcome = RowOutcome(source_row.number)
        if source_row.extra_cells:
            outcome.warnings.append(
                RowIssue(
                    source_row.number,
                    None,
                    "has more cells than the header names; the extra were ignored",
                )
            )
        plan.apply(source_row, outcome)
        if outcome.errors:
            outcome.action = INVALID
            outcome.errors.sort(key=_column_order)
        report.rows.append(outcome)
        report.errors.extend(outcome.errors)
        report.warnings.extend(outcome.warnings)
        if progress is not None and done % PROGRESS_EVERY == 0 and done < total:
            progress(done, total)
    report.hospitals.update(p.action for p in plan.hospitals.values())
    report.clinicians.update(p.action for p in plan.clinicians.values())
    if progress is not None:
        progress(total, total)
    return plan


def _lock_contact_places(plan, filename):
    """Lock the rows of the hospitals that the file gives a new contact person, then count their
    contact persons again, as Clinician.save() does for one person (one rule, one lock order).

    The plan was made outside this transaction: someone may have named a contact person since.
    Raises DirectoryImportError if a hospital would end up with too many.
    """
    gained = sorted(ref for ref in plan.contact_gains if not isinstance(ref, tuple))
    current = {}
    for start in range(0, len(gained), BATCH_SIZE):
        # services/contact_persons.py: the rule's lock and count, as for one person.
        current.update(contact_persons.lock_and_count(gained[start : start + BATCH_SIZE]))
    for ref in gained:
        planned = plan.contacts.get(ref, set())
        after = {email for email in current.get(ref, ()) if email not in plan.clinicians}
        after |= {email for email in planned if email in plan.clinicians}
        if len(after) > MAX_CONTACT_PERSONS:
            label = plan.hospital_labels.get(ref, f"hospital {ref}")
            raise DirectoryImportError(
                f"While {filename} was being imported, someone else named a contact person of "
                f"{label}; with the file's, it would have {len(after)} "
                f"({', '.join(sorted(after))}). Nothing was written; import it again to see "
                "which row to change."
            )


def _write(plan):
    countries = {country.pk: country for country in plan.countries.values()}
    for hospital_plan in plan.hospitals.values():
        # The countries are at hand: no query per hospital for the search text.
        hospital_plan.instance.country = countries[hospital_plan.instance.country_id]
    new_hospitals = [p.instance for p in plan.hospitals.values() if p.is_new]
    for hospital in new_hospitals:
        hospital.search_text = hospital_search_text(hospital)
    Hospital.objects.bulk_create(new_hospitals, batch_size=BATCH_SIZE)
    if any(h.pk is None for h in new_hospitals):  # a database that returns no ids from bulk inserts
        saved = {
            (h.country_id, h.match_name, h.match_city): h.pk
            for h in Hospital.objects.only("id", "country_id", "match_name", "match_city")
        }
        for hospital in new_hospitals:
            hospital.pk = saved[(hospital.country_id, hospital.match_name, hospital.match_city)]
    changed_hospitals = [p.instance for p in plan.hospitals.values() if p.action == UPDATED]
    Hospital.objects.bulk_update(changed_hospitals, ["website"], batch_size=BATCH_SIZE)

    new_clinicians, changed_clinicians, changed_fields = [], [], {"updated_at"}
    now = timezone.now()
    for person in plan.clinicians.values():
        person.instance.hospital_id = person.hospital.instance.pk
        search_text = clinician_search_text(person.instance, person.hospital.instance)
        if search_text != person.instance.search_text:
            person.instance.search_text = search_text
            if not person.is_new and not person.changes:
                # Found differently now (e.g. moved hospital), though nothing shown changed.
                changed_clinicians.append(person.instance)
            changed_fields.add("search_text")
        if person.is_new:
            new_clinicians.append(person.instance)
        elif person.changes:
            person.instance.updated_at = now
            changed_clinicians.append(person.instance)
            changed_fields |= person.changes
    Clinician.objects.bulk_create(new_clinicians, batch_size=BATCH_SIZE)
    if changed_clinicians:
        Clinician.objects.bulk_update(
            changed_clinicians, sorted(changed_fields), batch_size=BATCH_SIZE
        )

    return [
        (Hospital, new_hospitals + changed_hospitals),
        (Clinician, new_clinicians + changed_clinicians),
    ]


def _update_search_index(written):
    """bulk_create and bulk_update send no signals, so the search index is brought up to date
    here, after the directory's own commit and a batch per short transaction: the index is
    derived data, and writing it inside the import's transaction would double the time the
    database's write lock is held. Should it fail, the directory stands and is still found by
    its search_text; `manage.py update_index` rebuilds the index."""
    try:
        for backend in get_search_backends(with_auto_update=True):
            for model, objects in written:
                for start in range(0, len(objects), BATCH_SIZE):
                    with transaction.atomic():
                        backend.add_bulk(model, objects[start : start + BATCH_SIZE])
    except DatabaseError:
        logger.exception("The search index was not brought up to date after an import")
