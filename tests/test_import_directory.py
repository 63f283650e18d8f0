"""The directory import (directory/services/imports.py and the import_*.py modules it uses)
and `manage.py import_directory`."""

import csv
import io

import openpyxl
import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from wagtail.search.backends import get_search_backend

from directory.models import Clinician, Country, Hospital
from directory.services import contact_persons
from directory.services.imports import (
    DirectoryImportError,
    plan_import,
    read_rows,
    run_import,
)

HEADER = [
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
]


def row(country="DE", hospital="Charité", city="Berlin", website="", first="", last="", **more):
    return [
        country,
        hospital,
        city,
        website,
        first,
        last,
        more.get("email", ""),
        more.get("phone", ""),
        more.get("specialty", ""),
        more.get("role", ""),
    ]


def write_csv(tmp_path, rows, header=HEADER, name="directory.csv", bom=False, newline="\n"):
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator=newline)
    writer.writerow(header)
    writer.writerows(rows)
    path = tmp_path / name
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + buffer.getvalue().encode("utf-8"))
    return path


def snapshot():
    """Everything the import may touch, to show that a run changed nothing."""
    return (
        list(Hospital.objects.order_by("pk").values()),
        list(Clinician.objects.order_by("pk").values()),
    )


def actions(report):
    return {outcome.row: outcome.action for outcome in report.rows}


def issues(report_issues):
    return {(issue.row, issue.column) for issue in report_issues}


def hospital(name, city="Berlin", code="DE", **fields):
    return Hospital.objects.create(
        name=name, city=city, country=Country.objects.get(code=code), **fields
    )


def clinician(email, at=None, **fields):
    fields = {"first_name": "Ada", "last_name": "Lovelace", "status": "approved", **fields}
    return Clinician.objects.create(email=email, hospital=at, **fields)


# Reading the file ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_csv_with_bom_and_crlf_lands_approved_from_import(tmp_path):
    raw = (
        "\ufeff Country ,HOSPITAL,City,Website,First Name,last_name,Email,phone,specialty,Role\r\n"
        "DE,Charité,Berlin,charite.de,Jürgen,Müller,J.Mueller@Charite.de,+49 30 1,ICU,contact person\r\n"
        "AT,AKH Wien,Wien,,,,,,,\r\n"
    )
    path = tmp_path / "export.csv"
    path.write_bytes(raw.encode("utf-8"))  # the \ufeff becomes the UTF-8 BOM

    report = run_import(path)

    assert report.ok and report.written
    assert actions(report) == {2: "created", 3: "created"}
    person = Clinician.objects.get()
    assert (person.first_name, person.last_name, person.email) == (
        "Jürgen",
        "Müller",
        "j.mueller@charite.de",
    )
    assert person.status == Clinician.Status.APPROVED
    assert person.source == Clinician.Source.IMPORT
    assert person.role == Clinician.Role.CONTACT_PERSON
    assert person.hospital.name == "Charité"
    assert person.hospital.website == "https://charite.de"  # no scheme: https added
    assert Hospital.objects.get(city="Wien").country.code == "AT"
    assert not (person.hospital.city.endswith("\r") or person.phone.endswith("\r"))


@pytest.mark.django_db
def test_xlsx_with_numbers_and_a_blank_row_keeps_spreadsheet_row_numbers(tmp_path):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(HEADER)
    sheet.append(
        row("PL", "Szpital Uniwersytecki", "Kraków", first="Łukasz", last="Żółć", email="lz@su.pl")
    )
    sheet.cell(row=2, column=8, value=48123456789)  # a phone number typed as a number
    sheet.append([None] * len(HEADER))  # row 3 left blank
    sheet.append(row("PL", "", "Kraków"))  # row 4: no hospital name
    path = tmp_path / "directory.xlsx"
    workbook.save(path)

    report = plan_import(path)

    assert actions(report) == {2: "created", 4: "invalid"}
    assert issues(report.errors) == {(4, "hospital")}
    report = run_import(path, skip_invalid=True)
    person = Clinician.objects.get()
    assert person.phone == "+48123456789"  # in E.164
    assert (person.first_name, person.last_name) == ("Łukasz", "Żółć")


