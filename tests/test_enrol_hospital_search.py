"""Enrolment with a directory the size of Europe: the hospital is found by country, then by name
or city (two steps without JavaScript, a JSON endpoint for the combobox), /enrol/ stays small,
and /hospitals/ is searchable and cached for anonymous visitors until a hospital changes."""

import json

import pytest
from bs4 import BeautifulSoup

from directory.forms import RESULTS_LIMIT
from directory.models import Clinician, Country, Hospital, match_text
from directory.search import hospital_search_text
from directory.views import COMBOBOX_LIMIT

from .test_directory_pages import make_clinician, make_hospital


def page(response):
    return BeautifulSoup(response.content, "html.parser")


def radios(response):
    """(value, label, checked) of the hospital radio buttons, in page order."""
    soup = page(response)
    found = []
    for radio in soup.select('input[type=radio][name="hospital"]'):
        label = soup.find("label", attrs={"for": radio["id"]})
        found.append((radio["value"], label.get_text(strip=True), radio.has_attr("checked")))
    return found


def summary_links(response):
    return {
        a["href"]: a.get_text(" ", strip=True) for a in page(response).select(".error-summary a")
    }


def bulk_hospitals(count, code="BE", name="Hospital {n}", city="City {n}", **fields):
    """Many hospitals at once, with what Hospital.save() would have filled in."""
    country = Country.objects.get(code=code)
    made = []
    for n in range(count):
        hospital = Hospital(name=name.format(n=n), city=city.format(n=n), country=country, **fields)
        hospital.match_name = match_text(hospital.name)
        hospital.match_city = match_text(hospital.city)
        hospital.search_text = hospital_search_text(hospital, country)
        made.append(hospital)
    Hospital.objects.bulk_create(made, batch_size=1000)


@pytest.fixture
def belgium(home_page):
    # home_page: a site with its settings, as every real request has (a request that has to
    # create SiteSettings drops the page cache while it is served).
    return {
        "erasme": make_hospital("Hôpital Érasme", "Bruxelles", "BE"),
        "gasthuisberg": make_hospital("UZ Gasthuisberg", "Leuven", "BE"),
        "former": make_hospital("Hôpital Fermé", "Namur", "BE", taking_part=False),
        "paris": make_hospital("Hôpital Érasme de Paris", "Paris", "FR"),
    }


TYPED = {
    "first_name": "Sofie",
    "last_name": "Peeters",
    "email": "sofie.peeters@erasme.example.eu",
    "phone": "02 555 01 01",
    "specialty": "Haematology",
    "languages": "Dutch, English",
    "role": "case_manager",
    "consent": "on",
}


def find(client, country="BE", query="", **extra):
    return client.post(
        "/enrol/", {**TYPED, "country": country, "hospital_query": query, "find": "1", **extra}
    )


# --- Step 1 and step 2 without JavaScript


def test_first_step_asks_country_and_name_and_lists_no_hospital(client, privacy_page, belgium):
    response = client.get("/enrol/")
    soup = page(response)
    assert soup.find("select", id="id_country").find("option", value="BE")
    assert soup.find("input", id="id_hospital_query")
    find_button = soup.find("button", attrs={"name": "find"})
    assert find_button.get_text(strip=True) == "Find my hospital"
    assert find_button["formaction"] == "/enrol/#hospital-results"
    # No hospital is listed yet: only the proposal.
    assert radios(response) == [("propose", "My hospital is not in the list: I propose it", False)]
    assert "Érasme" not in response.content.decode()


def test_find_lists_matches_without_accents_or_case_and_keeps_what_was_typed(
    client, privacy_page, belgium
):
    response = find(client, query="  HOPITAL erasme ")

    assert response.status_code == 200
    assert not page(response).select(".error-summary")  # nothing judged yet
    assert radios(response) == [
        (str(belgium["erasme"].pk), "Hôpital Érasme, Bruxelles", False),
        ("propose", "My hospital is not in the list: I propose it", False),
    ]
    soup = page(response)
    for name in ("first_name", "last_name", "email", "phone", "specialty", "languages"):
        assert soup.find(id=f"id_{name}")["value"] == TYPED[name], name
    assert soup.find(id="id_hospital_query")["value"] == "  HOPITAL erasme "  # as typed
    assert soup.find(id="id_country").find("option", selected=True)["value"] == "BE"
    assert soup.find(id="id_role_1").has_attr("checked")  # case manager
    assert soup.find(id="id_consent").has_attr("checked")
    assert "1 hospital in Belgium matches “HOPITAL erasme”" in soup.find(
        id="id_hospital_helptext"
    ).get_text(" ", strip=True)


