"""Import the directory spreadsheet: `manage.py import_directory PATH [--dry-run] [--skip-invalid]`."""

from django.core.management.base import BaseCommand, CommandError

from directory.services.imports import DirectoryImportError, run_import


class Command(BaseCommand):
    help = (
        "Import hospitals and clinicians from the directory spreadsheet (CSV in UTF-8, or XLSX). "
        "All or nothing: one invalid row means nothing is written, unless --skip-invalid."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help="the .csv or .xlsx file")
        parser.add_argument(
            "--dry-run", action="store_true", help="check the file and report; write nothing"
        )
        parser.add_argument(
            "--skip-invalid",
            action="store_true",
            help="write the valid rows even when other rows have errors",
        )

    def handle(self, *args, path, dry_run, skip_invalid, verbosity, **options):
        try:
            report = run_import(path, skip_invalid=skip_invalid, dry_run=dry_run)
        except DirectoryImportError as exc:
            raise CommandError(f"{exc} Nothing was written.") from exc

        self.stdout.write(f"{report.filename}: {report.summary()}")
        if report.ignored_columns:
            self.stdout.write(f"Ignored columns: {', '.join(report.ignored_columns)}.")
        for issue in report.errors:
            self.stdout.write(self.style.ERROR(f"error: {issue}"))
        for issue in report.warnings:
            self.stdout.write(self.style.WARNING(f"warning: {issue}"))
        if verbosity >= 2:
            for outcome in report.rows:
                if outcome.action != "invalid":
                    self.stdout.write(self.describe(outcome))

        invalid = report.counts["invalid"]
        if dry_run:
            skipped = (
                f"; {_rows(invalid)} with errors would be skipped"
                if skip_invalid and invalid
                else ""
            )
            self.stdout.write(f"Dry run: nothing was written{skipped}.")
            if invalid and not skip_invalid:
                raise CommandError(f"{_rows(invalid)} with errors (dry run: nothing was written).")
        elif not report.written:
            raise CommandError(
                f"Nothing was written: {_rows(invalid)} with errors. Correct them and import again, "
                "or use --skip-invalid to import the other rows."
            )
        elif invalid:
            self.stdout.write(
                self.style.WARNING(
                    f"Imported the valid rows; {_rows(invalid)} with errors skipped."
                )
            )
        else:
            self.stdout.write(self.style.SUCCESS("Imported."))

    def describe(self, outcome):
        details = []
        if outcome.duplicate_of:
            details.append(f"same as row {outcome.duplicate_of}")
        if outcome.hospital_action:
            details.append(f"hospital {outcome.hospital_action}")
        if outcome.clinician_action and outcome.clinician_action != "duplicate":
            details.append(f"person {outcome.clinician_action}")
        if outcome.changes:
            details.append(f"changed: {', '.join(outcome.changes)}")
        line = f"row {outcome.row}: {outcome.action} ({'; '.join(details)})"
        subject = f"{outcome.person} at {outcome.hospital}" if outcome.person else outcome.hospital
        return f"{line}: {subject}"


def _rows(number):
    return f"{number} row" if number == 1 else f"{number} rows"
