"""The directory in the Wagtail admin: scoping per country, formula-safe export with an audit-log
entry, approve and suspend, the contact-person limit, and a fixed number of queries per listing."""

import csv
import io

import openpyxl
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from wagtail.models import ModelLogEntry

from directory.models import Clinician, Country, Hospital
from directory.services import access
from directory.services.approval import approve_clinician, suspend_clinician
from directory.services.exports import EXPORT_ACTION, formula_safe
from directory.views_admin import HospitalViewSet

HOSPITALS = "wagtailsnippets_directory_hospital"
CLINICIANS = "wagtailsnippets_directory_clinician"
HOSPITAL_CHOOSER = "wagtailsnippetchoosers_directory_hospital"
BELGIUM_NCP = "National contact point – Belgium"


@pytest.fixture
def belgium(db):
    return Country.objects.get(code="BE")


@pytest.fixture
def france(db):
    return Country.objects.get(code="FR")


@pytest.fixture
def brussels(belgium):
    return Hospital.objects.create(name="Hôpital Erasme", city="Brussels", country=belgium)


@pytest.fixture
def paris(france):
    return Hospital.objects.create(name="Hôpital Necker", city="Paris", country=france)


def make_clinician(hospital, email, **fields):
    fields.setdefault("first_name", "Ann")
    fields.setdefault("last_name", email.split("@")[0].title())
    return Clinician.objects.create(hospital=hospital, email=email, **fields)


@pytest.fixture
def helpdesk(make_staff):
    return make_staff("helpdesk", "Helpdesk")


@pytest.fixture
def belgian_ncp(make_staff):
    return make_staff("ncp-be", BELGIUM_NCP)


def hospital_form(hospital=None, **changes):
    data = {
        "name": hospital.name if hospital else "",
        "city": hospital.city if hospital else "",
        "country": hospital.country_id if hospital else "",
        "website": "",
        "ern_memberships": "",
        "taking_part": "on",
        "last_verified": "",
        "staff_notes": "",
    }
    data.update(changes)
    return data


def clinician_form(clinician=None, **changes):
    data = {
        "first_name": clinician.first_name if clinician else "",
        "last_name": clinician.last_name if clinician else "",
        "email": clinician.email if clinician else "",
        "phone": "",
        "specialty": "",
        "role": clinician.role if clinician else Clinician.Role.OTHER,
        "languages": "",
        "hospital": (clinician.hospital_id or "") if clinician else "",
        "status": clinician.status if clinician else Clinician.Status.APPROVED,
        "privacy_version": "",
        "consented_at": "",
        "time_zone": "",
        "last_verified": "",
        "source": Clinician.Source.HELPDESK,
        "user": "",
    }
    data.update(changes)
    return data


def read_csv(response):
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


# --- groups and scope -------------------------------------------------------------------------


@pytest.mark.django_db
def test_every_country_has_a_national_contact_point_group_with_directory_rights(belgium):
    groups = {group.name: group for group in access.Group.objects.all()}
    for country in Country.objects.all():
        assert access.national_contact_point_group_name(country) in groups
    codenames = set(groups[BELGIUM_NCP].permissions.values_list("codename", flat=True))
    assert {"add_hospital", "change_hospital", "view_clinician", "access_admin"} <= codenames
    assert "delete_hospital" not in codenames
    helpdesk_codenames = set(groups["Helpdesk"].permissions.values_list("codename", flat=True))
    assert {"delete_clinician", "change_hospital", "view_hospital"} <= helpdesk_codenames


@pytest.mark.django_db
def test_countries_for_user(belgium, helpdesk, belgian_ncp, make_staff):
    assert access.countries_for_user(helpdesk) is None
    assert access.countries_for_user(make_staff("root", superuser=True)) is None
    assert access.countries_for_user(belgian_ncp) == {belgium.pk}
    assert access.countries_for_user(make_staff("eve", "Editors")) == frozenset()


