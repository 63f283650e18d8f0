"""Records about people (registrations, reminders, outgoing mail) stay out of Wagtail's
reference index: nothing is written for them on save, and an editor opening a webinar page's
"usage" sees no registrant. Control: with the models indexed, the index assertion fails."""

import pytest
from django.contrib.contenttypes.models import ContentType
from wagtail.models import ReferenceIndex

from cms.mail.models import OutgoingMessage
from events.models import Registration, Reminder

from .test_webinar_registration import make_webinar

pytestmark = pytest.mark.django_db

NAME = "Zeldavanhoorn"


@pytest.fixture
def webinar(home_page):
    from events.models import WebinarIndexPage

    from .conftest import publish

    catalogue = WebinarIndexPage(title="Webinars", slug="webinars")
    home_page.add_child(instance=catalogue)
    publish(catalogue)
    return make_webinar(catalogue)


def test_a_webinar_page_usage_does_not_list_its_registrants(client, webinar, make_staff):
    registration = Registration.objects.create(
        webinar=webinar,
        first_name="Anouk",
        last_name=NAME,
        email="anouk@example.eu",
        status=Registration.Status.CONFIRMED,
    )
    Reminder.objects.create(registration=registration, kind=Reminder.Kind.DAY)
    OutgoingMessage.objects.create(
        recipient="anouk@example.eu",
        recipient_name=f"Anouk {NAME}",
        subject=f"Your place, Anouk {NAME}",
        body_text="…",
        kind="webinar registration",
        content_type=ContentType.objects.get_for_model(webinar),
        object_id=str(webinar.pk),
    )
    assert not ReferenceIndex.objects.filter(
        content_type__model__in=["registration", "outgoingmessage", "reminder"]
    ).exists()
    editor = make_staff("ed", "Editors")
    client.force_login(editor)
    response = client.get(f"/admin/pages/{webinar.pk}/usage/", follow=True)
    assert response.status_code == 200
    assert NAME not in response.content.decode()
