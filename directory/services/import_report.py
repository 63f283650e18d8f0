"""What an import says about a file: one RowOutcome per row, its RowIssues (errors and warnings by
row and column), and the ImportReport that the command, the admin's preview and the background run
show. Plain data; nothing here reads the file or the directory."""

from collections import Counter
from dataclasses import dataclass, field

CREATED = "created"
UPDATED = "updated"
UNCHANGED = "unchanged"
DUPLICATE = "duplicate"
INVALID = "invalid"
ROW_ACTIONS = (CREATED, UPDATED, UNCHANGED, DUPLICATE, INVALID)
RANK = {CREATED: 3, UPDATED: 2, UNCHANGED: 1}


@dataclass(frozen=True)
class RowIssue:
    """An error or a warning about one cell (or one row, when column is None)."""

    row: int
    column: str | None
    message: str

    def __str__(self):
        where = f"row {self.row}, column {self.column}" if self.column else f"row {self.row}"
        return f"{where}: {self.message}"


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
