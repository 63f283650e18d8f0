"""Directory spreadsheets that are safe to open, and the audit-log record of who exported what.

A cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return would be read as a
formula by a spreadsheet program ("CSV injection"); such cells are prefixed with an apostrophe,
which spreadsheets show as text. Phone numbers such as ``+32 2 555 01 01`` are left alone.
"""

import re

from wagtail.log_actions import log

from cms.text import clean_text, has_control_characters

EXPORT_ACTION = "cmss.directory_export"
# Excel reads a CSV file as UTF-8 only when it starts with a byte-order mark; the import skips it.
CSV_BOM = "\ufeff"
# Column headings of the hospital and clinician exports: the import's column names
# (services/import_reading.py COLUMNS) for what the import reads, so that an exported file, edited in a
# spreadsheet and imported again, changes nothing; the other columns the import ignores.
HOSPITAL_HEADINGS = {
    "country.code": "country",
    "name": "hospital",
    "city": "city",
    "website": "website",
    "ern_memberships": "ern_memberships",
    "taking_part": "taking_part",
    "last_verified": "last_verified",
}
CLINICIAN_HEADINGS = {
    "hospital.country.code": "country",
    "hospital.name": "hospital",
    "hospital.city": "city",
    "first_name": "first_name",
    "last_name": "last_name",
    "email": "email",
    "phone": "phone",
    "specialty": "specialty",
    "get_role_display": "role",
    "languages": "languages",
    "get_status_display": "status",
    "last_verified": "last_verified",
}
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
PHONE_NUMBER = re.compile(r"\+?[0-9][0-9 ()./-]*")


def spreadsheet_safe(value, export_format, *, phone=False):
    """``value`` as it may go into an exported cell of ``export_format`` ("csv" or "xlsx"):
    without control characters (openpyxl refuses most of them, so one stored before the forms
    cleaned text would stop every XLSX export), and formula-safe in a CSV file."""
    if has_control_characters(value):
        value = clean_text(value, multiline=True)
    if export_format == "csv":
        return formula_safe(value, phone=phone)
    return value


def formula_safe(value, *, phone=False):
    """``value`` as it may go into a CSV cell: prefixed with ``'`` if it would start a formula,
    and without control characters (tab and line breaks are kept, so the prefix still applies).

    With ``phone=True`` a value that is only a phone number (digits, spaces, ``()./-``, an optional
    leading ``+``) stays as it is. Values that are not strings are returned unchanged.
    """
    if has_control_characters(value):
        value = clean_text(value, multiline=True)
    if not isinstance(value, str) or not value.startswith(FORMULA_TRIGGERS):
        return value
    if phone and PHONE_NUMBER.fullmatch(value):
        return value
    return f"'{value}"


def log_export(user, model, export_format, filters, rows):
    """Record in Wagtail's audit log that ``user`` exported ``rows`` rows of ``model``.

    The entry is filed under the exporting user (an export is not about one hospital or clinician)
    with action ``cmss.directory_export`` and data: model label, format, the list filters and
    search used (a dict of lists, as in a query string) and the number of rows. Returns the entry.
    """
    return log(
        instance=user,
        action=EXPORT_ACTION,
        user=user,
        title=f"Export of {model._meta.verbose_name_plural}",
        data={
            "model": model._meta.label,
            "format": export_format,
            "filters": filters,
            "rows": rows,
        },
    )
