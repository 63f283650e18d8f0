"""/hospitals/ is public and holds no people; /directory/ shows contact details to approved members only."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from directory.models import Clinician, Country, Hospital
from home.pagecache import invalidate_public_pages

from .test_pages import outline


def make_hospital(name, city="", code="BE", **fields):
    return Hospital.objects.create(
        name=name, city=city, country=Country.objects.get(code=code), **fields
    )


def make_clinician(first, last, hospital=None, status=Clinician.Status.APPROVED, **fields):
    fields.setdefault("email", f"{first}.{last}@example.eu".lower().replace(" ", ""))
    return Clinician.objects.create(
        first_name=first, last_name=last, hospital=hospital, status=status, **fields
    )


@pytest.fixture
def network(db):
    brussels = make_hospital(
        "Hôpital Érasme", "Brussels", "BE", website="https://erasme.example.eu"
    )
    athens = make_hospital("Ευαγγελισμός", "Αθήνα", "GR")
    lodz = make_hospital("Szpital im. Kopernika", "Łódź", "PL")
    make_hospital("Closed clinic", "Ghent", "BE", taking_part=False)
    people = {
        "anna": make_clinician(
            "Anna", "Kowalska", lodz, specialty="Pulmonology", phone="+48 42 555 01 01"
        ),
        "nikos": make_clinician("Νίκος", "ΠΑΠΑΔΌΠΟΥΛΟΣ", athens, specialty="Λοιμωξιολογία"),
        "jan": make_clinician("Jan", "Peeters", brussels, specialty="Intensive care"),
        "pending": make_clinician(
            "Petra", "Pending", brussels, status=Clinician.Status.AWAITING, specialty="Cardiology"
        ),
    }
    return people


@pytest.fixture
def approved_member(django_user_model, network):
    user = django_user_model.objects.create_user("member", "anna.kowalska@example.eu")
    network["anna"].user = user
    network["anna"].save()
    return user


# --- /hospitals/ ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_hospitals_page_lists_names_and_cities_and_no_people(client, network):
    response = client.get("/hospitals/")
    assert response.status_code == 200
    page = outline(response)
    text = " ".join(page.text)
    assert "Hôpital Érasme" in text and "Ευαγγελισμός" in text and "Łódź" in text
    assert "Closed clinic" not in text
    for person in network.values():
        assert person.email not in response.content.decode()
        assert person.last_name not in text


@pytest.mark.django_db
def test_hospitals_page_filters_by_country(client, network):
    text = " ".join(outline(client.get("/hospitals/?country=GR")).text)
    assert "Ευαγγελισμός" in text
    assert "Hôpital Érasme" not in text


# --- /directory/ access ----------------------------------------------------------------------


@pytest.mark.django_db
def test_anonymous_visitors_get_the_sign_in_page(client, network):
    response = client.get("/directory/?q=anna")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert b"Kowalska" not in response.content


@pytest.mark.django_db
@pytest.mark.parametrize("status", ["unconfirmed", "awaiting", "suspended"])
def test_clinicians_not_approved_never_see_the_data(client, django_user_model, network, status):
    user = django_user_model.objects.create_user("petra", "petra.pending@example.eu")
    network["pending"].user = user
    network["pending"].status = status
    network["pending"].save()
    client.force_login(user)
    response = client.get("/directory/")
    assert response.status_code == 403
    body = response.content.decode()
    assert "Kowalska" not in body
    assert network["anna"].email not in body


@pytest.mark.django_db
def test_signed_in_user_without_a_record_is_refused(client, django_user_model, network):
    client.force_login(django_user_model.objects.create_user("someone", "someone@example.eu"))
    assert client.get("/directory/").status_code == 403


@pytest.mark.django_db
def test_approved_clinician_sees_contact_details(client, approved_member, network):
    client.force_login(approved_member)
    response = client.get("/directory/")
    assert response.status_code == 200
    page = outline(response)
    assert f"mailto:{network['jan'].email}" in page.links
    assert "tel:+4842555010" + "1" in page.links
    # only approved people are listed
    assert "Pending" not in " ".join(page.text)


@pytest.mark.django_db
def test_staff_see_the_directory(client, make_staff, network):
    client.force_login(make_staff("hd", "Helpdesk"))
    assert client.get("/directory/").status_code == 200


# --- search ----------------------------------------------------------------------------------


def names_found(client, query):
    page = outline(client.get("/directory/", {"q": query}))
    return {
        text for text in page.text if text in {"Anna Kowalska", "Jan Peeters", "Νίκος ΠΑΠΑΔΌΠΟΥΛΟΣ"}
    }


@pytest.mark.django_db
@pytest.mark.parametrize(
    "query, expected",
    [
        ("kowalska", {"Anna Kowalska"}),
        ("anna kowal", {"Anna Kowalska"}),
        ("pulmo", {"Anna Kowalska"}),
        ("lodz", {"Anna Kowalska"}),  # city written Łódź
        ("erasme", {"Jan Peeters"}),  # hospital name, accent ignored
        ("brussels intensive", {"Jan Peeters"}),
        ("παπαδοπουλος", {"Νίκος ΠΑΠΑΔΌΠΟΥΛΟΣ"}),  # lower case, no accent, final sigma
        ("αθηνα", {"Νίκος ΠΑΠΑΔΌΠΟΥΛΟΣ"}),
        ("cardiology", set()),  # only the pending clinician has it
        ("nobody", set()),
    ],
)
def test_search_by_name_specialty_hospital_and_city(client, approved_member, query, expected):
    client.force_login(approved_member)
    assert names_found(client, query) == expected


@pytest.mark.django_db
def test_search_text_follows_a_hospital_rename(client, approved_member, network):
    hospital = network["jan"].hospital
    hospital.name = "Universitair Ziekenhuis"
    hospital.save()
    client.force_login(approved_member)
    assert names_found(client, "ziekenhuis") == {"Jan Peeters"}
    assert names_found(client, "erasme") == set()


# --- fixed query counts ----------------------------------------------------------------------


def grow(count):
    belgium = Country.objects.get(code="BE")
    start = Hospital.objects.count()
    for number in range(start, start + count):
        hospital = Hospital.objects.create(name=f"Hospital {number}", city="Liège", country=belgium)
        make_clinician(f"Person{number}", "Example", hospital, email=f"p{number}@example.eu")


def count_queries(client, path):
    client.get(path)
    invalidate_public_pages()  # the page itself is measured, not the page cache's answer
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path)
    assert response.status_code == 200
    return len(captured.captured_queries)


@pytest.mark.django_db
def test_hospitals_page_queries_do_not_grow(client, network):
    grow(10)
    few = count_queries(client, "/hospitals/")
    grow(190)
    assert count_queries(client, "/hospitals/") == few


@pytest.mark.django_db
def test_directory_queries_do_not_grow(client, approved_member):
    client.force_login(approved_member)
    grow(10)
    few = count_queries(client, "/directory/")
    grow(190)
    assert count_queries(client, "/directory/") == few
    assert count_queries(client, "/directory/?q=example&country=BE") == few
