"""Case conferences and retention (issue 11, point 6): `manage.py purge_expired` erases a
request's free text SiteSettings.retention_days after it ended, keeping dates, countries and
counts, and a second run changes nothing; erasing a clinician anonymises their requests,
invitations and poll answers through the erasure registry, and their export lists them."""

import datetime
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone
from wagtail.models import Site

from directory.services.personal_data import collect_own_data, erase_clinician
from events.models import ConferenceInvitee, ConferenceRequest, SlotAnswer
from events.services import conference_polls as polls
from home.models import SiteSettings
from tests import test_conference_poll as poll_tests
from tests.test_conference_poll import at, make_conference, next_weekday

people = poll_tests.people
Status = ConferenceRequest.Status


@pytest.fixture
def retention(db):
    settings = SiteSettings.for_site(Site.objects.get(is_default_site=True))
    settings.retention_days = 30
    settings.save()
    return settings


def purge():
    out = StringIO()
    call_command("purge_expired", stdout=out)
    return out.getvalue()


def ended(people, status, days_ago, **fields):
    conference = make_conference(
        people, [at(next_weekday(1), 14)], status=status, helpdesk_note="Called Dr X.", **fields
    )
    ConferenceRequest.objects.filter(pk=conference.pk).update(
        ended_at=timezone.now() - datetime.timedelta(days=days_ago)
    )
    conference.refresh_from_db()
    return conference


@pytest.mark.django_db
def test_the_question_goes_after_the_retention_period_and_statistics_stay(people, retention):
    old_held = ended(people, Status.HELD, 31)
    old_cancelled = ended(people, Status.CANCELLED, 45)
    old_declined = ended(people, Status.DECLINED, 40, decline_reason="Nobody free.")
    recent = ended(people, Status.HELD, 10)
    scheduled = make_conference(people, [at(next_weekday(1), 15)], status=Status.SCHEDULED)
    before = {
        c.pk: (c.created_at, c.ended_at, c.requester_country_id, c.invitees.count())
        for c in (old_held, old_cancelled)
    }

    purge()
    for conference in (old_held, old_cancelled, old_declined):
        conference.refresh_from_db()
        assert conference.clinical_question == ""
        assert conference.helpdesk_note == "" and conference.decline_reason == ""
        assert conference.question_erased_at is not None
    for conference in (old_held, old_cancelled):
        after = (
            conference.created_at,
            conference.ended_at,
            conference.requester_country_id,
            conference.invitees.count(),
        )
        assert after == before[conference.pk]
        assert conference.slots.count() == 1
        assert {i.country.code for i in conference.invitees.all()} == {"PT", "FI"}
    for conference in (recent, scheduled):
        conference.refresh_from_db()
        assert "fever" in conference.clinical_question and conference.question_erased_at is None

    # Twice is harmless: nothing more is erased, and the first erasure's date stays.
    stamp = ConferenceRequest.objects.get(pk=old_held.pk).question_erased_at
    purge()
    assert ConferenceRequest.objects.get(pk=old_held.pk).question_erased_at == stamp
    from events.conference_retention import erase_expired_questions

    assert erase_expired_questions(timezone.now(), timezone.now()) == 1  # only "recent" left


@pytest.mark.django_db
def test_the_retention_period_is_the_site_setting(people, retention):
    conference = ended(people, Status.HELD, 10)
    purge()
    conference.refresh_from_db()
    assert conference.question_erased_at is None
    retention.retention_days = 7
    retention.save()
    purge()
    conference.refresh_from_db()
    assert conference.question_erased_at is not None and conference.clinical_question == ""


@pytest.mark.django_db
def test_erasing_a_clinician_anonymises_their_requests_invitations_and_answers(client, people):
    conference = make_conference(people, [at(next_weekday(1), 14)], status=Status.POLLING)
    slot = conference.slots.get()
    lisbon = conference.invitees.get(clinician=people["lisbon"])
    polls.record_answers(lisbon, {slot.pk: "yes"})
    old_link = f"/conferences/poll/{lisbon.poll_token}/"

    exported = collect_own_data(people["requester"])["case conferences"]
    assert [r["request"] for r in exported["requested"]] == [conference.pk]
    assert "fever" in exported["requested"][0]["clinical_question"]
    exported = collect_own_data(people["lisbon"])["case conferences"]
    assert exported["invited"][0]["request"] == conference.pk
    assert exported["invited"][0]["answers"][0]["answer"] == "yes"

    erase_clinician(people["requester"])
    erase_clinician(people["lisbon"])
    conference.refresh_from_db()
    assert conference.requester is None and conference.requester_country.code == "BE"
    lisbon.refresh_from_db()
    assert lisbon.clinician is None and lisbon.erased and lisbon.country.code == "PT"
    assert client.get(old_link).status_code == 404
    # The answer stays, no one's: the count is what statistics need.
    assert SlotAnswer.objects.filter(invitee=lisbon, slot=slot).exists()
    assert ConferenceInvitee.objects.filter(request=conference, erased=False).count() == 2
    # The helpdesk's table shows them as erased, in their country's zone.
    participants, _rows = polls.slot_table(conference)
    assert [(p.name, p.zone) for p in participants[:2]] == [
        ("(erased)", "Europe/Brussels"),
        ("(erased)", "Europe/Lisbon"),
    ]