@pytest.mark.django_db
def test_names_in_greek_polish_czech_and_german_round_trip_exactly(tmp_path):
    people = [
        ("EL", "Νοσοκομείο «Ο Ευαγγελισμός»", "Αθήνα", "Γιώργος", "Παπαδόπουλος"),
        (
            "PL",
            "Szpital Specjalistyczny im. Żeromskiego",
            "Łódź",
            "Grzegorz",
            "Brzęczyszczykiewicz",
        ),
        ("CZ", "Fakultní nemocnice Královské Vinohrady", "Praha", "Jiří", "Dvořák"),
        ("DE", "Universitätsklinikum Schleswig-Holstein", "Lübeck", "Jörg", "Großmann"),
    ]
    rows = [
        row(c, h, city, first=f, last=last, email=f"p{n}@example.eu")
        for n, (c, h, city, f, last) in enumerate(people)
    ]

    run_import(write_csv(tmp_path, rows))

    for n, (code, name, city, first, last) in enumerate(people):
        person = Clinician.objects.select_related("hospital__country").get(email=f"p{n}@example.eu")
        assert (person.first_name, person.last_name) == (first, last)
        assert (person.hospital.name, person.hospital.city) == (name, city)
        assert person.hospital.country.code == {"EL": "GR"}.get(code, code)


@pytest.mark.django_db
def test_all_caps_is_kept_and_a_later_differently_cased_file_neither_duplicates_nor_overwrites(
    tmp_path,
):
    caps = write_csv(
        tmp_path,
        [
            row(
                "GR",
                "ΓΕΝΙΚΟ ΝΟΣΟΚΟΜΕΙΟ ΑΘΗΝΩΝ",
                "ΑΘΗΝΑ",
                first="ΓΙΩΡΓΟΣ",
                last="ΝΙΚΟΛΑΟΥ",
                email="gn@gna.gr",
            )
        ],
        name="caps.csv",
    )
    report = run_import(caps)
    assert not report.warnings  # capitals are a way of writing names, not a fault
    person = Clinician.objects.get()
    assert (person.first_name, person.last_name) == ("ΓΙΩΡΓΟΣ", "ΝΙΚΟΛΑΟΥ")
    assert person.hospital.name == "ΓΕΝΙΚΟ ΝΟΣΟΚΟΜΕΙΟ ΑΘΗΝΩΝ"
    before = snapshot()

    # The same letters in lower case (final sigma included) and with stray spaces: the same
    # hospital and person, nothing to update, and the capitals stay.
    lower = write_csv(
        tmp_path,
        [
            row(
                "el",
                " γενικο νοσοκομειο  αθηνων",
                "αθηνα ",
                first="γιωργος",
                last="νικολαου",
                email="GN@gna.gr",
            )
        ],
        name="lower.csv",
    )
    report = run_import(lower)
    assert actions(report) == {2: "unchanged"}
    assert snapshot() == before

    # A real difference in a name (an accent) is an update.
    accented = write_csv(
        tmp_path,
        [
            row(
                "GR",
                "ΓΕΝΙΚΟ ΝΟΣΟΚΟΜΕΙΟ ΑΘΗΝΩΝ",
                "ΑΘΗΝΑ",
                first="Γιώργος",
                last="ΝΙΚΟΛΑΟΥ",
                email="gn@gna.gr",
            )
        ],
        name="accented.csv",
    )
    report = run_import(accented)
    assert report.rows[0].changes == ["first_name"]
    assert Clinician.objects.get().first_name == "Γιώργος"


@pytest.mark.django_db
def test_duplicated_rows_are_reported_as_duplicates_not_errors(tmp_path):
    person = row("DE", "Charité", "Berlin", first="Jürgen", last="Müller", email="jm@charite.de")
    rows = [
        person,
        row("DE", "Charité", "Berlin"),  # the hospital alone, already named by row 2
        person,
        row("DE", "Vivantes", "Berlin"),
        row("de", " vivantes ", "BERLIN"),
    ]

    report = run_import(write_csv(tmp_path, rows))

    assert report.ok
    assert actions(report) == {
        2: "created",
        3: "duplicate",
        4: "duplicate",
        5: "created",
        6: "duplicate",
    }
    assert [o.duplicate_of for o in report.rows] == [None, 2, 2, None, 5]
    assert Hospital.objects.count() == 2 and Clinician.objects.count() == 1
    assert report.hospitals["created"] == 2 and report.clinicians["created"] == 1


