"""A real list imports whole: messy optional cells are repaired or left empty with a warning
(directory/services/import_websites.py, import_cells.py), and only what makes a row unusable is an error."""

import io

import pytest
from django.core.management import CommandError, call_command

from directory.models import Clinician, Hospital
from directory.services.imports import (
    KEPT,
    NORMALISED,
    REPAIRED,
    UNUSABLE,
    DirectoryImportError,
    plan_import,
    repair_website,
    run_import,
)

from .test_import_directory import clinician, hospital, issues, row, write_csv

# raw cell -> (what is stored, how)
WEBSITES = [
    ("", "", KEPT),
    ("https://www.example.at/", "https://www.example.at/", KEPT),
    ("http://www.example.at", "http://www.example.at", KEPT),
    # A scheme put before a bare host is how an address is stored: no warning.
    ("www.example.at", "https://www.example.at", NORMALISED),
    ("example.at", "https://example.at", NORMALISED),
    ("HTTP://www.example.at", "http://www.example.at", NORMALISED),
    # Typos that have one reading.
    ("http//:www.example.at", "http://www.example.at", REPAIRED),
    ("http:/www.example.at", "http://www.example.at", REPAIRED),
    ("http:///www.example.at", "http://www.example.at", REPAIRED),
    ("https//www.example.fr", "https://www.example.fr", REPAIRED),
    ("http:www.example.at", "http://www.example.at", REPAIRED),
    ("http://www. example.at", "http://www.example.at", REPAIRED),
    ("http : //www.example.gr/", "http://www.example.gr/", REPAIRED),
    ("htttp://www.example.cz", "http://www.example.cz", REPAIRED),
    ("htp://www.example.cz", "http://www.example.cz", REPAIRED),
    ("http://htttp.//www.example.cz/", "http://www.example.cz/", REPAIRED),
    ("www,example.cz", "https://www.example.cz", REPAIRED),
    ("w.w.w. example.ro", "https://www.example.ro", REPAIRED),
    ("www.example.at;", "https://www.example.at", REPAIRED),
    # No single reading, or no address at all: left empty.
    ("+43 1 40400-0", "", UNUSABLE),
    ("0030 210 7201000", "", UNUSABLE),
    ("in constructie", "", UNUSABLE),
    ("www.example.at; www.example.com", "", UNUSABLE),
    ("www.example.at www.example.com", "", UNUSABLE),
    ("http://a.example.at, http://b.example.at", "", UNUSABLE),
    ("ftp://example.at", "", UNUSABLE),
    ("http://", "", UNUSABLE),
    ("https://" + "a" * 300 + ".at", "", UNUSABLE),
    ("httpbin.org", "https://httpbin.org", NORMALISED),  # a host that starts with "http"
]


@pytest.mark.parametrize("raw, url, action", WEBSITES)
def test_repair_website(raw, url, action):
    repair = repair_website(raw)
    assert (repair.url, repair.action) == (url, action)
    assert bool(repair.reason) == (action == UNUSABLE)  # an empty cell says why


def test_every_repaired_address_is_kept_as_it_is_when_imported_again():
    for _raw, url, _action in WEBSITES:
        if url:
            assert repair_website(url).url == url and repair_website(url).action in (
                KEPT,
                NORMALISED,
            )


# The real list's problems, one row each ----------------------------------------------------------

MESSY = [
    row("AT", "AKH Wien", "Wien", "http//:www.example.at"),  # 2
    row("AT", "LKH Graz", "Graz", "http://www. example.at"),  # 3
    row("EL", "Ευαγγελισμός", "Αθήνα", "http : //www.example.gr/"),  # 4
    row("CZ", "FN Motol", "Praha", "www,example.cz"),  # 5
    row("RO", "Spitalul Colentina", "București", "w.w.w. example.ro"),  # 6
    row("CZ", "FN Brno", "Brno", "http://htttp.//www.example.cz/"),  # 7
    row("BE", "UZ Leuven", "Leuven", "www.uzleuven.be; www.kuleuven.be"),  # 8
    row("BE", "Erasme", "Bruxelles", "+32 2 555 31 11"),  # 9
    row("RO", "Spitalul Nou", "Cluj", "in constructie"),  # 10
    row("SE", "Karolinska", "Stockholm", "karolinska.se"),  # 11
    row("SE", "Karolinska", "Stockholm", "https://ki.se"),  # 12: a second website
    row("DE", "Charité", "Berlin", "charite.de", "Jürgen", "Müller", email="jm@charite.de",
        phone="030 450 50"),  # 13: a national number read in the hospital's country
    row("DE", "Charité", "Berlin", first="Eva", last="Schmidt", email="es@charite.de",
        phone="not a phone"),  # 14
    row("", "Nameless", "Somewhere"),  # 15: no country
    row("FR", "", "Paris"),  # 16: no hospital
    row("Atlantis", "Poseidon", "Atlantis"),  # 17: unknown country
    row("FR", "Hôpital Cochin", "Paris", first="Luc", last="Martin", email="luc@"),  # 18
]  # fmt: skip