@pytest.mark.django_db
def test_national_contact_point_lists_and_searches_only_their_country(
    client, belgian_ncp, brussels, paris
):
    make_clinician(brussels, "be@example.eu", specialty="Neurology")
    make_clinician(paris, "fr@example.eu", specialty="Neurology")
    client.force_login(belgian_ncp)

    response = client.get(reverse(f"{HOSPITALS}:list"))
    assert response.status_code == 200
    assert list(response.context["object_list"]) == [brussels]

    response = client.get(reverse(f"{HOSPITALS}:list"), {"q": "Hôpital"})
    assert list(response.context["object_list"]) == [brussels]
    response = client.get(reverse(f"{HOSPITALS}:list"), {"q": "Paris"})
    assert list(response.context["object_list"]) == []
    # Filtering on the other country does not reach it either.
    response = client.get(reverse(f"{HOSPITALS}:list"), {"country": paris.country_id})
    assert list(response.context["object_list"]) == []

    response = client.get(reverse(f"{CLINICIANS}:list"), {"q": "Neurology"})
    assert [c.email for c in response.context["object_list"]] == ["be@example.eu"]


@pytest.mark.django_db
def test_helpdesk_lists_every_country(client, helpdesk, brussels, paris):
    client.force_login(helpdesk)
    response = client.get(reverse(f"{HOSPITALS}:list"))
    assert set(response.context["object_list"]) == {brussels, paris}
    response = client.get(reverse(f"{HOSPITALS}:list"), {"q": "Paris"})
    assert list(response.context["object_list"]) == [paris]


@pytest.mark.django_db
@pytest.mark.parametrize("view", ["edit", "copy", "delete", "history", "usage"])
def test_national_contact_point_cannot_open_another_countrys_rows(
    client, belgian_ncp, brussels, paris, view
):
    french = make_clinician(paris, "fr@example.eu")
    belgian = make_clinician(brussels, "be@example.eu")
    client.force_login(belgian_ncp)
    assert client.get(reverse(f"{HOSPITALS}:{view}", args=[paris.pk])).status_code == 404
    assert client.get(reverse(f"{CLINICIANS}:{view}", args=[french.pk])).status_code == 404
    # Control: the same view on their own country's rows answers; delete is a right they lack, and
    # Wagtail answers that with a redirect to the dashboard rather than a 404.
    expected = 302 if view == "delete" else 200
    assert client.get(reverse(f"{HOSPITALS}:{view}", args=[brussels.pk])).status_code == expected
    assert client.get(reverse(f"{CLINICIANS}:{view}", args=[belgian.pk])).status_code == expected


@pytest.mark.django_db
def test_national_contact_point_cannot_change_another_countrys_hospital(
    client, belgian_ncp, brussels, paris
):
    client.force_login(belgian_ncp)
    response = client.post(
        reverse(f"{HOSPITALS}:edit", args=[paris.pk]), hospital_form(paris, name="Renamed")
    )
    assert response.status_code == 404
    paris.refresh_from_db()
    assert paris.name == "Hôpital Necker"

    # Nor move their own hospital to another country, nor create one there.
    response = client.post(
        reverse(f"{HOSPITALS}:edit", args=[brussels.pk]),
        hospital_form(brussels, country=paris.country_id),
    )
    assert response.status_code == 200
    assert "country" in response.context["form"].errors
    brussels.refresh_from_db()
    assert brussels.country.code == "BE"
    response = client.post(
        reverse(f"{HOSPITALS}:add"),
        hospital_form(name="New", city="Lyon", country=paris.country_id),
    )
    assert response.status_code == 200
    assert not Hospital.objects.filter(name="New").exists()

    # Control: the same form within their country is accepted.
    response = client.post(
        reverse(f"{HOSPITALS}:edit", args=[brussels.pk]), hospital_form(brussels, city="Bruxelles")
    )
    assert response.status_code == 302
    brussels.refresh_from_db()
    assert brussels.city == "Bruxelles"


@pytest.mark.django_db
def test_national_contact_point_cannot_move_a_clinician_to_another_country(
    client, belgian_ncp, brussels, paris
):
    clinician = make_clinician(brussels, "be@example.eu")
    client.force_login(belgian_ncp)
    url = reverse(f"{CLINICIANS}:edit", args=[clinician.pk])
    response = client.post(url, clinician_form(clinician, hospital=paris.pk))
    assert response.status_code == 200
    assert "hospital" in response.context["form"].errors
    clinician.refresh_from_db()
    assert clinician.hospital == brussels
    field = response.context["form"].fields["hospital"]
    assert list(field.queryset) == [brussels]


