"""One row's cells checked on their own, before the directory is consulted: trimmed, control
characters and NUL bytes caught, mis-decoded text warned about (import_decoding), the website
repaired (import_websites), names, email, role and lengths checked. An optional cell that does not
validate costs its row nothing: it is left empty with a warning. Reads no database."""

import re

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from cms.emails import normalise_email
from cms.text import clean_text, has_control_characters
from directory.models import Clinician, Hospital
from directory.services.exports import FORMULA_TRIGGERS
from directory.services.import_decoding import SAVE_AS_UTF8, mis_decoding
from directory.services.import_reading import COLUMNS
from directory.services.import_report import RowIssue
from directory.services.import_websites import REPAIRED, UNUSABLE, repair_website

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


def error(outcome, column, message):
    outcome.errors.append(RowIssue(outcome.row, column, message))


def warn(outcome, column, message):
    outcome.warnings.append(RowIssue(outcome.row, column, message))


def cleaned_values(source, outcome):
    """The row's values trimmed and checked cell by cell; problems go to `outcome`."""
    values = {}
    for name in COLUMNS:
        raw = source.values[name]
        if "\x00" in raw:
            error(
                outcome,
                name,
                "holds a NUL character (a zero byte), which cannot be stored. It usually means "
                'the file was saved as UTF-16 or from another program: save it as "CSV UTF-8" '
                "and import it again",
            )
        problem = mis_decoding(raw) if raw and not raw.isascii() else None
        # Control characters go, but in UTF-8 read as Windows-1252 the C1 ones are what is left
        # of the original letters: that text is kept as given, for a person to correct.
        cleaned = clean_text(raw, keep_c1=bool(problem and problem.utf8_read_as_another))
        if problem:
            kept = "kept as given" if cleaned == raw else "kept without its control characters"
            warn(outcome, name, f"{problem}. It was {kept}: {SAVE_AS_UTF8}")
        elif cleaned != raw and "\x00" not in raw and has_control_characters(raw):
            warn(outcome, name, "held invisible control characters, which were removed")
        raw = cleaned
        # Every column is a single line: line breaks and doubled spaces inside a cell are dropped.
        value = " ".join(raw.split())
        if value.startswith("'") and value[1:].startswith(FORMULA_TRIGGERS):
            value = value[1:]  # the apostrophe a formula-safe export put before the text
        values[name] = value

    if not values["country"]:
        error(outcome, "country", "the country is missing")
    if not values["hospital"]:
        error(outcome, "hospital", "the hospital's name is missing")
    if values["website"]:
        repair = repair_website(values["website"])
        if repair.action == REPAIRED:
            warn(outcome, "website", f"{values['website']!r} was repaired to {repair.url!r}")
        elif repair.action == UNUSABLE:
            warn(
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
                error(outcome, name, f"a person needs a {what}; this row has none")
    if values["email"]:
        try:
            validate_email(values["email"])
        except ValidationError:
            error(outcome, "email", f"{values['email']!r} is not a valid email address")
    if values["role"]:
        role = ROLES.get(re.sub(r"[\s_\-]+", " ", values["role"]).casefold())
        if role is None:
            error(
                outcome,
                "role",
                f"{values['role']!r} is not a role; use contact person, case manager or other",
            )
        values["role"] = role or ""

    for name, limit in MAX_LENGTHS.items():
        if name not in OPTIONAL_CHECKED and len(values[name]) > limit:
            error(outcome, name, f"is {len(values[name])} characters long; at most {limit} fit")
    return values