@pytest.mark.django_db
def test_a_messy_list_imports_whole_with_warnings_naming_row_column_before_and_after(tmp_path):
    report = run_import(write_csv(tmp_path, MESSY), skip_invalid=True)

    # Only what makes a row unusable is an error.
    assert issues(report.errors) == {(15, "country"), (16, "hospital"), (17, "country"),
                                     (18, "email")}  # fmt: skip
    assert issues(report.warnings) == {(n, "website") for n in (*range(2, 11), 12)} | {
        (14, "phone")
    }
    warnings = {issue.row: str(issue) for issue in report.warnings}
    assert warnings[2] == (
        "row 2, column website: 'http//:www.example.at' was repaired to 'http://www.example.at'"
    )
    assert (
        "'http://htttp.//www.example.cz/' was repaired to 'http://www.example.cz/'" in (warnings[7])
    )
    assert "'www.uzleuven.be; www.kuleuven.be' holds more than one address; the website was " \
        "left empty" in warnings[8]  # fmt: skip
    assert "'+32 2 555 31 11' looks like a phone number" in warnings[9]
    assert "'in constructie' is not a web address; the website was left empty" in warnings[10]
    assert "row 11 gives this hospital another website" in warnings[12]
    assert "'not a phone' is not a phone number" in warnings[14]

    websites = dict(Hospital.objects.values_list("name", "website"))
    assert websites["AKH Wien"] == "http://www.example.at"
    assert websites["Ευαγγελισμός"] == "http://www.example.gr/"
    assert websites["FN Motol"] == "https://www.example.cz"
    assert websites["Spitalul Colentina"] == "https://www.example.ro"
    assert websites["UZ Leuven"] == websites["Erasme"] == websites["Spitalul Nou"] == ""
    assert websites["Karolinska"] == "https://karolinska.se"  # the first one stays
    phones = dict(Clinician.objects.values_list("email", "phone"))
    assert phones == {"jm@charite.de": "+493045050", "es@charite.de": ""}


@pytest.mark.django_db
def test_warnings_alone_never_block_the_default_all_or_nothing_import(tmp_path):
    path = write_csv(tmp_path, MESSY[:13])  # every kind of warning, no error
    report = run_import(path)
    assert report.ok and report.written and len(report.warnings) == 11
    assert Hospital.objects.count() == 11
    # The same file again: the repaired values are what is stored, so nothing changes.
    again = run_import(path)
    assert again.hospitals == {"unchanged": 11} and again.clinicians == {"unchanged": 2}


@pytest.mark.django_db
def test_one_error_still_means_nothing_is_written_by_default(tmp_path):
    report = run_import(write_csv(tmp_path, [*MESSY[:3], MESSY[15]]))
    assert not report.written and issues(report.errors) == {(5, "country")}
    assert not Hospital.objects.exists()


@pytest.mark.django_db
def test_a_valid_phone_is_stored_in_e164_and_compared_so(tmp_path):
    charite = hospital("Charité", website="https://charite.de")
    clinician("jm@charite.de", at=charite, phone="+493045050")
    rows = [row("DE", "Charité", "Berlin", first="Ada", last="Lovelace", email="jm@charite.de",
                phone="+49 (30) 450 50")]  # fmt: skip
    report = plan_import(write_csv(tmp_path, rows))
    assert report.clinicians == {"unchanged": 1} and not report.warnings


@pytest.mark.django_db
def test_a_third_contact_person_is_still_an_error(tmp_path):
    rows = [
        row("BE", "UZ Leuven", "Leuven", first=f"P{n}", last="P", email=f"p{n}@uz.be",
            role="contact person")
        for n in range(3)
    ]  # fmt: skip
    report = plan_import(write_csv(tmp_path, rows))
    assert issues(report.errors) == {(4, "role")}


@pytest.mark.django_db
def test_the_command_prints_each_warning_and_still_imports(tmp_path):
    out = io.StringIO()
    call_command("import_directory", str(write_csv(tmp_path, MESSY[:13])), stdout=out)
    output = out.getvalue()
    assert "warning: row 6, column website: 'w.w.w. example.ro' was repaired to " in output
    assert "warning: row 14, column phone: 'not a phone'" in output
    assert "11 warnings" in output and "Imported." in output

    with pytest.raises(CommandError, match="1 row with errors"):
        call_command("import_directory", str(write_csv(tmp_path, MESSY[13:14], name="b.csv")),
                     "--dry-run", stdout=io.StringIO())  # fmt: skip


# The contact-person rule, when the directory changes between planning and writing ---------------


@pytest.mark.django_db
def test_a_contact_place_taken_while_the_file_was_checked_stops_the_write(tmp_path):
    leuven = hospital("UZ Leuven", city="Leuven", code="BE")
    clinician("a@uz.be", at=leuven, role="contact")
    rows = [row("BE", "UZ Leuven", "Leuven", first="C", last="C", email="c@uz.be",
                role="contact person")]  # fmt: skip

    def someone_enrols_meanwhile(done, total):
        if done == total:  # every row checked; the write is next
            clinician("b@uz.be", at=leuven, role="contact")

    with pytest.raises(DirectoryImportError, match="someone else named a contact person of UZ"):
        run_import(write_csv(tmp_path, rows), progress=someone_enrols_meanwhile)
    assert not Clinician.objects.filter(email="c@uz.be").exists()

    # Control: the same file, with nobody enrolling meanwhile, is written.
    Clinician.objects.filter(email="b@uz.be").delete()
    assert run_import(write_csv(tmp_path, rows)).written


@pytest.mark.django_db
def test_progress_is_reported_while_rows_are_checked(tmp_path, monkeypatch):
    from directory.services import import_matching

    monkeypatch.setattr(import_matching, "PROGRESS_EVERY", 5)
    calls = []
    rows = [row("DE", f"Klinik {n}", "Berlin") for n in range(12)]
    run_import(write_csv(tmp_path, rows), progress=lambda done, total: calls.append((done, total)))
    assert calls == [(5, 12), (10, 12), (12, 12)]