@pytest.mark.django_db
def test_chooser_offers_only_own_country(client, belgian_ncp, brussels, paris):
    client.force_login(belgian_ncp)
    response = client.get(reverse(f"{HOSPITAL_CHOOSER}:choose_results"))
    assert response.status_code == 200
    assert list(response.context["results"]) == [brussels]
    response = client.get(reverse(f"{HOSPITAL_CHOOSER}:choose_results"), {"q": "Necker"})
    assert list(response.context["results"]) == []
    assert client.get(reverse(f"{HOSPITAL_CHOOSER}:chosen", args=[paris.pk])).status_code == 404
    assert client.get(reverse(f"{HOSPITAL_CHOOSER}:chosen", args=[brussels.pk])).status_code == 200
    response = client.get(
        reverse(f"{HOSPITAL_CHOOSER}:chosen_multiple"), {"id": [paris.pk, brussels.pk]}
    )
    assert [item["id"] for item in response.json()["result"]] == [str(brussels.pk)]


# --- export -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    ["=1+1", "+SUM(A1)", "-2+3", "@SUM(A1)", "\t=1", "\r=1", '=HYPERLINK("http://x","y")'],
)
def test_formula_safe_escapes_formula_starts(value):
    assert value[0] in "=+-@\t\r"  # the unescaped value would be read as a formula
    assert formula_safe(value) == "'" + value
    assert formula_safe(value, phone=True) == "'" + value


@pytest.mark.parametrize("phone", ["+32 2 555 01 01", "+33 (0)1 44 49 40 00", "-"])
def test_formula_safe_keeps_phone_numbers_in_phone_fields(phone):
    if phone == "-":  # not a phone number: escaped even in a phone field
        assert formula_safe(phone, phone=True) == "'-"
        return
    assert formula_safe(phone, phone=True) == phone
    assert formula_safe(phone) == "'" + phone  # elsewhere the same text is escaped


def test_formula_safe_leaves_plain_values():
    assert formula_safe("Neurology") == "Neurology"
    assert formula_safe("") == ""
    assert formula_safe(12) == 12
    assert formula_safe(None) is None


@pytest.mark.django_db
def test_csv_export_is_formula_safe_and_logged(client, helpdesk, brussels, paris):
    make_clinician(
        brussels,
        "evil@example.eu",
        first_name='=HYPERLINK("http://evil","x")',
        phone="+32 2 555 01 01",
        specialty="@SUM(A1)",
        status=Clinician.Status.APPROVED,
    )
    make_clinician(paris, "fr@example.eu", status=Clinician.Status.AWAITING)
    client.force_login(helpdesk)

    response = client.get(reverse(f"{CLINICIANS}:list"), {"status": "approved", "export": "csv"})
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="clinicians.csv"'
    rows = read_csv(response)
    assert len(rows) == 1
    row = rows[0]
    assert row["first_name"] == '\'=HYPERLINK("http://evil","x")'
    assert row["specialty"] == "'@SUM(A1)"
    assert row["phone"] == "+32 2 555 01 01"
    assert row["country"] == "BE"

    entry = ModelLogEntry.objects.get(action=EXPORT_ACTION)
    assert entry.user == helpdesk
    assert entry.timestamp is not None
    assert entry.data == {
        "model": "directory.Clinician",
        "format": "csv",
        "filters": {"status": ["approved"]},
        "rows": 1,
    }


@pytest.mark.django_db
def test_xlsx_export_keeps_every_string_as_text(client, helpdesk, brussels):
    make_clinician(brussels, "evil@example.eu", first_name="=1+1", phone="+32 2 555 01 01")
    client.force_login(helpdesk)
    response = client.get(reverse(f"{CLINICIANS}:list"), {"export": "xlsx"})
    assert response.status_code == 200
    workbook = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    sheet = workbook.active
    headings = [cell.value for cell in sheet[1]]
    row = dict(zip(headings, sheet[2], strict=True))
    assert row["first_name"].value == "=1+1"
    assert row["first_name"].data_type == "s"  # text, not a formula
    assert row["phone"].value == "+32 2 555 01 01"
    assert row["phone"].data_type == "s"
    entry = ModelLogEntry.objects.get(action=EXPORT_ACTION)
    assert entry.data["format"] == "xlsx"
    assert entry.data["rows"] == 1


