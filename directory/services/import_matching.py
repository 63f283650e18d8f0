"""Matching a file's rows against the directory: which hospital and which clinician each row
names, what it would create or change, and which rows conflict (with an earlier row, or with the
two-contact-persons rule). Built from one read of the directory, outside any transaction; writes
nothing. Writing the plan is directory/services/imports.py."""

from dataclasses import dataclass, field

from cms.emails import normalise_email
from directory.countries import country_code
from directory.models import MAX_CONTACT_PERSONS, Clinician, Country, Hospital, match_text
from directory.phones import InvalidPhoneNumber, normalise_phone
from directory.services import contact_persons
from directory.services.import_cells import PERSON_COLUMNS, cleaned_values, error, warn
from directory.services.import_reading import COLUMNS
from directory.services.import_report import (
    CREATED,
    DUPLICATE,
    INVALID,
    RANK,
    UNCHANGED,
    UPDATED,
    RowIssue,
    RowOutcome,
)

PROGRESS_EVERY = 250


def plan_rows(sheet, report, progress=None):
    """Check every row against one read of the directory, filling `report`; returns the plan.

    Runs in no transaction of its own: it only reads, and a long file must not hold a database
    lock (on SQLite, even a read transaction would keep a writer from checkpointing).
    """
    plan = Plan()
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


class Plan:
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
        values = cleaned_values(source, outcome)
        outcome.hospital = values["hospital"]
        if any(values[name] for name in PERSON_COLUMNS):
            outcome.person = f"{values['first_name']} {values['last_name']} <{values['email']}>"
        country = None
        if values["country"]:
            country = self.countries.get(country_code(values["country"]))
            if country is None:
                error(
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
                warn(
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
        actions = [a for a in (hospital_action, outcome.clinician_action) if a in RANK]
        if actions:
            outcome.action = max(actions, key=RANK.get)
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
                warn(
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
            error(
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
                # The rule's one wording (enrolment and the admin say the same), then who holds
                # the places, which the helpdesk needs to decide which row to change.
                error(
                    outcome,
                    "role",
                    f"{contact_persons.message(hospital_plan.label)} "
                    f"They are {', '.join(sorted(named))}.",
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