def test_find_by_city_and_in_the_chosen_country_only(client, privacy_page, belgium):
    by_city = [label for _, label, _ in radios(find(client, query="bruxelles"))]
    assert by_city == ["Hôpital Érasme, Bruxelles", "My hospital is not in the list: I propose it"]
    # The French namesake and the Belgian hospital that no longer takes part are not offered.
    everything = [label for _, label, _ in radios(find(client, query="hopital"))]
    assert everything == [
        "Hôpital Érasme, Bruxelles",
        "My hospital is not in the list: I propose it",
    ]


def test_find_shows_at_most_fifty_and_says_how_to_narrow(client, privacy_page, db):
    bulk_hospitals(120, code="DE", name="Klinikum {n}", city="Stadt {n}")
    response = find(client, country="DE", query="klinikum")
    assert len(radios(response)) == RESULTS_LIMIT + 1
    hint = page(response).find(id="id_hospital_helptext").get_text(" ", strip=True)
    assert f"The first {RESULTS_LIMIT} of 120 hospitals in Germany" in hint
    assert "Type more of the name or the city" in hint


def test_nothing_found_says_so_and_how_to_search_again(client, privacy_page, belgium):
    response = find(client, query="Nowhere General")
    hint = page(response).find(id="id_hospital_helptext")
    text = hint.get_text(" ", strip=True)
    assert "No hospital in Belgium matches “Nowhere General”" in text
    assert hint.find("a", href="#id_hospital_query").get_text() == "search again"
    assert "propose it below" in text
    assert radios(response) == [("propose", "My hospital is not in the list: I propose it", False)]


def test_find_without_a_country_asks_for_one(client, privacy_page, belgium):
    response = find(client, country="", query="erasme")
    assert (
        "Choose the country of your hospital first"
        in page(response).find(id="id_hospital_helptext").get_text()
    )


def test_hospital_names_are_escaped(client, privacy_page, db):
    make_hospital("<script>alert(1)</script> Clinic", "Gent", "BE")
    response = find(client, query="clinic")
    assert b"<script>alert(1)" not in response.content
    assert radios(response)[0][1] == "<script>alert(1)</script> Clinic, Gent"


def test_enrol_with_the_hospital_found(client, privacy_page, belgium):
    chosen = radios(find(client, query="erasme"))[0][0]
    response = client.post(
        "/enrol/", {**TYPED, "country": "BE", "hospital_query": "erasme", "hospital": chosen}
    )
    assert response.status_code == 302
    clinician = Clinician.objects.get(email=TYPED["email"])
    assert clinician.hospital == belgium["erasme"]
    assert clinician.phone == "+3225550101"  # national number read in Belgium, stored E.164


def test_a_link_can_open_the_second_step(client, privacy_page, belgium):
    response = client.get("/enrol/?country=BE&hospital_query=leuven")
    assert radios(response)[0][1] == "UZ Gasthuisberg, Leuven"


# --- The final POST is judged on the server


def post(client, **fields):
    return client.post("/enrol/", {**TYPED, **fields})


def test_no_country_is_an_error_on_the_country(client, privacy_page, belgium):
    response = post(client, hospital=str(belgium["erasme"].pk))
    assert summary_links(response) == {
        "#id_country": "Country of your hospital: Choose the country of your hospital."
    }


def test_no_search_yet_is_an_error_on_the_search_box(client, privacy_page, belgium):
    response = post(client, country="BE")
    assert list(summary_links(response)) == ["#id_hospital_query"]
    assert "press “Find my hospital”" in summary_links(response)["#id_hospital_query"]


def test_found_but_not_chosen_is_an_error_on_the_list(client, privacy_page, belgium):
    response = post(client, country="BE", hospital_query="erasme")
    links = summary_links(response)
    assert list(links) == ["#id_hospital"]
    assert links["#id_hospital"].startswith("Your hospital: Choose your hospital from the")
    soup = page(response)
    group = soup.find("fieldset", id="id_hospital")
    assert group["tabindex"] == "-1"
    assert "id_hospital_error" in group["aria-describedby"].split()
    assert radios(response)[0][1] == "Hôpital Érasme, Bruxelles"  # the list is shown again