@pytest.mark.django_db
def test_national_contact_point_exports_only_their_country(client, belgian_ncp, brussels, paris):
    client.force_login(belgian_ncp)
    response = client.get(reverse(f"{HOSPITALS}:list"), {"export": "csv"})
    rows = read_csv(response)
    assert [row["hospital"] for row in rows] == ["Hôpital Erasme"]
    # Asking for the other country by filter gives nothing either.
    response = client.get(
        reverse(f"{HOSPITALS}:list"), {"export": "csv", "country": paris.country_id}
    )
    assert read_csv(response) == []
    entries = ModelLogEntry.objects.filter(action=EXPORT_ACTION).order_by("timestamp", "pk")
    assert [(e.user, e.data["rows"]) for e in entries] == [(belgian_ncp, 1), (belgian_ncp, 0)]
    assert entries[1].data["filters"] == {"country": [str(paris.country_id)]}


# --- approve and suspend ----------------------------------------------------------------------


@pytest.mark.django_db
def test_approve_and_suspend_services_log_who_did_it(brussels, helpdesk):
    clinician = make_clinician(brussels, "be@example.eu", status=Clinician.Status.AWAITING)
    assert approve_clinician(clinician, helpdesk) is True
    assert approve_clinician(clinician, helpdesk) is False  # no second entry
    assert suspend_clinician(clinician, helpdesk) is True
    clinician.refresh_from_db()
    assert clinician.status == Clinician.Status.SUSPENDED
    entries = ModelLogEntry.objects.filter(object_id=str(clinician.pk)).order_by("pk")
    assert [(e.action, e.user) for e in entries] == [
        ("cmss.clinician_approve", helpdesk),
        ("cmss.clinician_suspend", helpdesk),
    ]


@pytest.mark.django_db
def test_admin_approve_and_suspend_are_scoped_to_own_country(client, belgian_ncp, brussels, paris):
    belgian = make_clinician(brussels, "be@example.eu", status=Clinician.Status.AWAITING)
    french = make_clinician(paris, "fr@example.eu", status=Clinician.Status.AWAITING)
    client.force_login(belgian_ncp)

    listing = client.get(reverse(f"{CLINICIANS}:list"))
    approve_url = reverse(f"{CLINICIANS}:approve", args=[belgian.pk])
    assert approve_url in listing.content.decode()

    assert client.get(approve_url).status_code == 200  # asks first, changes nothing
    response = client.post(reverse(f"{CLINICIANS}:approve", args=[french.pk]))
    assert response.status_code == 404
    french.refresh_from_db()
    assert french.status == Clinician.Status.AWAITING

    response = client.post(approve_url)
    assert response.status_code == 302
    belgian.refresh_from_db()
    assert belgian.status == Clinician.Status.APPROVED
    assert ModelLogEntry.objects.get(action="cmss.clinician_approve").user == belgian_ncp

    response = client.post(reverse(f"{CLINICIANS}:suspend", args=[belgian.pk]))
    assert response.status_code == 302
    belgian.refresh_from_db()
    assert belgian.status == Clinician.Status.SUSPENDED


@pytest.mark.django_db
def test_approve_needs_the_change_right(client, helpdesk, brussels):
    clinician = make_clinician(brussels, "be@example.eu", status=Clinician.Status.AWAITING)
    helpdesk_group = access.Group.objects.get(name="Helpdesk")
    helpdesk_group.permissions.remove(helpdesk_group.permissions.get(codename="change_clinician"))
    client.force_login(helpdesk)
    url = reverse(f"{CLINICIANS}:approve", args=[clinician.pk])
    response = client.post(url)
    assert response.status_code == 302
    assert response.url == reverse("wagtailadmin_home")  # Wagtail's answer to a missing right
    clinician.refresh_from_db()
    assert clinician.status == Clinician.Status.AWAITING
    assert url not in client.get(reverse(f"{CLINICIANS}:list")).content.decode()


# --- contact persons --------------------------------------------------------------------------


