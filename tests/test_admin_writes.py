"""Every admin write goes through its service (issue 9, point 2): the clinician form offers what an
editor may edit, status changes only by approve/suspend, every snippet view is scoped, and the
Webex booking admin only shows bookings and retries or cancels them through the booking service."""

import pytest
from django.urls import reverse
from wagtail.models import ModelLogEntry

from directory.models import Clinician, Country, Hospital
from directory.services.approval import APPROVE_ACTION

CLINICIANS = "wagtailsnippets_directory_clinician"
HOSPITALS = "wagtailsnippets_directory_hospital"
BELGIUM_NCP = "National contact point – Belgium"


@pytest.fixture
def brussels(db):
    return Hospital.objects.create(
        name="Hôpital Erasme", city="Brussels", country=Country.objects.get(code="BE")
    )


@pytest.fixture
def paris(db):
    return Hospital.objects.create(
        name="Hôpital Necker", city="Paris", country=Country.objects.get(code="FR")
    )


@pytest.fixture
def helpdesk(make_staff):
    return make_staff("helpdesk", "Helpdesk")


@pytest.fixture
def belgian_ncp(make_staff):
    return make_staff("ncp-be", BELGIUM_NCP)


def clinician_post(clinician, **changes):
    """Every field of the model, as a forged POST would send them."""
    data = {
        "first_name": clinician.first_name,
        "last_name": clinician.last_name,
        "email": clinician.email,
        "phone": "",
        "specialty": "",
        "role": clinician.role,
        "languages": "",
        "hospital": clinician.hospital_id or "",
        "time_zone": "",
        "last_verified": "",
    }
    data.update(changes)
    return data


# --- (a) the clinician form -------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["helpdesk", "belgian_ncp"])
def test_edit_form_cannot_approve_or_attach_an_account(
    client,
    request,
    who,
    brussels,
    django_user_model,
    mailoutbox,
    django_capture_on_commit_callbacks,
):
    editor = request.getfixturevalue(who)
    clinician = Clinician.objects.create(
        first_name="Ann",
        last_name="Awaiting",
        email="ann@example.eu",
        hospital=brussels,
        status=Clinician.Status.AWAITING,
        source=Clinician.Source.ENROLMENT,
    )
    stranger = django_user_model.objects.create_user("stranger", "stranger@example.eu")
    client.force_login(editor)
    url = reverse(f"{CLINICIANS}:edit", args=[clinician.pk])
    form = client.get(url).context["form"]
    for field in ("status", "user", "source", "privacy_version", "consented_at"):
        assert field not in form.fields
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            url,
            clinician_post(
                clinician,
                specialty="Nephrology",
                status=Clinician.Status.APPROVED,
                user=stranger.pk,
                source=Clinician.Source.IMPORT,
                privacy_version="forged",
                consented_at="2020-01-01 10:00",
            ),
        )
    assert response.status_code == 302, response.context["form"].errors
    clinician.refresh_from_db()
    assert clinician.specialty == "Nephrology"  # control: the form did save
    assert clinician.status == Clinician.Status.AWAITING
    assert clinician.user_id is None
    assert clinician.source == Clinician.Source.ENROLMENT
    assert clinician.privacy_version == "" and clinician.consented_at is None
    assert not ModelLogEntry.objects.filter(action=APPROVE_ACTION).exists()
    assert mailoutbox == []


@pytest.mark.django_db
def test_a_clinician_added_in_the_admin_awaits_approval(client, belgian_ncp, brussels):
    client.force_login(belgian_ncp)
    data = clinician_post(
        Clinician(first_name="New", last_name="Person", email="new@example.eu", hospital=brussels),
        status=Clinician.Status.APPROVED,
    )
    response = client.post(reverse(f"{CLINICIANS}:add"), data)
    assert response.status_code == 302, response.context["form"].errors
    clinician = Clinician.objects.get(email="new@example.eu")
    assert clinician.status == Clinician.Status.AWAITING
    assert clinician.source == Clinician.Source.NATIONAL_CONTACT_POINT


# --- (b) every snippet view is scoped, copy included ------------------------------------------


def hospital_post(hospital, **changes):
    data = {
        "name": hospital.name,
        "city": hospital.city,
        "country": hospital.country_id,
        "website": "",
        "ern_memberships": "",
        "taking_part": "on",
        "last_verified": "",
        "staff_notes": "",
    }
    data.update(changes)
    return data


@pytest.mark.django_db
def test_national_contact_point_cannot_copy_a_hospital_into_another_country(
    client, belgian_ncp, brussels, paris
):
    client.force_login(belgian_ncp)
    # Another country's hospital cannot be copied at all, by GET or by a forged POST.
    url = reverse(f"{HOSPITALS}:copy", args=[paris.pk])
    assert client.get(url).status_code == 404
    response = client.post(
        url, hospital_post(paris, name="Necker bis", country=brussels.country_id)
    )
    assert response.status_code == 404
    # Their own hospital cannot be copied into another country.
    url = reverse(f"{HOSPITALS}:copy", args=[brussels.pk])
    response = client.post(
        url, hospital_post(brussels, name="Erasme bis", country=paris.country_id)
    )
    assert response.status_code == 200
    assert "country" in response.context["form"].errors
    assert list(response.context["form"].fields["country"].queryset) == [brussels.country]
    assert not Hospital.objects.filter(name__endswith="bis").exists()
    # Control: within their country, the copy is made.
    response = client.post(url, hospital_post(brussels, name="Erasme bis"))
    assert response.status_code == 302
    assert Hospital.objects.get(name="Erasme bis").country_id == brussels.country_id