@pytest.mark.django_db
def test_a_hospital_named_on_several_rows_takes_its_website_once(tmp_path):
    rows = [
        row("SE", "Karolinska", "Stockholm"),
        row("SE", "Karolinska", "Stockholm", "karolinska.se"),  # fills in the website
        row("SE", "Karolinska", "Stockholm", "https://ki.se"),  # a second website: which one?
        row("SE", "KAROLINSKA", "Stockholm", "https://karolinska.se"),
    ]
    report = run_import(write_csv(tmp_path, rows))

    # The second website costs nothing but itself: the first one stays, with a warning.
    assert report.written and not report.errors
    assert actions(report) == {2: "created", 3: "updated", 4: "duplicate", 5: "duplicate"}
    [warning] = report.warnings
    assert (warning.row, warning.column) == (4, "website")
    assert "row 3 gives this hospital another website" in warning.message
    assert "'https://ki.se' was left out" in warning.message
    assert report.hospitals == {"created": 1}
    assert Hospital.objects.get().website == "https://karolinska.se"


@pytest.mark.django_db
def test_a_row_confirming_the_website_on_file_counts_as_giving_it(tmp_path):
    hospital("Karolinska", city="Stockholm", code="SE", website="https://karolinska.se")
    rows = [
        row("SE", "Karolinska", "Stockholm", "https://karolinska.se"),
        row("SE", "Karolinska", "Stockholm", "https://ki.se"),
    ]
    report = plan_import(write_csv(tmp_path, rows))
    assert report.ok and issues(report.warnings) == {(3, "website")}
    assert "row 2 gives this hospital another website" in report.warnings[0].message


@pytest.mark.django_db
def test_rows_without_a_city(tmp_path):
    rows = [
        row("LU", "Centre Hospitalier", ""),
        row("LU", "Centre Hospitalier", "Luxembourg"),
        row("LU", "centre hospitalier", ""),
    ]
    report = run_import(write_csv(tmp_path, rows))

    assert actions(report) == {2: "created", 3: "created", 4: "duplicate"}
    assert sorted(Hospital.objects.values_list("city", flat=True)) == ["", "Luxembourg"]


@pytest.mark.django_db
def test_quoted_fields_with_commas_quotes_and_line_breaks(tmp_path):
    name = 'Szpital "Pod Lipami", Oddział Zakaźny'
    rows = [
        row(
            "PL",
            name,
            "Gdańsk",
            first="Anna",
            last="Nowak",
            email="an@lipami.pl",
            specialty="Infectious diseases,\nintensive care",
        )
    ]
    path = write_csv(tmp_path, rows)
    assert b'"Szpital ""Pod Lipami"", Oddzia' in path.read_bytes()  # really quoted

    report = run_import(path)

    assert actions(report) == {2: "created"}
    assert Hospital.objects.get().name == name
    # Every column is a single line: the line break inside the cell becomes a space.
    assert Clinician.objects.get().specialty == "Infectious diseases, intensive care"


@pytest.mark.django_db
def test_a_row_number_counts_records_not_lines(tmp_path):
    rows = [
        row("PL", "Szpital\nMiejski", "Gdańsk"),  # a line break inside a cell: still one row
        row("PL", "Szpital Wojewódzki", "Gdańsk", email="not-an-email", first="A", last="B"),
    ]
    report = plan_import(write_csv(tmp_path, rows))
    assert issues(report.errors) == {(3, "email")}


@pytest.mark.django_db
def test_mis_decoded_text_is_kept_and_warned_about_with_row_and_column(tmp_path):
    rows = [
        row("DE", "Klinikum rechts der Isar", "MÃ¼nchen"),
        row(
            "CZ",
            "Nemocnice Na Bulovce",
            "Praha",
            first="Ji\u0159\u00ed",
            last="Ä\x8dapek",
            email="c@b.cz",
        ),
        row("FR", "H\ufffdpital Bichat", "Paris"),
        # Real names, in capitals or not, with letters that a mis-decoding could produce:
        row("CZ", "Nemocnice Motol", "Praha", first="MÍŠA", last="ČERNÁ", email="mc@motol.cz"),
        row("DE", "Klinikum Großhadern", "München"),
    ]
    report = run_import(write_csv(tmp_path, rows), skip_invalid=True)

    assert report.ok and report.written
    assert issues(report.warnings) == {(2, "city"), (3, "last_name"), (4, "hospital")}
    # Where, what it looks like, what it probably should be, and what to do.
    munich = str(next(w for w in report.warnings if w.row == 2))
    assert munich.startswith("row 2, column city: 'MÃ¼nchen' looks like UTF-8 text read as")
    assert "probably should be 'München'" in munich and "kept as given" in munich
    assert 'save it as "CSV UTF-8"' in munich
    assert "probably should be 'čapek'" in str(next(w for w in report.warnings if w.row == 3))
    assert "U+FFFD" in str(next(w for w in report.warnings if w.row == 4))
    assert Hospital.objects.filter(city="MÃ¼nchen").exists()  # kept as given
    assert Clinician.objects.filter(last_name="Ä\x8dapek").exists()