@pytest.mark.django_db
def test_admin_refuses_a_third_contact_person(client, helpdesk, brussels):
    for number in (1, 2):
        make_clinician(brussels, f"contact{number}@example.eu", role=Clinician.Role.CONTACT_PERSON)
    client.force_login(helpdesk)
    response = client.post(
        reverse(f"{CLINICIANS}:add"),
        clinician_form(
            first_name="Third",
            last_name="Person",
            email="third@example.eu",
            role=Clinician.Role.CONTACT_PERSON,
            hospital=brussels.pk,
        ),
    )
    assert response.status_code == 200
    errors = response.context["form"].errors["role"]
    assert any("at most two" in error for error in errors)
    assert not Clinician.objects.filter(email="third@example.eu").exists()

    # Control: the same person as a case manager is saved.
    response = client.post(
        reverse(f"{CLINICIANS}:add"),
        clinician_form(
            first_name="Third",
            last_name="Person",
            email="third@example.eu",
            role=Clinician.Role.CASE_MANAGER,
            hospital=brussels.pk,
        ),
    )
    assert response.status_code == 302
    assert Clinician.objects.filter(email="third@example.eu").exists()


# --- menu and query counts --------------------------------------------------------------------


@pytest.mark.django_db
def test_directory_menu_holds_hospitals_and_clinicians(client, helpdesk):
    client.force_login(helpdesk)
    html = client.get(reverse("wagtailadmin_home")).content.decode()
    assert "Directory" in html
    assert reverse(f"{HOSPITALS}:list") in html
    assert reverse(f"{CLINICIANS}:list") in html


def add_hospitals(start, count, countries):
    for number in range(start, start + count):
        country = countries[number % len(countries)]
        hospital = Hospital.objects.create(
            name=f"Hospital {number:03}", city=f"City {number}", country=country
        )
        make_clinician(hospital, f"person{number}@example.eu", status=Clinician.Status.AWAITING)


def listing_queries(client, url):
    client.get(url)  # warm Wagtail's per-process caches
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured.captured_queries)


@pytest.mark.django_db
@pytest.mark.parametrize("listing", [HOSPITALS, CLINICIANS])
@pytest.mark.parametrize("user", ["helpdesk", "belgian_ncp"])
def test_admin_listing_queries_do_not_grow_with_rows(client, request, listing, user):
    client.force_login(request.getfixturevalue(user))
    countries = list(Country.objects.filter(code__in=["BE", "FR"]))
    url = reverse(f"{listing}:list") + "?per_page=200"  # all rows on one page
    add_hospitals(0, 10, countries)
    few = listing_queries(client, url)
    add_hospitals(10, 190, countries)
    many = listing_queries(client, url)
    assert many == few, f"{listing}: {few} queries with 10 hospitals, {many} with 200"


@pytest.mark.django_db
def test_the_count_check_sees_a_query_per_row(client, helpdesk, monkeypatch):
    """Control: without select_related the same measurement grows with the rows."""
    monkeypatch.setattr(HospitalViewSet, "related", ())
    client.force_login(helpdesk)
    countries = list(Country.objects.filter(code__in=["BE", "FR", "DE"]))
    url = reverse(f"{HOSPITALS}:list")
    add_hospitals(0, 2, countries)
    few = listing_queries(client, url)
    add_hospitals(2, 10, countries)
    many = listing_queries(client, url)
    assert many > few


@pytest.mark.django_db
def test_approval_sends_one_welcome_email_after_commit(
    brussels, helpdesk, mailoutbox, django_capture_on_commit_callbacks
):
    clinician = make_clinician(brussels, "welcome@example.eu", status=Clinician.Status.AWAITING)
    with django_capture_on_commit_callbacks(execute=True):
        approve_clinician(clinician, helpdesk)
    with django_capture_on_commit_callbacks(execute=True):
        approve_clinician(clinician, helpdesk)  # already approved: no second welcome
    welcomes = [m for m in mailoutbox if "welcome@example.eu" in m.to]
    assert len(welcomes) == 1
    assert "/information-package/" in welcomes[0].body


@pytest.mark.django_db
def test_a_rolled_back_approval_sends_no_welcome(brussels, helpdesk, mailoutbox):
    from django.db import transaction

    clinician = make_clinician(brussels, "rollback@example.eu", status=Clinician.Status.AWAITING)
    with pytest.raises(RuntimeError), transaction.atomic():
        approve_clinician(clinician, helpdesk)
        raise RuntimeError("something later failed")
    clinician.refresh_from_db()
    assert clinician.status == Clinician.Status.AWAITING
    assert not [m for m in mailoutbox if "rollback@example.eu" in m.to]
