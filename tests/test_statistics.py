"""The helpdesk's statistics (issue 12, point 8): per month and per country, as server-drawn SVG
charts each with a table, a formula-safe audit-logged CSV, aggregates only, and no country
named when fewer than five people stand behind its number."""

import csv
import datetime
import io
import itertools

import pytest
from bs4 import BeautifulSoup
from django.test import Client
from django.utils import timezone
from wagtail.models import ModelLogEntry

from directory.models import Clinician, Country, Hospital
from events import charts, statistics
from events.models import ConferenceRequest, Registration, WebinarIndexPage, WebinarPage
from events.views.statistics import EXPORT_ACTION

from .conftest import publish

URL = "/admin/events/statistics/"
EXPORT_URL = "/admin/events/statistics/export/"
OTHER = statistics.OTHER_COUNTRIES
counter = itertools.count()


def clinicians(country_code, number, **fields):
    country = Country.objects.get(code=country_code)
    hospital, _ = Hospital.objects.get_or_create(
        name=f"Hospital of {country.name}", city="Capital", country=country
    )
    made = []
    for _ in range(number):
        n = next(counter)
        made.append(
            Clinician.objects.create(
                first_name="Given",
                last_name=f"Family{n}",
                email=f"person{n}@example.eu",
                hospital=hospital,
                status=fields.get("status", Clinician.Status.APPROVED),
                source=Clinician.Source.ENROLMENT,
            )
        )
    return made


@pytest.fixture
def helpdesk(make_staff):
    client = Client()
    client.force_login(make_staff("hana", group="Helpdesk"))
    return client


@pytest.fixture
def network(home_page):
    """Belgium with 6 clinicians, France with 5, Malta with 1 (Dr Lonely), Ireland with 2."""
    people = {
        "BE": clinicians("BE", 6),
        "FR": clinicians("FR", 5),
        "MT": clinicians("MT", 1),
        "IE": clinicians("IE", 2),
    }
    lonely = people["MT"][0]
    lonely.first_name, lonely.last_name = "Lonely", "Maltese"
    lonely.save()
    for clinician in people["BE"] + people["MT"]:
        ConferenceRequest.objects.create(
            requester=clinician,
            requester_country=clinician.hospital.country,
            status=ConferenceRequest.Status.HELD,
        )
    index = WebinarIndexPage(title="Webinars", slug="webinars")
    home_page.add_child(instance=index)
    publish(index)
    start = timezone.now() - datetime.timedelta(days=1)
    webinar = WebinarPage(
        title="Ventilation",
        slug="ventilation",
        summary="S",
        start=start,
        end=start + datetime.timedelta(hours=1),
        capacity=10,
        attendance_read_at=timezone.now(),
    )
    index.add_child(instance=webinar)
    publish(webinar)
    malta = Country.objects.get(code="MT")
    france = Country.objects.get(code="FR")
    for k in range(5):
        Registration.objects.create(
            webinar=webinar,
            first_name="F",
            last_name=str(k),
            email=f"fr{k}@example.eu",
            country=france,
            status=Registration.Status.CONFIRMED,
            attended=k < 4,
        )
    Registration.objects.create(
        webinar=webinar,
        first_name="Lonely",
        last_name="Maltese",
        email="lonely@example.mt",
        country=malta,
        status=Registration.Status.CONFIRMED,
        attended=False,
    )
    return people


def figure(figures, key):
    return next(f for f in figures if f.key == key)


def test_countries_with_fewer_than_five_people_are_added_up_and_never_named(network):
    figures = statistics.all_figures()
    by_country = dict(figure(figures, "clinicians_by_country").rows)
    assert by_country == {"Belgium": 6, "France": 5, OTHER: 3}  # Malta 1 + Ireland 2
    conferences = dict(figure(figures, "conferences_by_country").rows)
    assert conferences == {"Belgium": 6, OTHER: 1}
    registrations = dict(figure(figures, "registrations_by_country").rows)
    assert registrations == {"France": 5, OTHER: 1}
    for f in figures:
        for label, _ in f.rows:
            assert label not in ("Malta", "Ireland"), (f.key, label)


def test_a_lone_country_is_never_named_even_when_it_is_the_only_one(home_page):
    clinicians("MT", 4)
    rows = figure(statistics.all_figures(), "clinicians_by_country").rows
    assert rows == [(OTHER, 4)]


def test_many_requests_by_one_person_do_not_name_their_country(home_page):
    (alone,) = clinicians("MT", 1)
    for _ in range(7):
        ConferenceRequest.objects.create(requester=alone, requester_country=alone.hospital.country)
    rows = figure(statistics.all_figures(), "conferences_by_country").rows
    assert rows == [(OTHER, 7)]