@pytest.mark.django_db
def test_a_control_character_that_is_no_trace_of_a_letter_is_removed_with_a_warning(tmp_path):
    # Windows-1252's euro sign read as Latin-1: a C1 control character, which is not kept.
    rows = [row("DE", "Klinik \x80", "Berlin")]
    report = run_import(write_csv(tmp_path, rows))

    assert report.written
    [warning] = report.warnings
    assert (warning.row, warning.column) == (2, "hospital")
    assert "probably should be 'Klinik €'" in warning.message
    assert "kept without its control characters" in warning.message
    assert Hospital.objects.get().name == "Klinik"


@pytest.mark.django_db
def test_country_spellings(tmp_path):
    rows = [
        row("EL", "Evangelismos", "Athens"),
        row("UK", "St Thomas'", "London"),
        row("Germany", "Charité", "Berlin"),
        row(" the  netherlands ", "Erasmus MC", "Rotterdam"),
        row("cz", "Motol", "Praha"),
        row("Atlantis", "Poseidon", "Atlantis"),
    ]
    report = run_import(write_csv(tmp_path, rows), skip_invalid=True)

    codes = dict(Hospital.objects.values_list("name", "country__code"))
    assert codes == {
        "Evangelismos": "GR",
        "St Thomas'": "GB",
        "Charité": "DE",
        "Erasmus MC": "NL",
        "Motol": "CZ",
    }
    assert issues(report.errors) == {(7, "country")}


@pytest.mark.django_db
def test_unknown_columns_are_ignored_and_reported(tmp_path):
    path = write_csv(
        tmp_path,
        [row("DE", "Charité", "Berlin") + ["secret note", "x"]],
        header=HEADER + ["Internal notes", "ERN"],
    )
    report = run_import(path)
    assert report.ignored_columns == ["Internal notes", "ERN"]
    assert Hospital.objects.get().staff_notes == ""


@pytest.mark.django_db
def test_semicolon_separated_csv_from_a_european_spreadsheet(tmp_path):
    path = tmp_path / "semicolons.csv"
    path.write_text("country;hospital;city\nFR;Hôpital Bichat, AP-HP;Paris\n", encoding="utf-8")
    run_import(path)
    assert Hospital.objects.get().name == "Hôpital Bichat, AP-HP"


# All or nothing ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_one_bad_row_means_nothing_is_written_and_the_error_names_row_and_column(tmp_path):
    rows = [
        row("DE", "Charité", "Berlin", first="Jürgen", last="Müller", email="jm@charite.de"),
        row("DE", "Vivantes", "Berlin", first="Eva", last="Schmidt", email="eva.schmidt@"),
        row("AT", "AKH", "Wien"),
    ]
    before = snapshot()

    report = run_import(write_csv(tmp_path, rows))

    assert not report.written
    assert snapshot() == before
    assert actions(report) == {2: "created", 3: "invalid", 4: "created"}  # what it would have done
    [error] = report.errors
    assert (error.row, error.column) == (3, "email")
    assert str(error).startswith("row 3, column email: 'eva.schmidt@' is not a valid email")


@pytest.mark.django_db
def test_skip_invalid_writes_the_good_rows_and_nothing_of_the_bad_ones(tmp_path):
    rows = [
        row("DE", "Charité", "Berlin", first="Jürgen", last="Müller", email="jm@charite.de"),
        row("DE", "Vivantes", "Berlin", first="Eva", last="", email="eva@vivantes.de"),
        row("Atlantis", "AKH", "Wien"),
    ]
    report = run_import(write_csv(tmp_path, rows), skip_invalid=True)

    assert report.written
    assert issues(report.errors) == {(3, "last_name"), (4, "country")}
    assert list(Hospital.objects.values_list("name", flat=True)) == ["Charité"]
    assert list(Clinician.objects.values_list("email", flat=True)) == ["jm@charite.de"]