@pytest.mark.django_db
def test_national_contact_point_cannot_put_a_clinician_in_another_country(
    client, belgian_ncp, brussels, paris
):
    clinician = Clinician.objects.create(
        first_name="Bea", last_name="Belgian", email="bea@example.eu", hospital=brussels
    )
    client.force_login(belgian_ncp)
    new = Clinician(first_name="New", last_name="Person", email="new@example.eu", hospital=paris)
    for url, data in (
        (reverse(f"{CLINICIANS}:add"), clinician_post(new)),
        (reverse(f"{CLINICIANS}:copy", args=[clinician.pk]), clinician_post(new)),
    ):
        response = client.post(url, data)
        assert response.status_code == 200
        assert "hospital" in response.context["form"].errors
        assert list(response.context["form"].fields["hospital"].queryset) == [brussels]
    assert not Clinician.objects.filter(email="new@example.eu").exists()
    french = Clinician.objects.create(
        first_name="Fleur", last_name="French", email="fleur@example.eu", hospital=paris
    )
    url = reverse(f"{CLINICIANS}:copy", args=[french.pk])
    assert client.post(url, clinician_post(new, hospital=brussels.pk)).status_code == 404
    assert not Clinician.objects.filter(email="new@example.eu").exists()


# --- (d) the Webex booking admin only shows, retries and cancels ------------------------------


@pytest.fixture
def fake_webex(monkeypatch):
    from tests.fake_webex import api_backend_against_fake

    with api_backend_against_fake(monkeypatch) as server:
        yield server


def a_booking(**fields):
    import datetime

    from django.utils import timezone

    from events.models import WebexBooking

    start = (timezone.now() + datetime.timedelta(days=10)).replace(second=0, microsecond=0)
    return WebexBooking.objects.create(
        title="Case conference: sepsis", start=start, end=start + datetime.timedelta(hours=1)
    )


@pytest.mark.django_db
def test_booking_admin_cannot_create_edit_or_delete(client, helpdesk):
    from events.models import WebexBooking

    booking = a_booking()
    client.force_login(helpdesk)
    listing = client.get(reverse("events_webexbooking_modeladmin_index"))
    assert listing.status_code == 200
    for path in (
        "/admin/events/webexbooking/create/",
        f"/admin/events/webexbooking/edit/{booking.pk}/",
        f"/admin/events/webexbooking/delete/{booking.pk}/",
    ):
        assert client.get(path).status_code == 404, path
        assert client.post(path, {"title": "Forged", "start": "", "end": ""}).status_code == 404
    assert WebexBooking.objects.get().title == "Case conference: sepsis"
    # Control: they still see it.
    assert client.get(f"/admin/events/webexbooking/inspect/{booking.pk}/").status_code == 200


@pytest.mark.django_db
def test_booking_admin_cancels_through_the_service(client, helpdesk, make_staff, fake_webex):
    from events.models import WebexBooking
    from events.services import booking as service

    booking = service.book(a_booking().pk)
    assert booking.webex_meeting_id in fake_webex.meetings
    cancel_url = reverse("events_webexbooking_cancel", args=[booking.pk])
    client.force_login(make_staff("editor", "Editors"))  # admin access, no booking rights
    assert client.post(cancel_url).status_code == 403
    client.force_login(helpdesk)
    page = client.get(cancel_url)  # says what cancelling does, changes nothing
    assert page.status_code == 200 and "deleted on Webex" in page.content.decode()
    assert WebexBooking.objects.get().status == WebexBooking.Status.BOOKED
    listing = client.get(reverse("events_webexbooking_modeladmin_index")).content.decode()
    assert cancel_url in listing
    response = client.post(cancel_url, follow=True)
    assert "is cancelled and gone from Webex" in response.content.decode()
    booking.refresh_from_db()
    assert booking.status == WebexBooking.Status.CANCELLED
    assert fake_webex.meetings == {}  # Webex was told
    listing = client.get(reverse("events_webexbooking_modeladmin_index")).content.decode()
    assert cancel_url not in listing  # nothing left to cancel


# --- (e) production names its Webex backend ---------------------------------------------------


def test_production_refuses_to_start_without_an_explicit_webex_backend():
    from tests.test_settings import PRODUCTION_ENV, manage

    env = {k: v for k, v in PRODUCTION_ENV.items() if k != "WEBEX_BACKEND"}
    result = manage("check", **env, WEBEX_BACKEND="")  # unset, whatever this shell has
    assert result.returncode != 0
    assert "The environment variable WEBEX_BACKEND must be set" in result.stderr
    # Control: named explicitly (here the simulated one, as a staging site might), it starts.
    result = manage("check", **env, WEBEX_BACKEND="events.webex.simulated.SimulatedWebex")
    assert result.returncode == 0, result.stderr