def test_monthly_figures_fill_and_attendance_rates(network):
    figures = statistics.all_figures()
    this_month = timezone.localtime(timezone.now() - datetime.timedelta(days=1)).strftime("%b %Y")
    months = figure(figures, "webinars_by_month").rows
    assert len(months) == 12
    assert dict(months)[this_month] == 1
    assert dict(figure(figures, "registrations_by_month").rows)[this_month] == 6
    assert dict(figure(figures, "fill_rate_by_month").rows)[this_month] == 60
    assert dict(figure(figures, "attendance_by_month").rows)[this_month] == 67  # 4 of 6
    assert sum(v for _, v in figure(figures, "conferences_by_month").rows) == 7
    assert sum(v for _, v in figure(figures, "enrolments_by_month").rows) == 14


def test_the_page_draws_each_figure_as_svg_with_title_desc_and_a_table(helpdesk, network):
    response = helpdesk.get(URL)
    assert response.status_code == 200
    soup = BeautifulSoup(response.content, "html.parser")
    sections = soup.select("section.cmss-figure-section")
    assert len(sections) == len(statistics.all_figures())
    for section in sections:
        svg = section.find("svg")
        assert svg["role"] == "img"
        title, desc = svg.find("title"), svg.find("desc")
        assert title.get_text() and desc.get_text()
        assert set(svg["aria-labelledby"].split()) == {title["id"], desc["id"]}
        table = section.find("table")
        assert table.caption.get_text(strip=True)
        assert all(th.get("scope") in ("col", "row") for th in table.find_all("th"))
        # The table and the chart show the same numbers.
        table_rows = [
            tr.th.get_text(strip=True) for tr in table.select("tbody tr") if tr.th is not None
        ]
        chart_labels = [t.get_text() for t in svg.find_all("text", attrs={"text-anchor": "end"})]
        assert table_rows == chart_labels
    text = soup.get_text(" ")
    assert "Malta" not in text and "Ireland" not in text
    assert "Lonely" not in text and "lonely@example.mt" not in text
    for clinician in network["BE"]:
        assert clinician.last_name not in text and clinician.email not in text
    assert not soup.find_all("script", src=lambda s: s and "chart" in s)


def test_the_chart_escapes_what_it_writes():
    svg = str(charts.bar_chart("c", "<b>Title</b>", "D & d", [("<script>x</script>", 3)]))
    assert "<script>" not in svg and "&lt;script&gt;" in svg
    assert "<b>" not in svg
    soup = BeautifulSoup(svg, "html.parser")
    assert soup.find("title").get_text() == "<b>Title</b>"


def test_the_csv_export_is_formula_safe_aggregate_and_audit_logged(helpdesk, network, monkeypatch):
    # A label that would start a formula (as a country named by an editor could).
    original = statistics.grouped_by_country

    def with_hostile_label(counts):
        rows = original(counts)
        return [('=HYPERLINK("http://evil")', 9), *rows]

    monkeypatch.setattr(statistics, "grouped_by_country", with_hostile_label)
    response = helpdesk.get(EXPORT_URL)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    body = response.content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(body)))
    assert rows[0] == ["figure", "label", "value", "unit"]
    labels = [row[1] for row in rows[1:]]
    assert '\'=HYPERLINK("http://evil")' in labels
    assert not any(label.startswith("=") for label in labels)
    assert ["Approved clinicians per country", "Belgium", "6", ""] in rows
    assert "Malta" not in body and "Lonely" not in body and "@" not in body
    entry = ModelLogEntry.objects.get(action=EXPORT_ACTION)
    assert entry.user.username == "hana"
    assert entry.data["rows"] == len(rows) - 1


@pytest.mark.parametrize(
    "group", ["Editors", "Moderators", "National contact point – France"], ids=str
)
def test_other_staff_are_refused(make_staff, group, home_page):
    client = Client()
    client.force_login(make_staff("someone", group=group))
    assert client.get(URL).status_code == 403
    assert client.get(EXPORT_URL).status_code == 403
    assert not ModelLogEntry.objects.filter(action=EXPORT_ACTION).exists()
    assert "Statistics" not in client.get("/admin/").content.decode()


def test_an_administrator_may_see_them_and_finds_them_in_the_menu(make_staff, home_page):
    client = Client()
    client.force_login(make_staff("root", superuser=True))
    assert client.get(URL).status_code == 200
    assert URL in client.get("/admin/").content.decode()


def test_a_clinician_is_refused(make_staff, home_page):
    client = Client()
    client.force_login(make_staff("doc"))
    assert client.get(URL).status_code == 403