@pytest.mark.django_db
def test_importing_the_same_file_twice_changes_nothing(tmp_path):
    rows = [
        row(
            "DE",
            "Charité",
            "Berlin",
            "https://charite.de",
            "Jürgen",
            "Müller",
            email="JM@charite.de",
            phone="+49 30 1",
            specialty="ICU",
            role="Contact",
        ),
        row(
            "EL",
            "Ευαγγελισμός",
            "Αθήνα",
            first="Νίκος",
            last="Παππάς",
            email="np@ev.gr",
            role="case manager",
        ),
        row("PL", "Szpital", ""),
        row("PL", "Szpital", ""),
    ]
    path = write_csv(tmp_path, rows)
    first = run_import(path)
    assert set(actions(first).values()) == {"created", "duplicate"}
    after_first = snapshot()

    second = run_import(path)

    assert actions(second) == {2: "unchanged", 3: "unchanged", 4: "unchanged", 5: "duplicate"}
    assert second.hospitals == {"unchanged": 3} and second.clinicians == {"unchanged": 2}
    assert snapshot() == after_first  # not even updated_at moved


@pytest.mark.django_db
def test_hospitals_are_matched_ignoring_case_and_spacing(tmp_path):
    existing = hospital(
        "Charité – Universitätsmedizin Berlin", city="Berlin", website="https://charite.de"
    )
    rows = [
        row(
            "de",
            "  CHARITÉ –  universitätsmedizin   berlin ",
            " BERLIN ",
            first="A",
            last="B",
            email="ab@c.de",
        )
    ]

    report = run_import(write_csv(tmp_path, rows))

    assert Hospital.objects.count() == 1
    assert report.rows[0].hospital_action == "unchanged"
    assert Clinician.objects.get().hospital == existing
    existing.refresh_from_db()
    assert existing.name == "Charité – Universitätsmedizin Berlin"  # the careful spelling stays


@pytest.mark.django_db
def test_updates_set_what_differs_and_blank_cells_blank_out_nothing(tmp_path):
    charite = hospital("Charité", website="https://old.charite.de")
    vivantes = hospital("Vivantes")
    person = clinician(
        "jm@charite.de",
        at=charite,
        first_name="Jürgen",
        last_name="Müller",
        phone="+49301234567",
        specialty="ICU",
        role="case_manager",
    )
    rows = [
        row("DE", "Charité", "Berlin", "https://new.charite.de"),
        row(
            "DE",
            "Vivantes",
            "Berlin",
            first="JÜRGEN",
            last="Müller",
            email="JM@Charite.de",
            phone="+49 30 7654321",
        ),
    ]

    report = run_import(write_csv(tmp_path, rows))

    assert actions(report) == {2: "updated", 3: "updated"}
    assert report.rows[1].changes == ["phone", "hospital"]
    person.refresh_from_db()
    charite.refresh_from_db()
    assert charite.website == "https://new.charite.de"
    assert person.hospital == vivantes and person.phone == "+49307654321"
    assert (person.first_name, person.specialty, person.role) == ("Jürgen", "ICU", "case_manager")


@pytest.mark.django_db
def test_the_same_email_with_different_data_is_an_error_naming_the_earlier_row(tmp_path):
    rows = [
        row("DE", "Charité", "Berlin", first="Jürgen", last="Müller", email="jm@charite.de"),
        row("AT", "AKH", "Wien"),
        row("DE", "Vivantes", "Berlin", first="Jürgen", last="Müller", email="JM@charite.de"),
    ]
    report = plan_import(write_csv(tmp_path, rows))

    [error] = report.errors
    assert (error.row, error.column) == (4, "hospital")
    assert "also on row 2" in error.message


