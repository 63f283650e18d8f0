"""/account/: a clinician sees and corrects their record, downloads it, leaves the list, erases it."""

import json

import pytest
from django.contrib.auth import get_user_model
from wagtail.models import ModelLogEntry

from directory.models import Clinician
from directory.services import personal_data

from .test_directory_pages import make_clinician, make_hospital
from .test_pages import outline


@pytest.fixture
def member(db, django_user_model):
    hospital = make_hospital("Rigshospitalet", "København", "DK")
    user = django_user_model.objects.create_user("mette", "mette.hansen@example.eu")
    clinician = make_clinician(
        "Mette",
        "Hansen",
        hospital,
        email="mette.hansen@example.eu",
        phone="+45 35 45 35 45",
        user=user,
        privacy_version="1.0",
    )
    return clinician


@pytest.mark.django_db
def test_account_needs_sign_in(client, member):
    response = client.get("/account/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


@pytest.mark.django_db
def test_account_shows_the_record(client, member):
    client.force_login(member.user)
    response = client.get("/account/")
    assert response.status_code == 200
    text = " ".join(outline(response).text)
    assert "mette.hansen@example.eu" in text
    assert "Rigshospitalet" in text


@pytest.mark.django_db
def test_correcting_details(client, member):
    client.force_login(member.user)
    response = client.post(
        "/account/",
        {
            "first_name": "Mette",
            "last_name": "Hansen-Berg",
            "phone": "+45 35 45 00 00",
            "specialty": "Infectious diseases",
            "languages": "Danish, English",
            "time_zone": "",
        },
    )
    assert response.status_code == 302
    member.refresh_from_db()
    assert member.last_name == "Hansen-Berg"
    assert member.specialty == "Infectious diseases"
    assert member.email == "mette.hansen@example.eu"  # not editable here


@pytest.mark.django_db
def test_correcting_with_a_bad_value_names_the_field(client, member):
    client.force_login(member.user)
    response = client.post(
        "/account/", {"first_name": "", "last_name": "Hansen", "time_zone": "Mars/Base"}
    )
    assert response.status_code == 200
    summary = outline(response)
    assert any(href == "#id_first_name" for href in summary.links)
    assert any(href == "#id_time_zone" for href in summary.links)


@pytest.mark.django_db
def test_leaving_and_rejoining_the_mailing_list(client, member):
    client.force_login(member.user)
    client.post("/account/mailing-list/", {})
    member.refresh_from_db()
    assert member.mailing_opt_out is True
    client.post("/account/mailing-list/", {"stay_on_list": "on"})
    member.refresh_from_db()
    assert member.mailing_opt_out is False


@pytest.mark.django_db
def test_download_is_json_with_everything_and_is_audited(client, member):
    personal_data.register_holder(
        "test holdings", export=lambda c: [{"held": c.last_name}], erase=lambda c: None
    )
    try:
        client.force_login(member.user)
        response = client.get("/account/download/")
    finally:
        personal_data._holders.pop("test holdings")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert "attachment" in response["Content-Disposition"]
    data = json.loads(response.content)
    assert data["clinician"]["email"] == "mette.hansen@example.eu"
    assert data["clinician"]["phone"] == "+45 35 45 35 45"
    assert data["clinician"]["hospital"]["city"] == "København"
    assert data["test holdings"] == [{"held": "Hansen"}]
    entry = ModelLogEntry.objects.get(action="cmss.personal_data_export")
    assert entry.user_id == member.user_id
    assert entry.object_id == str(member.pk)


@pytest.mark.django_db
def test_erasure_needs_confirmation(client, member):
    client.force_login(member.user)
    response = client.post("/account/erase/", {})
    assert response.status_code == 200
    assert Clinician.objects.filter(pk=member.pk).exists()


@pytest.mark.django_db
def test_erasure_removes_clinician_and_account_and_keeps_no_contact_detail(client, member):
    erased = []
    personal_data.register_holder(
        "test holdings", export=lambda c: [], erase=lambda c: erased.append(c.pk)
    )
    try:
        client.force_login(member.user)
        response = client.post("/account/erase/", {"confirm": "on"})
    finally:
        personal_data._holders.pop("test holdings")
    assert response.status_code == 200
    assert erased == [member.pk]
    assert not Clinician.objects.filter(pk=member.pk).exists()
    assert not get_user_model().objects.filter(pk=member.user_id).exists()
    entry = ModelLogEntry.objects.get(action="cmss.erasure")
    stored = json.dumps([entry.label, entry.data])
    for detail in ("mette", "Hansen", "+45", "example.eu"):
        assert detail.lower() not in stored.lower()
    # signed out
    assert client.get("/account/").status_code == 302


@pytest.mark.django_db
def test_someone_elses_record_is_never_shown(client, member, django_user_model):
    other = django_user_model.objects.create_user("other", "other@example.eu")
    client.force_login(other)
    response = client.get("/account/")
    assert response.status_code == 200
    assert b"No clinician record" in response.content
    assert b"mette" not in response.content.lower()


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/account/", "/account/download/", "/directory/"])
def test_pages_with_personal_data_are_never_cached(client, member, path):
    member.status = Clinician.Status.APPROVED
    member.save()
    client.force_login(member.user)
    response = client.get(path)
    assert response.status_code == 200
    cache_control = {part.strip() for part in response["Cache-Control"].split(",")}
    assert {"private", "no-store"} <= cache_control


@pytest.mark.django_db
def test_erasure_blanks_the_mail_log_and_the_download_lists_it(client, member):
    from cms.mail.models import OutgoingMessage
    from directory.services.enrolment import send_welcome_email

    send_welcome_email(member)
    client.force_login(member.user)
    data = json.loads(client.get("/account/download/").content)
    assert [m["kind"] for m in data["emails sent to you"]] == ["welcome"]

    client.post("/account/erase/", {"confirm": "on"})
    stored = json.dumps(list(OutgoingMessage.objects.values()), default=str).lower()
    assert OutgoingMessage.objects.count() == 1
    for detail in ("mette.hansen@example.eu", "hansen", "mette"):
        assert detail not in stored


@pytest.mark.django_db
def test_erasure_leaves_no_name_in_earlier_audit_entries(client, member, make_staff):
    from directory.services.approval import suspend_clinician

    suspend_clinician(member, make_staff("hd", "Helpdesk"))
    assert ModelLogEntry.objects.filter(label__icontains="Hansen").exists()
    client.force_login(member.user)
    client.post("/account/erase/", {"confirm": "on"})
    labels = list(ModelLogEntry.objects.values_list("label", flat=True))
    assert labels and not [label for label in labels if "hansen" in label.lower()]
