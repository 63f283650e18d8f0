"""Control characters, NUL and any other Unicode from people (issue 8, point 7).

cms/text.py's clean_text is applied where text comes in: the public forms (enrolment, sign-in, a
clinician's own record) through CleanTextFormMixin, every cell of an import, and the exports as a
last defence. Generated text (hypothesis) is posted to each form and fed to the import: no answer
is a 5xx and nothing is half-written. Then the two faults the issue found, reproduced.
"""

import io
import itertools

import openpyxl
import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cms.text import clean_text, has_control_characters
from directory.models import Clinician, Country, Hospital
from directory.services import exports
from directory.services.imports import DirectoryImportError, plan_import, run_import

from .test_directory_pages import make_clinician, make_hospital
from .test_enrolment import form_data

# Deterministic in CI, and no .hypothesis folder in the repository.
settings.register_profile(
    "cmss",
    max_examples=30,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
settings.load_profile("cmss")

CONTROL = st.sampled_from(["\x00", "\x0b", "\x1b", "\x7f", "\x85", "\x9f", "\r", "\t", "\ufffe"])
# Any Unicode HTTP can carry (a lone surrogate cannot be encoded as UTF-8), control characters
# made frequent.
ANY_TEXT = st.text(
    alphabet=st.one_of(st.characters(blacklist_categories=("Cs",)), CONTROL), max_size=40
)
counter = itertools.count()


# clean_text -----------------------------------------------------------------------------------


def test_clean_text_keeps_letters_and_drops_controls():
    assert clean_text("Zoë Łukasz Παπα 李 😀\u200d") == "Zoë Łukasz Παπα 李 😀\u200d"
    assert clean_text("A\x00n\x0bna\x1b\x7f\x9f") == "An na"
    assert clean_text("Anna\tMaria\r\nB") == "Anna Maria B"
    assert clean_text("a\r\nb\rc\x0bd\te", multiline=True) == "a\nb\nc\nd\te"
    assert clean_text("x\ud800y\uffff") == "xy"
    assert clean_text(None) is None and clean_text(3) == 3
    assert has_control_characters("\x0b") and not has_control_characters("a\tb\r\n")


@given(ANY_TEXT | st.text())
def test_clean_text_leaves_nothing_a_database_or_xlsx_refuses(text):
    cleaned = clean_text(text)
    assert not has_control_characters(cleaned)
    assert "\n" not in cleaned and "\t" not in cleaned
    cleaned.encode("utf-8")  # no lone surrogate
    openpyxl.Workbook().active["A1"] = cleaned  # no IllegalCharacterError
    assert clean_text(cleaned) == cleaned


# The public forms ---------------------------------------------------------------------------


@pytest.fixture
def hospital(db):
    return Hospital.objects.create(
        name="Charité", city="Berlin", country=Country.objects.get(code="DE")
    )


@pytest.mark.django_db
@given(first=ANY_TEXT, last=ANY_TEXT, specialty=ANY_TEXT, other=ANY_TEXT)
def test_enrolment_takes_any_text_without_5xx_or_half_a_record(
    client, privacy_page, hospital, first, last, specialty, other
):
    cache.clear()  # the enrolment's rate limit per address
    email = f"person{next(counter)}@charite.example.eu"
    data = form_data(
        hospital,
        email=email,
        first_name=first,
        last_name=last,
        specialty=specialty,
        languages=other,
        phone=other,
        hospital_query=other,
    )
    response = client.post("/enrol/", data)
    assert response.status_code < 500
    saved = list(Clinician.objects.filter(email=email))
    if response.status_code == 302:
        (clinician,) = saved
        assert clinician.first_name == clean_text(first).strip()
        assert clinician.last_name == clean_text(last).strip()
        assert clinician.hospital_id == hospital.pk
        assert not any(
            has_control_characters(value)
            for value in (clinician.first_name, clinician.last_name, clinician.specialty)
        )
    else:
        assert saved == []


@pytest.mark.django_db
@given(login=ANY_TEXT)
def test_sign_in_takes_any_text_without_5xx(client, login):
    cache.clear()
    assert client.post("/accounts/login/", {"login": login}).status_code < 500
    assert client.post("/accounts/login/code/", {"email": login}).status_code < 500


@pytest.fixture
def member(db, django_user_model):
    hospital = make_hospital("Rigshospitalet", "København", "DK")
    user = django_user_model.objects.create_user("mette", "mette.hansen@example.eu")
    return make_clinician("Mette", "Hansen", hospital, email="mette.hansen@example.eu", user=user)


@pytest.mark.django_db
@given(first=ANY_TEXT, last=ANY_TEXT, specialty=ANY_TEXT, languages=ANY_TEXT)
def test_own_record_takes_any_text_without_5xx_or_half_a_change(
    client, member, first, last, specialty, languages
):
    client.force_login(member.user)
    before = Clinician.objects.get(pk=member.pk)
    data = {
        "first_name": first,
        "last_name": last,
        "phone": "",
        "specialty": specialty,
        "languages": languages,
        "time_zone": "",
    }
    response = client.post("/account/", data)
    assert response.status_code < 500
    after = Clinician.objects.get(pk=member.pk)
    if response.status_code == 302:
        assert after.first_name == clean_text(first).strip()
        assert after.specialty == clean_text(specialty).strip()
    else:
        assert (after.first_name, after.last_name, after.specialty) == (
            before.first_name,
            before.last_name,
            before.specialty,
        )


@pytest.mark.django_db
def test_a_lone_surrogate_sent_as_bytes_is_no_5xx(client, privacy_page, hospital):
    """What a client that sends invalid UTF-8 gets: a form error or a record, never a 5xx."""
    body = "&".join(
        f"{key}={value}"
        for key, value in form_data(hospital, email="bytes@charite.example.eu").items()
        if key != "first_name"
    )
    response = client.generic(
        "POST",
        "/enrol/",
        (body + "&first_name=Lena%ED%A0%80%00%0B").encode(),
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code < 500
    for clinician in Clinician.objects.filter(email="bytes@charite.example.eu"):
        assert not has_control_characters(clinician.first_name)


# The import ------------------------------------------------------------------------------------

HEADER = ["country", "hospital", "city", "first_name", "last_name", "email"]


def csv_bytes(rows):
    import csv

    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(HEADER)
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")


@pytest.mark.django_db
@given(cells=st.lists(st.tuples(ANY_TEXT, ANY_TEXT, ANY_TEXT), min_size=1, max_size=4))
def test_the_import_takes_any_text_and_writes_all_or_nothing(cells):
    Clinician.objects.all().delete()
    Hospital.objects.all().delete()
    rows = [
        ["DE", f"Klinik {hospital}", city, first, "Muster", f"p{n}@example.eu"]
        for n, (hospital, city, first) in enumerate(cells)
    ]
    try:
        report = run_import(io.BytesIO(csv_bytes(rows)), filename="generated.csv")
    except DirectoryImportError:
        assert Hospital.objects.count() == Clinician.objects.count() == 0
        return
    if report.written:
        assert Clinician.objects.count() == len(rows)
        for clinician in Clinician.objects.all():
            assert not has_control_characters(clinician.first_name)
            assert not has_control_characters(clinician.hospital.name)
    else:
        assert report.errors
        assert Hospital.objects.count() == Clinician.objects.count() == 0


# The faults the issue found -----------------------------------------------------------------


@pytest.mark.django_db
def test_a_nul_byte_in_a_csv_is_an_error_by_row_and_column_and_nothing_is_written(tmp_path):
    path = tmp_path / "nul.csv"
    path.write_bytes(
        csv_bytes([["DE", "Charité", "Berlin", "Lena", "Vo\x00gel", "lena@example.eu"]])
    )
    report = plan_import(path)
    assert [(e.row, e.column) for e in report.errors] == [(2, "last_name")]
    assert "NUL character" in str(report.errors[0])
    assert 'save it as "CSV UTF-8"' in str(report.errors[0])
    report = run_import(path)
    assert not report.written
    assert Clinician.objects.count() == 0 and Hospital.objects.count() == 0
    # Other control characters are removed, with a warning that says so.
    path.write_bytes(
        csv_bytes([["DE", "Charité", "Berlin", "Lena", "Vo\x0bgel\x1b", "lena@example.eu"]])
    )
    report = run_import(path)
    assert report.written and Clinician.objects.get().last_name == "Vo gel"
    assert [(w.row, w.column) for w in report.warnings] == [(2, "last_name")]


@pytest.mark.django_db
def test_the_upload_previews_a_nul_byte_as_an_error(client, make_staff, settings, tmp_path):
    settings.DIRECTORY_IMPORT_DIR = tmp_path / "imports"
    client.force_login(make_staff("hd", "Helpdesk"))
    content = csv_bytes([["DE", "Charité", "Berlin", "Lena", "Vo\x00gel", "lena@example.eu"]])
    response = client.post(
        reverse("directory_import"),
        {"file": SimpleUploadedFile("list.csv", content, content_type="text/csv")},
        follow=True,
    )
    assert response.status_code == 200
    text = response.content.decode()
    assert "<td>2</td><td>last_name</td><td>holds a NUL character" in text
    assert Clinician.objects.count() == 0 and Hospital.objects.count() == 0


@pytest.mark.django_db
def test_an_enrolment_with_a_vertical_tab_leaves_the_xlsx_export_working(
    client, privacy_page, hospital, make_staff
):
    response = client.post(
        "/enrol/", form_data(hospital, first_name="Le\x0bna", last_name="Vo\x00gel\x1b")
    )
    assert response.status_code == 302
    assert Clinician.objects.get().first_name == "Le na"
    client.force_login(make_staff("admin", superuser=True))
    export = client.get("/admin/snippets/directory/clinician/?export=xlsx")
    assert export.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(b"".join(export.streaming_content)))
    assert "Le na" in [cell.value for cell in book.active[2]]


def test_export_cells_are_cleaned_for_both_formats():
    assert exports.spreadsheet_safe("Le\x0bna", "xlsx") == "Le\nna"
    assert exports.spreadsheet_safe("=1+1\x00", "csv") == "'=1+1"
    assert exports.formula_safe("\x1b=cmd") == "'=cmd"
    assert exports.formula_safe("+32 2 555\x00", phone=True) == "+32 2 555"
    assert exports.spreadsheet_safe(3, "xlsx") == 3


@pytest.mark.django_db
def test_a_control_character_stored_before_the_fix_leaves_the_xlsx_export_working(
    client, make_staff
):
    hospital = make_hospital("Charité", "Berlin", "DE")
    make_clinician("Le\x0bna", "Vogel", hospital, email="lena@example.eu")
    client.force_login(make_staff("admin", superuser=True))
    export = client.get("/admin/snippets/directory/clinician/?export=xlsx")
    assert export.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(b"".join(export.streaming_content)))
    assert "Le\nna" in [cell.value for cell in book.active[2]]