@pytest.mark.parametrize(
    "which, country", [("paris", "BE"), ("former", "BE"), ("erasme", "FR"), (None, "BE")]
)
def test_a_hospital_outside_the_country_or_not_taking_part_is_refused(
    client, privacy_page, belgium, which, country
):
    value = str(belgium[which].pk) if which else "99999"
    response = post(client, country=country, hospital=value, phone="+32 2 555 01 01")
    assert response.status_code == 200
    links = summary_links(response)
    assert list(links) == ["#id_hospital"]
    assert (
        "Choose a hospital of" in links["#id_hospital"] and "search again" in links["#id_hospital"]
    )
    assert not Clinician.objects.exists()


def test_invalid_phone_on_enrolment_names_the_field(client, privacy_page, belgium):
    response = post(client, country="BE", hospital=str(belgium["erasme"].pk), phone="not a phone")
    links = summary_links(response)
    assert list(links) == ["#id_phone"]
    assert links["#id_phone"].startswith("Work phone: Enter a phone number with its country code")
    assert not Clinician.objects.exists()


def test_proposal_takes_the_country_searched_and_reads_the_phone_there(client, privacy_page, db):
    response = post(
        client,
        country="FR",
        hospital_query="nulle part",
        hospital="propose",
        proposed_name="CHU de Nulle Part",
        proposed_city="Lyon",
        phone="01 23 45 67 89",
    )
    assert response.status_code == 302
    clinician = Clinician.objects.get(email=TYPED["email"])
    assert clinician.hospital.country.code == "FR" and not clinician.hospital.taking_part
    assert clinician.phone == "+33123456789"


# --- Size with the real list


def test_enrol_stays_small_with_fifteen_thousand_hospitals(
    client, privacy_page, django_assert_max_num_queries
):
    bulk_hospitals(15_000, code="DE", name="Universitätsklinikum Beispiel {n}", city="Stadt {n}")
    with django_assert_max_num_queries(12):
        response = client.get("/enrol/")
    assert response.status_code == 200
    assert len(response.content) < 60_000, len(response.content)
    assert "Universitätsklinikum" not in response.content.decode()
    # Control: the page's step 2 holds at most RESULTS_LIMIT of them, and stays small too.
    found = find(client, country="DE", query="beispiel")
    assert len(radios(found)) == RESULTS_LIMIT + 1
    assert len(found.content) < 60_000


# --- The combobox's JSON


def hospitals_json(client, **params):
    response = client.get("/enrol/hospitals/", params)
    return response, json.loads(response.content) if response.status_code in (200, 400) else None


def test_json_lists_taking_part_hospitals_of_the_country_names_and_cities_only(client, belgium):
    make_clinician("Marc", "Dubois", belgium["erasme"], phone="+3225550101")
    response, data = hospitals_json(client, country="be", q="ÉRASME")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert data == {
        "country": "BE",
        "total": 1,
        "hospitals": [{"id": belgium["erasme"].pk, "name": "Hôpital Érasme", "city": "Bruxelles"}],
    }
    body = response.content.decode()
    assert "Marc" not in body and "Dubois" not in body and "555" not in body
    _, everyone = hospitals_json(client, country="BE", q="")
    names = [h["name"] for h in everyone["hospitals"]]
    assert names == ["Hôpital Érasme", "UZ Gasthuisberg"]  # not the closed one, not France's


def test_json_gives_at_most_twenty_and_the_number_found(client, home_page):
    bulk_hospitals(45, code="AT", name="Landesklinikum {n}", city="Graz")
    _, data = hospitals_json(client, country="AT", q="graz")
    assert len(data["hospitals"]) == COMBOBOX_LIMIT == 20
    assert data["total"] == 45


def test_json_escapes_what_html_would_read(client, db):
    make_hospital("</script><img src=x onerror=alert(1)> & Co", "Gent", "BE")
    response, data = hospitals_json(client, country="BE", q="co")
    assert data["hospitals"][0]["name"] == "</script><img src=x onerror=alert(1)> & Co"
    body = response.content.decode()
    assert "<" not in body and ">" not in body and "&" not in body
    assert response["X-Content-Type-Options"] == "nosniff"


