"""The helpdesk's statistics: enrolments, case conferences and webinars per month and per
country, registrations, attendance and fill rates. Aggregates only, never a person.

A figure per country names a country only when at least MIN_PEOPLE different people stand
behind its number; the others are added up into one row, OTHER_COUNTRIES, so that nobody can be
singled out (a country with one enrolled clinician never shows by name, whatever the count).
"""

import datetime
from dataclasses import dataclass, field

from django.db.models import Count, F, Q, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone

from directory.models import Clinician
from events.models import ConferenceRequest, Registration, WebinarPage

MIN_PEOPLE = 5
OTHER_COUNTRIES = "Other countries (fewer than 5 each)"
MONTHS = 12


@dataclass
class Figure:
    """One chart and its table: ``rows`` of (label, value); ``unit`` "%" for rates."""

    key: str
    title: str
    description: str
    label_heading: str
    value_heading: str
    rows: list = field(default_factory=list)
    unit: str = ""

    @property
    def total(self):
        return sum(value for _, value in self.rows) if self.unit != "%" else None


def month_starts(today=None, count=MONTHS):
    """The first day of each of the last ``count`` months, oldest first, this month last."""
    today = today or timezone.localdate()
    year, month = today.year, today.month
    starts = []
    for _ in range(count):
        starts.append(datetime.date(year, month, 1))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return starts[::-1]


def period_start(months):
    first = months[0]
    return timezone.make_aware(datetime.datetime(first.year, first.month, 1))


def month_label(day):
    return day.strftime("%b %Y")


def per_month(queryset, date_field, months, value=None):
    """{month start date: value} for ``queryset`` grouped by the month of ``date_field``."""
    value = value or Count("pk")
    found = (
        queryset.filter(**{f"{date_field}__gte": period_start(months)})
        .annotate(month=TruncMonth(date_field))
        .order_by()
        .values("month")
        .annotate(value=value)
        .values_list("month", "value")
    )
    by_month = {}
    for month, number in found:
        day = month.date() if isinstance(month, datetime.datetime) else month
        by_month[day] = (by_month.get(day) or 0) + (number or 0)
    return by_month


def month_rows(by_month, months):
    return [(month_label(month), by_month.get(month, 0)) for month in months]


def grouped_by_country(counts):
    """Rows (country, number) from ``counts``: (country name or None, number, people), largest
    first, with every country of fewer than MIN_PEOPLE people (and the people of no known
    country) added into OTHER_COUNTRIES, last."""
    named, other = [], 0
    for country, number, people in counts:
        if country is not None and people >= MIN_PEOPLE:
            named.append((country, number))
        else:
            other += number
    named.sort(key=lambda row: (-row[1], row[0]))
    return named + ([(OTHER_COUNTRIES, other)] if other else [])


def rate(part, whole):
    return round(100 * part / whole) if whole else 0


def enrolment_figures(months):
    enrolled = Clinician.objects.filter(source=Clinician.Source.ENROLMENT).exclude(
        status=Clinician.Status.UNCONFIRMED
    )
    by_country = (
        Clinician.objects.filter(status=Clinician.Status.APPROVED)
        .order_by()
        .values_list("hospital__country__name")
        .annotate(number=Count("pk"))
    )
    return [
        Figure(
            "enrolments_by_month",
            "Enrolments per month",
            "Clinicians who enrolled and confirmed their email, by month of enrolment.",
            "Month",
            "Enrolments",
            month_rows(per_month(enrolled, "created_at", months), months),
        ),
        Figure(
            "clinicians_by_country",
            "Approved clinicians per country",
            "Approved clinicians of the directory by their hospital's country; countries with "
            f"fewer than {MIN_PEOPLE} are added up in one row.",
            "Country",
            "Clinicians",
            grouped_by_country((name, number, number) for name, number in by_country),
        ),
    ]