@pytest.mark.django_db
def test_values_are_checked(tmp_path):
    rows = [
        row("DE", "Charité", "Berlin", first="A", last="B", email="ab@c.de", role="Chief"),
        row("DE", "x" * 256, "Berlin"),
        row("DE", "Charité", "Berlin", first="A", last="B", email="ab2@c.de", phone="1" * 41),
        row("", "", ""),
        row("DE", "Charité", "Berlin", website="ftp://charite.de"),
        row("DE", "Charité", "Berlin", phone="+49 1"),  # a person without names or email
        row("DE", "Charité", "Berlin", first="A", last="B", email="ab3@c.de", role="CASE_MANAGER"),
    ]
    rows[3][9] = "other"  # a row with nothing but a role is a person's row with no one in it
    report = plan_import(write_csv(tmp_path, rows))

    assert issues(report.errors) == {
        (2, "role"),
        (3, "hospital"),
        (5, "country"),
        (5, "hospital"),
        (5, "first_name"),
        (5, "last_name"),
        (5, "email"),
        (7, "first_name"),
        (7, "last_name"),
        (7, "email"),
    }
    # A phone or a website that does not validate is left empty with a warning, not an error.
    assert issues(report.warnings) == {(4, "phone"), (6, "website")}
    assert report.rows[-1].action == "created"
    assert "at most 255" in next(str(e) for e in report.errors if e.row == 3)


# At most two contact persons ---------------------------------------------------------------------


@pytest.mark.django_db
def test_a_third_contact_person_in_the_file_is_refused(tmp_path):
    rows = [
        row(
            "BE",
            "UZ Leuven",
            "Leuven",
            first=f"P{n}",
            last="Peeters",
            email=f"p{n}@uzleuven.be",
            role="contact",
        )
        for n in range(1, 4)
    ]
    report = plan_import(write_csv(tmp_path, rows))

    assert actions(report) == {2: "created", 3: "created", 4: "invalid"}
    [error] = report.errors
    assert (error.row, error.column) == (4, "role")
    assert "at most two" in error.message
    # The rule's one wording, as enrolment and the admin say it (services/contact_persons.py).
    assert error.message.startswith(contact_persons.message("UZ Leuven, Leuven (BE)"))
    assert "p1@uzleuven.be, p2@uzleuven.be" in error.message  # who holds the two places

    # Without the third row, the file imports: the limit is what refused it.
    report = run_import(write_csv(tmp_path, rows[:2], name="two.csv"))
    assert report.written and Clinician.objects.filter(role="contact").count() == 2


@pytest.mark.django_db
def test_a_third_contact_person_counts_the_ones_already_in_the_directory(tmp_path):
    leuven = hospital("UZ Leuven", city="Leuven", code="BE")
    clinician("a@uzleuven.be", at=leuven, role="contact")
    clinician("b@uzleuven.be", at=leuven, role="contact")
    suspended = clinician("s@uzleuven.be", at=leuven, role="contact", status="suspended")
    newcomer = row(
        "BE",
        "UZ Leuven",
        "Leuven",
        first="C",
        last="Claes",
        email="c@uzleuven.be",
        role="contact person",
    )

    report = plan_import(write_csv(tmp_path, [newcomer]))
    assert issues(report.errors) == {(2, "role")}
    assert "a@uzleuven.be" in report.errors[0].message
    assert "s@uzleuven.be" not in report.errors[0].message  # a suspended one does not count

    # One of them moves to "other" in an earlier row: now there is room.
    demoted = row(
        "BE",
        "UZ Leuven",
        "Leuven",
        first="Ada",
        last="Lovelace",
        email="b@uzleuven.be",
        role="other",
    )
    report = run_import(write_csv(tmp_path, [demoted, newcomer], name="demote.csv"))
    assert report.written
    assert set(Clinician.objects.filter(role="contact").values_list("email", flat=True)) == {
        "a@uzleuven.be",
        "c@uzleuven.be",
        suspended.email,
    }


# Refusing a file -----------------------------------------------------------------------------


class Unreadable(io.BytesIO):
    """An upload whose content must not be touched."""

    def read(self, *args):
        raise AssertionError("the file was read")


class Stream:
    """An upload that can only be read, so its size is unknown until it is."""

    def __init__(self, content):
        self.content = io.BytesIO(content)

    def read(self, size=-1):
        return self.content.read(size)


