"""Two enrolments at once cannot both take a hospital's last contact-person place (PostgreSQL)."""

import contextlib
import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections

from directory import models
from directory.models import Clinician, Country, Hospital
from directory.services import contact_persons

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="row locks need PostgreSQL (SQLite ignores them)"
)


def race(hospital_id, monkeypatch):
    """Two threads each save a new contact person; both count the places before either saves.
    Clinician.save() asks the service (contact_persons.reserve), which counts in has_room."""
    both_counted = threading.Barrier(2, timeout=2)
    original = contact_persons.has_room

    def counting_in_step(hospital_pk, exclude=None):
        result = original(hospital_pk, exclude)
        # Wait for the other thread, so that without a lock both see the same free place; with
        # the lock the other thread is held at the row lock and the wait times out.
        with contextlib.suppress(threading.BrokenBarrierError):
            both_counted.wait()
        return result

    monkeypatch.setattr(contact_persons, "has_room", counting_in_step)
    outcomes = []

    def enrol(number):
        try:
            Clinician.objects.create(
                first_name=f"Contact{number}",
                last_name="Racer",
                email=f"racer{number}@example.eu",
                role=Clinician.Role.CONTACT_PERSON,
                hospital_id=hospital_id,
            )
            outcomes.append("saved")
        except ValidationError:
            outcomes.append("refused")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=enrol, args=(n,)) for n in (1, 2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    return sorted(outcomes)


@pytest.fixture
def hospital_with_one_contact(transactional_db):
    hospital = Hospital.objects.create(
        name="Karolinska",
        city="Stockholm",
        country=Country.objects.get_or_create(
            code="SE", defaults={"name": "Sweden", "time_zone": "Europe/Stockholm"}
        )[0],
    )
    Clinician.objects.create(
        first_name="First",
        last_name="Contact",
        email="first@example.eu",
        role=Clinician.Role.CONTACT_PERSON,
        hospital=hospital,
    )
    return hospital


def test_only_one_of_two_simultaneous_contacts_is_saved(hospital_with_one_contact, monkeypatch):
    assert race(hospital_with_one_contact.pk, monkeypatch) == ["refused", "saved"]
    assert contact_persons.holders(hospital_with_one_contact.pk).count() == 2


def test_without_the_row_lock_both_would_be_saved(hospital_with_one_contact, monkeypatch):
    """Control: the race is real; only the lock on the hospital row stops it."""
    monkeypatch.setattr(
        models.Hospital.objects, "select_for_update", lambda: models.Hospital.objects.all()
    )
    assert race(hospital_with_one_contact.pk, monkeypatch) == ["saved", "saved"]
    assert contact_persons.holders(hospital_with_one_contact.pk).count() == 3