def test_json_without_a_country_says_what_to_do(client, db):
    response, data = hospitals_json(client, q="erasme")
    assert response.status_code == 400
    assert data == {"error": "Choose the country of your hospital first."}
    assert hospitals_json(client, country="XX", q="a")[0].status_code == 400


def cache_control(response):
    """The Cache-Control directives as {name: value or True}."""
    found = {}
    for part in response.get("Cache-Control", "").split(","):
        name, _, value = part.strip().partition("=")
        if name:
            found[name.lower()] = value or True
    return found


def test_json_is_cacheable_and_cached(client, belgium, django_assert_num_queries, settings):
    """Public hospital names only, so stored as every page the page cache keeps: a shared cache
    may keep it as long as the page cache does (s-maxage), browsers ask again (max-age=0), so a
    hospital's change reaches the next keystroke."""
    first = client.get("/enrol/hospitals/", {"country": "BE", "q": "erasme"})
    assert first["X-Page-Cache"] == "miss"
    stored = {"public": True, "max-age": "0", "s-maxage": str(settings.CMSS_PAGE_CACHE_SECONDS)}
    assert cache_control(first) == stored
    with django_assert_num_queries(0):
        again = client.get("/enrol/hospitals/?q=erasme&country=BE&unused=")
    assert again["X-Page-Cache"] == "hit"
    assert again.content == first.content
    assert cache_control(again) == stored


def test_json_the_page_cache_does_not_store_is_private(client, belgium, make_staff):
    """What the page cache does not keep, no shared cache keeps either: an unread parameter,
    a refusal, a signed-in visitor."""
    unread = client.get("/enrol/hospitals/", {"country": "BE", "q": "erasme", "utm": "x"})
    refused = client.get("/enrol/hospitals/", {"q": "erasme"})
    client.force_login(make_staff("ed", "Editors"))
    signed_in = client.get("/enrol/hospitals/", {"country": "BE", "q": "erasme"})
    for response in (unread, refused, signed_in):
        assert "X-Page-Cache" not in response
        assert cache_control(response) == {"private": True, "no-cache": True}, response


# --- /hospitals/: search and page cache


def listed(response):
    return [" ".join(li.get_text().split()) for li in page(response).select(".hospital-list li")]


def test_hospital_list_searches_name_or_city_without_accents_within_a_country(client, belgium):
    assert listed(client.get("/hospitals/?q=HOPITAL+erasme")) == [
        "Hôpital Érasme, Bruxelles",
        "Hôpital Érasme de Paris, Paris",
    ]
    assert listed(client.get("/hospitals/?q=erasme&country=BE")) == ["Hôpital Érasme, Bruxelles"]
    assert listed(client.get("/hospitals/?q=leuven&country=BE")) == ["UZ Gasthuisberg, Leuven"]
    none = page(client.get("/hospitals/?q=zzz&country=BE"))
    assert "No hospital in Belgium matches “zzz”" in none.get_text(" ", strip=True)
    search = none.find("form", role="search")
    assert search.find("input", id="id_q")["value"] == "zzz"
    assert search.find("label", attrs={"for": "id_q"}).get_text() == "Name or city"


def test_hospital_list_is_served_from_the_cache_for_anonymous_visitors(
    client, belgium, django_assert_num_queries
):
    first = client.get("/hospitals/?country=BE&q=erasme")
    assert first["X-Page-Cache"] == "miss"
    with django_assert_num_queries(0):
        second = client.get("/hospitals/?q=erasme&country=BE")
    assert second["X-Page-Cache"] == "hit"
    assert second.content == first.content
    # Another search is another page.
    assert client.get("/hospitals/?country=BE&q=leuven")["X-Page-Cache"] == "miss"


def test_parameters_the_page_does_not_read_are_not_cached(client, belgium):
    for _ in range(2):
        response = client.get("/hospitals/?country=BE&utm_source=mail")
        assert response.status_code == 200
        assert response.get("X-Page-Cache") is None  # neither answered nor stored


