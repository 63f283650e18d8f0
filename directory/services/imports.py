"""Import the directory spreadsheet (CSV or XLSX) into hospitals and clinicians: the entry points
and the write.

The management command, the admin upload and its background task all come here: `plan_import` says
what a file would do, row by row, and writes nothing; `run_import` writes it, all or nothing unless the
caller asks to skip invalid rows. A file that cannot be imported at all raises DirectoryImportError;
a bad row is reported with the row number a spreadsheet user sees (the header is row 1) and the column.

The work is split by what each part needs:

- import_reading.py: the file to rows, its limits checked (no database);
- import_decoding.py: text mis-decoded upstream, spotted and explained with ftfy (pure);
- import_websites.py: a website cell repaired where that needs no guessing (pure);
- import_cells.py: one row's cells checked on their own (no database);
- import_matching.py: the rows matched against one read of the directory, into a plan;
- import_report.py: what the import says, row by row;
- here: the plan written in one short transaction of bulk inserts and updates, so that a database
  shared with a task worker (SQLite) is locked only while the rows are written; the search index
  follows after the commit.

The names other code uses (read_rows, ImportReport, repair_website, mis_decoding, ...) are importable
from here as before.
"""

import logging

from django.db import DatabaseError, IntegrityError, transaction
from django.utils import timezone
from wagtail.search.backends import get_search_backends

from directory.models import MAX_CONTACT_PERSONS, Clinician, Hospital
from directory.search import clinician_search_text, hospital_search_text
from directory.services import contact_persons
from directory.services.import_cells import (
    MAX_LENGTHS,
    OPTIONAL_CHECKED,
    PERSON_COLUMNS,
    ROLES,
)
from directory.services.import_decoding import MisDecoding, mis_decoding
from directory.services.import_matching import PROGRESS_EVERY, plan_rows
from directory.services.import_reading import (
    COLUMNS,
    DEFAULT_MAX_BYTES,
    DEFAULT_MAX_RATIO,
    DEFAULT_MAX_ROWS,
    DEFAULT_MAX_UNPACKED_BYTES,
    MAX_COLUMNS,
    REQUIRED_COLUMNS,
    DirectoryImportError,
    Sheet,
    SourceRow,
    check_file_limits,
    max_compression_ratio,
    max_import_bytes,
    max_import_rows,
    max_unpacked_bytes,
    read_rows,
)
from directory.services.import_report import (
    CREATED,
    DUPLICATE,
    INVALID,
    ROW_ACTIONS,
    UNCHANGED,
    UPDATED,
    ImportReport,
    RowIssue,
    RowOutcome,
)
from directory.services.import_websites import (
    KEPT,
    NORMALISED,
    REPAIRED,
    UNUSABLE,
    WebsiteRepair,
    repair_website,
)
from directory.signals import hospitals_changed

__all__ = [
    "COLUMNS",
    "CREATED",
    "DEFAULT_MAX_BYTES",
    "DEFAULT_MAX_RATIO",
    "DEFAULT_MAX_ROWS",
    "DEFAULT_MAX_UNPACKED_BYTES",
    "DUPLICATE",
    "INVALID",
    "KEPT",
    "MAX_COLUMNS",
    "MAX_LENGTHS",
    "NORMALISED",
    "OPTIONAL_CHECKED",
    "PERSON_COLUMNS",
    "PROGRESS_EVERY",
    "REPAIRED",
    "REQUIRED_COLUMNS",
    "ROLES",
    "ROW_ACTIONS",
    "UNCHANGED",
    "UNUSABLE",
    "UPDATED",
    "DirectoryImportError",
    "ImportReport",
    "MisDecoding",
    "RowIssue",
    "RowOutcome",
    "Sheet",
    "SourceRow",
    "WebsiteRepair",
    "check_file_limits",
    "max_compression_ratio",
    "max_import_bytes",
    "max_import_rows",
    "max_unpacked_bytes",
    "mis_decoding",
    "plan_import",
    "read_rows",
    "repair_website",
    "run_import",
]

logger = logging.getLogger(__name__)

BATCH_SIZE = 500


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
    plan = plan_rows(sheet, report, progress)
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
