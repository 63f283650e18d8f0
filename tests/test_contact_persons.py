"""The two-contact-persons rule is one service (directory/services/contact_persons.py), used by the
enrolment, the admin forms, approval and the import, with one message (issue 9, point 2)."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from directory.models import Clinician, Country, Hospital
from directory.services import contact_persons
from directory.services.approval import approve_clinician

CLINICIANS = "wagtailsnippets_directory_clinician"


@pytest.fixture
def brussels(db):
    return Hospital.objects.create(
        name="Hôpital Erasme", city="Brussels", country=Country.objects.get(code="BE")
    )


@pytest.fixture
def helpdesk(make_staff):
    return make_staff("helpdesk", "Helpdesk")


def person(hospital, email, role=Clinician.Role.CONTACT_PERSON, **fields):
    fields.setdefault("status", Clinician.Status.APPROVED)
    return Clinician.objects.create(
        first_name="Ann",
        last_name=email.split("@")[0],
        email=email,
        hospital=hospital,
        role=role,
        **fields,
    )


@pytest.fixture
def full_with_a_suspended_third(brussels):
    person(brussels, "one@example.eu")
    person(brussels, "two@example.eu")
    return person(brussels, "three@example.eu", status=Clinician.Status.SUSPENDED)


@pytest.mark.django_db
def test_approving_a_suspended_third_contact_person_says_why_not(
    client,
    helpdesk,
    full_with_a_suspended_third,
    brussels,
    mailoutbox,
    django_capture_on_commit_callbacks,
):
    third = full_with_a_suspended_third
    client.force_login(helpdesk)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse(f"{CLINICIANS}:approve", args=[third.pk]), follow=True)
    assert response.status_code == 200
    text = response.content.decode()
    assert "already has 2 contact persons" in text
    assert "Hôpital Erasme" in text
    third.refresh_from_db()
    assert third.status == Clinician.Status.SUSPENDED
    assert mailoutbox == []


@pytest.mark.django_db
def test_the_service_refuses_a_third_place_and_allows_a_second(brussels, helpdesk):
    first = person(brussels, "one@example.eu")
    second = person(brussels, "two@example.eu", status=Clinician.Status.SUSPENDED)
    assert approve_clinician(second, helpdesk) is True  # control: a second place is free
    third = person(brussels, "three@example.eu", status=Clinician.Status.SUSPENDED)
    with pytest.raises(ValidationError) as refused:
        approve_clinician(third, helpdesk)
    assert refused.value.message_dict["role"] == [contact_persons.message(brussels)]
    assert contact_persons.has_room(brussels.pk, exclude=first.pk)
    assert not contact_persons.has_room(brussels.pk)


@pytest.mark.django_db
def test_one_message_in_the_admin_and_at_enrolment(client, helpdesk, brussels):
    person(brussels, "one@example.eu")
    person(brussels, "two@example.eu")
    client.force_login(helpdesk)
    response = client.post(
        reverse(f"{CLINICIANS}:add"),
        {
            "first_name": "Third",
            "last_name": "Person",
            "email": "third@example.eu",
            "role": Clinician.Role.CONTACT_PERSON,
            "hospital": brussels.pk,
        },
    )
    assert response.status_code == 200
    assert contact_persons.message(brussels) in response.context["form"].errors["role"]


@pytest.mark.django_db
def test_the_model_asks_the_service_and_says_its_message(brussels, monkeypatch):
    """Clinician.clean() and save() count nothing themselves: they ask the service, so the rule
    and its wording change in one place."""
    monkeypatch.setattr(contact_persons, "has_room", lambda hospital_id, exclude=None: False)
    monkeypatch.setattr(
        contact_persons, "message", lambda hospital, public=False: f"Full: {hospital}"
    )
    newcomer = Clinician(
        first_name="Only",
        last_name="One",
        email="only@example.eu",
        hospital=brussels,
        role=Clinician.Role.CONTACT_PERSON,
    )
    with pytest.raises(ValidationError) as cleaned:
        newcomer.clean()
    assert cleaned.value.message_dict["role"] == ["Full: Hôpital Erasme, Brussels"]
    with pytest.raises(ValidationError) as saved:
        newcomer.save()
    assert saved.value.message_dict["role"] == ["Full: Hôpital Erasme, Brussels"]
    assert not Clinician.objects.exists()


@pytest.mark.django_db
def test_a_full_hospital_is_said_one_way_by_the_model_and_the_service(brussels):
    person(brussels, "one@example.eu")
    person(brussels, "two@example.eu")
    third = Clinician(
        first_name="Third",
        last_name="Person",
        email="three@example.eu",
        hospital=brussels,
        role=Clinician.Role.CONTACT_PERSON,
    )
    with pytest.raises(ValidationError) as cleaned:
        third.clean()
    with pytest.raises(ValidationError) as saved:
        third.save()
    expected = [contact_persons.message(brussels)]
    assert cleaned.value.message_dict["role"] == expected
    assert saved.value.message_dict["role"] == expected
    # A suspended contact person holds no place, in the model as in the service.
    third.status = Clinician.Status.SUSPENDED
    third.clean()
    third.save()
    assert Clinician.objects.filter(email="three@example.eu").exists()