def test_editing_a_hospital_drops_the_cached_list(
    client, belgium, django_capture_on_commit_callbacks
):
    client.get("/hospitals/?country=BE")
    assert client.get("/hospitals/?country=BE")["X-Page-Cache"] == "hit"

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        belgium["erasme"].name = "Hôpital Universitaire Érasme"
        belgium["erasme"].save()
    assert callbacks  # dropped after commit, not before

    response = client.get("/hospitals/?country=BE")
    assert response["X-Page-Cache"] == "miss"
    assert "Hôpital Universitaire Érasme, Bruxelles" in listed(response)

    with django_capture_on_commit_callbacks(execute=True):
        belgium["gasthuisberg"].delete()
    assert "UZ Gasthuisberg, Leuven" not in listed(client.get("/hospitals/?country=BE"))


def test_without_the_hook_the_stale_list_would_be_served(
    client, belgium, django_capture_on_commit_callbacks, monkeypatch
):
    """Control: the test above can fail; with the hook switched off the old name stays."""
    monkeypatch.setattr("directory.signals.invalidate_public_pages", lambda **kwargs: None)
    client.get("/hospitals/?country=BE")
    with django_capture_on_commit_callbacks(execute=True):
        belgium["erasme"].name = "Hôpital Universitaire Érasme"
        belgium["erasme"].save()
    response = client.get("/hospitals/?country=BE")
    assert response["X-Page-Cache"] == "hit"
    assert "Hôpital Érasme, Bruxelles" in listed(response)


def test_the_hook_waits_for_the_commit(client, belgium, django_capture_on_commit_callbacks):
    client.get("/hospitals/?country=BE")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        belgium["erasme"].name = "Renamed"
        belgium["erasme"].save()
        # Not yet committed: the cached page is still served.
        assert client.get("/hospitals/?country=BE")["X-Page-Cache"] == "hit"
    assert len(callbacks) == 1


# --- The blank form from the cache, each visitor with their own CSRF token


def csrf_of(response):
    return page(response).find("input", attrs={"name": "csrfmiddlewaretoken"})["value"]


def test_blank_form_is_kept_rendered_and_each_visitor_gets_their_own_token(
    privacy_page, belgium, django_assert_max_num_queries
):
    from django.test import Client

    first_visitor, second_visitor = (
        Client(enforce_csrf_checks=True),
        Client(enforce_csrf_checks=True),
    )
    first = first_visitor.get("/enrol/")
    with django_assert_max_num_queries(0):
        second = second_visitor.get("/enrol/")
    assert second.status_code == 200
    # The same page but for the token; each token goes with the visitor's own cookie.
    assert csrf_of(first) != csrf_of(second)
    assert first.content.replace(csrf_of(first).encode(), b"") == second.content.replace(
        csrf_of(second).encode(), b""
    )
    assert "csrftoken" in second.cookies
    response = second_visitor.post(
        "/enrol/",
        {
            **TYPED,
            "phone": "+32 2 555 01 01",
            "country": "BE",
            "hospital": str(belgium["erasme"].pk),
            "csrfmiddlewaretoken": csrf_of(second),
        },
    )
    assert response.status_code == 302
    # Control: the first visitor's token is refused with the second visitor's cookie.
    stranger = second_visitor.post("/enrol/", {"csrfmiddlewaretoken": csrf_of(first) + "x"})
    assert stranger.status_code == 403


def test_blank_form_changes_with_a_new_privacy_statement(client, privacy_page):
    assert "version 1.0" in page(client.get("/enrol/")).get_text()
    privacy_page.version_label = "2.0"
    privacy_page.save_revision().publish()
    assert "version 2.0" in page(client.get("/enrol/")).get_text()


def test_an_import_drops_the_cached_list(
    client, belgium, tmp_path, django_capture_on_commit_callbacks
):
    """The import writes hospitals in bulk, which sends no signals: it drops the cache itself."""
    from directory.services.imports import run_import

    client.get("/hospitals/?country=BE")
    assert client.get("/hospitals/?country=BE")["X-Page-Cache"] == "hit"
    spreadsheet = tmp_path / "new.csv"
    spreadsheet.write_text("country,hospital,city\nBE,AZ Groeninge,Kortrijk\n", encoding="utf-8")

    with django_capture_on_commit_callbacks(execute=True):
        assert run_import(spreadsheet).written

    response = client.get("/hospitals/?country=BE")
    assert response["X-Page-Cache"] == "miss"
    assert "AZ Groeninge, Kortrijk" in listed(response)