def conference_figures(months):
    requests = ConferenceRequest.objects.all()
    held = requests.filter(
        status__in=(ConferenceRequest.Status.HELD, ConferenceRequest.Status.CLOSED)
    )
    by_country = (
        requests.filter(created_at__gte=period_start(months))
        .order_by()
        .values_list("requester_country__name")
        .annotate(number=Count("pk"), people=Count("requester", distinct=True))
    )
    return [
        Figure(
            "conferences_by_month",
            "Case conference requests per month",
            "Requests for a case conference, by month of request.",
            "Month",
            "Requests",
            month_rows(per_month(requests, "created_at", months), months),
        ),
        Figure(
            "conferences_held_by_month",
            "Case conferences held per month",
            "Case conferences that took place, by month of request.",
            "Month",
            "Held",
            month_rows(per_month(held, "created_at", months), months),
        ),
        Figure(
            "conferences_by_country",
            "Case conference requests per requester's country",
            "Requests of the last 12 months by the requester's country; countries with fewer "
            f"than {MIN_PEOPLE} different requesters are added up in one row.",
            "Country",
            "Requests",
            grouped_by_country(by_country),
        ),
    ]


def webinar_figures(months):
    webinars = WebinarPage.objects.filter(live=True).exclude(state=WebinarPage.State.CANCELLED)
    confirmed = Q(registrations__status=Registration.Status.CONFIRMED)
    in_period = webinars.filter(start__gte=period_start(months))
    rows = list(
        in_period.annotate(
            taken=Count("registrations", filter=confirmed),
            came=Count("registrations", filter=confirmed & Q(registrations__attended=True)),
        )
        .order_by()
        .values_list("start", "capacity", "taken", "came", "attendance_read_at")
    )
    count, places, taken, came, read_taken = ({} for _ in range(5))
    for start, capacity, booked, attended, attendance_read in rows:
        local = timezone.localtime(start).date().replace(day=1)
        count[local] = count.get(local, 0) + 1
        places[local] = places.get(local, 0) + capacity
        taken[local] = taken.get(local, 0) + booked
        if attendance_read:
            came[local] = came.get(local, 0) + attended
            read_taken[local] = read_taken.get(local, 0) + booked
    registrants = Registration.objects.filter(
        status=Registration.Status.CONFIRMED, webinar__in=in_period
    )
    by_country = (
        registrants.order_by()
        .values_list("country__name")
        .annotate(number=Count("pk"), people=Count(F("email"), distinct=True))
    )
    return [
        Figure(
            "webinars_by_month",
            "Webinars per month",
            "Published webinars (not cancelled) by month of the webinar.",
            "Month",
            "Webinars",
            month_rows(count, months),
        ),
        Figure(
            "registrations_by_month",
            "Registrations per month",
            "Places taken at the webinars of each month (the waiting list not counted).",
            "Month",
            "Registrations",
            month_rows(taken, months),
        ),
        Figure(
            "fill_rate_by_month",
            "Fill rate per month",
            "Places taken as a share of the places offered at the webinars of each month.",
            "Month",
            "Fill rate (%)",
            [(month_label(m), rate(taken.get(m, 0), places.get(m, 0))) for m in months],
            unit="%",
        ),
        Figure(
            "attendance_by_month",
            "Attendance per month",
            "Registrants who attended, as a share of those registered, at the webinars of each "
            "month whose attendance has been read from Webex.",
            "Month",
            "Attendance (%)",
            [(month_label(m), rate(came.get(m, 0), read_taken.get(m, 0))) for m in months],
            unit="%",
        ),
        Figure(
            "registrations_by_country",
            "Registrations per registrant's country",
            "Places taken at the webinars of the last 12 months by the registrant's country; "
            f"countries with fewer than {MIN_PEOPLE} different registrants are added up in "
            "one row.",
            "Country",
            "Registrations",
            grouped_by_country(by_country),
        ),
    ]


def all_figures(today=None):
    """Every figure of the statistics page, in the order it shows them."""
    months = month_starts(today)
    return [*enrolment_figures(months), *conference_figures(months), *webinar_figures(months)]


def totals():
    """A few all-time numbers for the page's summary."""
    registrations = Registration.objects.filter(status=Registration.Status.CONFIRMED)
    return {
        "approved_clinicians": Clinician.objects.filter(status=Clinician.Status.APPROVED).count(),
        "conferences_held": ConferenceRequest.objects.filter(
            status__in=(ConferenceRequest.Status.HELD, ConferenceRequest.Status.CLOSED)
        ).count(),
        "webinars": WebinarPage.objects.filter(live=True)
        .exclude(state=WebinarPage.State.CANCELLED)
        .count(),
        "registrations": registrations.count(),
        "places": WebinarPage.objects.filter(live=True)
        .exclude(state=WebinarPage.State.CANCELLED)
        .aggregate(places=Sum("capacity"))["places"]
        or 0,
    }