@pytest.mark.django_db
def test_a_file_over_the_size_limit_is_refused_before_it_is_read(tmp_path):
    content = b"country,hospital\n" + b"DE,Charit\xc3\xa9\n" * 20
    with override_settings(DIRECTORY_IMPORT_MAX_BYTES=100):
        with pytest.raises(DirectoryImportError, match="limit is 100 bytes"):
            read_rows(Unreadable(content), filename="big.csv")
        big = tmp_path / "big.csv"
        big.write_bytes(content)
        with pytest.raises(DirectoryImportError, match="DIRECTORY_IMPORT_MAX_BYTES"):
            run_import(big)
        # An upload that does not know its size is read no further than the limit.
        with pytest.raises(DirectoryImportError, match="limit"):
            read_rows(Stream(content), filename="stream.csv")
    # Under a larger limit the same file is read: the limit is what refused it.
    with override_settings(DIRECTORY_IMPORT_MAX_BYTES=len(content)):
        assert len(read_rows(io.BytesIO(content), filename="ok.csv").rows) == 20
        with pytest.raises(AssertionError, match="was read"):
            read_rows(Unreadable(content), filename="ok.csv")


@pytest.mark.django_db
def test_an_uploaded_file_object_can_be_previewed_then_imported():
    upload = io.BytesIO(b"country,hospital,city\nSI,UKC Ljubljana,Ljubljana\n")
    upload.name = "upload.csv"
    preview = plan_import(upload)
    assert actions(preview) == {2: "created"} and not Hospital.objects.exists()

    report = run_import(upload)  # the same object again, as an admin confirms a preview
    assert report.filename == "upload.csv" and report.written
    assert Hospital.objects.get().name == "UKC Ljubljana"


@pytest.mark.parametrize(
    "content, message",
    [
        ("country,hospital\nDE,Universit\xe4tsklinikum\n".encode("latin-1"), "not UTF-8 text"),
        (b"", "no header in row 1"),
        (b"name,town\nCharite,Berlin\n", "no column country or hospital"),
        (b"country,hospital,Hospital\nDE,a,b\n", "two columns named hospital"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1 old excel", "old Excel"),
        (b"PK\x03\x04 not really a workbook", "cannot be read as an XLSX"),
        (b"country,hospital\nDE," + b"x" * 200_000 + b"\n", "cannot be read as CSV near line 2"),
    ],
)
@pytest.mark.django_db
def test_files_that_cannot_be_imported_are_refused_with_a_reason(tmp_path, content, message):
    path = tmp_path / "file.csv"
    path.write_bytes(content)
    with pytest.raises(DirectoryImportError, match=message):
        run_import(path)


# Cost --------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_planning_runs_the_same_queries_for_ten_rows_or_a_hundred(tmp_path):
    def file_of(count, name):
        rows = [
            row("DE", f"Klinik {n}", "Berlin", first="A", last=f"B{n}", email=f"p{n}@k.de")
            for n in range(count)
        ]
        return write_csv(tmp_path, rows, name=name)

    hospital("Klinik 0")  # existing rows are read once, not row by row
    clinician("p1@k.de")
    counts = []
    for count, name in [(10, "ten.csv"), (100, "hundred.csv")]:
        with CaptureQueriesContext(connection) as captured:
            plan_import(file_of(count, name))
        counts.append(len(captured))
    assert counts[0] == counts[1] <= 6


@pytest.mark.django_db
def test_imported_records_are_in_the_search_index(tmp_path):
    rows = [
        row(
            "PL", "Szpital Bielański", "Warszawa", first="Zofia", last="Wiśniewska", email="zw@b.pl"
        )
    ]
    run_import(write_csv(tmp_path, rows))
    search = get_search_backend().search
    assert [h.name for h in search("Bielański", Hospital)] == ["Szpital Bielański"]
    assert [c.email for c in search("Wiśniewska", Clinician)] == ["zw@b.pl"]


# The command -------------------------------------------------------------------------------------


def command(*args):
    out = io.StringIO()
    call_command("import_directory", *map(str, args), stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_command_imports_and_prints_a_summary(tmp_path):
    path = write_csv(
        tmp_path,
        [
            row("DE", "Charité", "Berlin", first="Jürgen", last="Müller", email="jm@charite.de"),
            row("DE", "Charité", "Berlin"),
        ],
        header=HEADER[:7] + ["Notes"],
    )
    output = command(path)
    lines = output.splitlines()
    assert lines[0].startswith(
        "directory.csv: 2 rows: 1 created, 0 updated, 0 unchanged, 1 duplicate"
    )
    assert "Ignored columns: Notes." in lines
    assert "row 2:" not in output  # per-row lines only at -v 2
    assert lines[-1] == "Imported."
    assert Clinician.objects.count() == 1

    verbose = command(path, "-v", "2")
    assert "row 2: unchanged (hospital unchanged; person unchanged): Jürgen Müller" in verbose
    assert "row 3: duplicate (same as row 2): Charité, Berlin (DE)" in verbose


@pytest.mark.django_db
def test_command_dry_run_writes_nothing(tmp_path):
    path = write_csv(tmp_path, [row("IE", "St James's", "Dublin")])
    output = command(path, "--dry-run")
    assert "1 created" in output
    assert "Dry run: nothing was written." in output
    assert not Hospital.objects.exists()


@pytest.mark.django_db
def test_command_with_a_bad_row_fails_and_writes_nothing(tmp_path):
    rows = [row("IE", "St James's", "Dublin"), row("Atlantis", "Beaumont", "Dublin")]
    path = write_csv(tmp_path, rows)
    out = io.StringIO()
    with pytest.raises(CommandError, match="Nothing was written: 1 row with errors"):
        call_command("import_directory", str(path), stdout=out)
    assert "error: row 3, column country:" in out.getvalue()
    assert not Hospital.objects.exists()

    with pytest.raises(CommandError, match="dry run: nothing was written"):
        command(path, "--dry-run")

    output = command(path, "--skip-invalid")
    assert "1 row with errors skipped" in output
    assert list(Hospital.objects.values_list("name", flat=True)) == ["St James's"]


@pytest.mark.django_db
def test_command_prints_warnings_with_row_and_column(tmp_path):
    output = command(write_csv(tmp_path, [row("DE", "Klinikum", "MÃ¼nchen")]))
    assert (
        "warning: row 2, column city: 'MÃ¼nchen' looks like UTF-8 text read as Windows-1252"
        in output
    )
    assert "probably should be 'München'" in output and '"CSV UTF-8"' in output


@pytest.mark.django_db
def test_command_refuses_a_missing_or_oversized_file(tmp_path):
    with pytest.raises(CommandError, match="cannot be opened.*Nothing was written"):
        command(tmp_path / "missing.csv")
    path = write_csv(tmp_path, [row()])
    with (
        override_settings(DIRECTORY_IMPORT_MAX_BYTES=10),
        pytest.raises(CommandError, match="limit"),
    ):
        command(path)


def test_a_unicode_domain_and_its_idna_form_are_one_person(db, tmp_path):
    """Enrolment and sign-in store the domain in IDNA ASCII; the import finds the same person
    whichever way a spreadsheet writes it, and a record kept in Unicode before is matched too."""
    first = write_csv(tmp_path, [row(first="Jörg", last="Buch", email="Jorg@Bücher.example")])
    assert run_import(first).written
    assert Clinician.objects.get().email == "jorg@xn--bcher-kva.example"

    again = write_csv(
        tmp_path,
        [row(first="Jörg", last="Buch", email="jorg@xn--bcher-kva.example")],
        name="again.csv",
    )
    report = run_import(again)
    assert actions(report) == {2: "unchanged"}
    assert Clinician.objects.count() == 1

    Clinician.objects.update(email="jorg@bücher.example")  # stored before addresses were normalised
    report = run_import(again)
    assert Clinician.objects.count() == 1, actions(report)


def test_a_database_failure_midway_through_the_write_leaves_nothing_written(
    db, tmp_path, monkeypatch
):
    """The hospitals are written before the clinicians: if the database fails between the two,
    the import's transaction takes the hospitals back too (issue 9, point 7)."""
    from django.db import DatabaseError, connection

    def failing_bulk_create(*args, **kwargs):
        with connection.cursor() as cursor:
            cursor.execute("SELECT * FROM cmss_no_such_table")  # the database itself refuses

    before = Hospital.objects.count()
    monkeypatch.setattr(Clinician.objects, "bulk_create", failing_bulk_create)
    path = write_csv(
        tmp_path,
        [
            row(hospital="Hôpital Neuf", city="Lyon", country="FR"),
            row(
                first="Ana",
                last="Lopes",
                email="ana@neuf.example.fr",
                country="FR",
                hospital="Hôpital Neuf",
                city="Lyon",
            ),
        ],
    )

    with pytest.raises(DatabaseError):
        run_import(path)

    assert Hospital.objects.count() == before
    assert not Clinician.objects.exists()
