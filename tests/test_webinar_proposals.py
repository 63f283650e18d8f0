"""Webinar proposals: the form at /webinars/propose/ (approved clinicians only, with errors that
name the slot and what to do), and the helpdesk's queue: new → announced (the mailing list is
sent the opportunity) → scheduled (a draft webinar) or declined (the reason goes to the
proposer); each step audit-logged and mailed, forbidden steps refused, buttons only where a
step is allowed, POSTs checked for CSRF and permission."""

import datetime
import zoneinfo

import pytest
from django.contrib.auth.models import Group, Permission
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from wagtail.models import ModelLogEntry, PageLogEntry

from directory.models import Clinician, Country, Hospital
from events.models import Topic, WebinarIndexPage, WebinarPage, WebinarProposal
from events.services import proposals

Status = WebinarProposal.Status
BRUSSELS = zoneinfo.ZoneInfo("Europe/Brussels")


@pytest.fixture
def hospital(db):
    return Hospital.objects.create(
        name="Hopital Erasme", city="Brussels", country=Country.objects.get(code="BE")
    )


@pytest.fixture
def make_clinician(django_user_model, hospital):
    def make(name, status=Clinician.Status.APPROVED, **fields):
        user = django_user_model.objects.create_user(name, f"{name}@example.eu")
        return Clinician.objects.create(
            first_name=name.title(),
            last_name="Test",
            email=f"{name}@example.eu",
            hospital=hospital,
            status=status,
            user=user,
            time_zone="Europe/Brussels",
            **fields,
        )

    return make


@pytest.fixture
def proposer(make_clinician):
    return make_clinician("proposer")


@pytest.fixture
def catalogue(home_page):
    index = WebinarIndexPage(title="Webinars", slug="webinars")
    home_page.add_child(instance=index)
    index.save_revision().publish()
    return index


@pytest.fixture
def helpdesk(make_staff):
    # What the Helpdesk group is to hold on proposals (see the report: a grant migration).
    group = Group.objects.get(name="Helpdesk")
    group.permissions.add(
        *Permission.objects.filter(
            content_type__app_label="events",
            codename__in=["view_webinarproposal", "change_webinarproposal"],
        )
    )
    return make_staff("helpdesk", "Helpdesk")


def future_day(days=14):
    return (timezone.now().astimezone(BRUSSELS) + datetime.timedelta(days=days)).date()


def form_data(**overrides):
    day = future_day()
    data = {
        "title": "Sepsis in children: the first hour",
        "abstract": "What the first hour decides, <b>and</b> how to win it.",
        "language": "fr",
        "slot_1_date": day.isoformat(),
        "slot_1_start": "14:00",
        "slot_1_end": "15:00",
        "slot_2_date": (day + datetime.timedelta(days=1)).isoformat(),
        "slot_2_start": "09:30",
        "slot_2_end": "11:00",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def make_proposal(proposer, **fields):
    start = datetime.datetime.combine(future_day(), datetime.time(14, 0), tzinfo=BRUSSELS)
    return proposals.submit(
        proposer,
        title=fields.pop("title", "Sepsis in children"),
        abstract=fields.pop("abstract", "What the first hour decides."),
        language=fields.pop("language", "en"),
        slots=[(start, start + datetime.timedelta(hours=1))],
        time_zone="Europe/Brussels",
        **fields,
    )


def log_actions(proposal):
    return list(
        ModelLogEntry.objects.filter(object_id=str(proposal.pk))
        .order_by("timestamp", "pk")
        .values_list("action", flat=True)
    )


# -- the form ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_form_is_for_approved_clinicians_only(client, make_clinician, make_staff):
    url = reverse("events:propose")
    assert url == "/webinars/propose/"
    response = client.get(url)
    assert (
        response.status_code == 302
        and "/accounts/login/" in response["Location"]
        or ("login" in response["Location"])
    )
    for status in (Clinician.Status.AWAITING, Clinician.Status.SUSPENDED):
        client.force_login(make_clinician(f"c-{status}", status=status).user)
        response = client.get(url)
        assert response.status_code == 403
        assert "Only approved members can propose a webinar" in response.content.decode()
        assert client.post(url, form_data()).status_code == 403
    client.force_login(make_staff("editor", "Editors"))
    assert client.get(url).status_code == 403
    assert not WebinarProposal.objects.exists()


@pytest.mark.django_db
def test_a_proposal_is_stored_logged_and_acknowledged(
    client, proposer, django_capture_on_commit_callbacks
):
    topic = Topic.objects.create(name="Sepsis", slug="sepsis")
    client.force_login(proposer.user)
    page = client.get(reverse("events:propose"))
    assert page.status_code == 200 and "Europe/Brussels" in page.content.decode()
    assert "no-store" in page["Cache-Control"]
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("events:propose"),
            form_data(topics=[topic.pk], wants_recording="on", recording_consent="on"),
        )
    assert response.status_code == 302 and response["Location"] == reverse("events:propose_sent")
    proposal = WebinarProposal.objects.get()
    assert proposal.proposer == proposer and proposal.status == Status.NEW
    assert proposal.language == "fr" and list(proposal.topics.all()) == [topic]
    assert proposal.wants_recording and proposal.recording_consent
    assert proposal.recording_consent_at is not None
    first, second = proposals.slots_of(proposal)
    assert first[0] == datetime.datetime.combine(future_day(), datetime.time(14), BRUSSELS)
    assert first[0].utcoffset() == first[0].astimezone(BRUSSELS).utcoffset()
    assert second[1] - second[0] == datetime.timedelta(minutes=90)
    assert log_actions(proposal) == [proposals.SUBMIT_ACTION]
    [message] = mail.outbox
    assert message.to == ["proposer@example.eu"]
    assert "Sepsis in children: the first hour" in message.subject
    assert "14:00" in message.body
    html = message.alternatives[0][0]
    assert "&lt;b&gt;and&lt;/b&gt;" in html  # the abstract is escaped in the HTML part
    assert client.get(reverse("events:propose_sent")).status_code == 200


def errors_of(response):
    return response.context["form"].errors


@pytest.mark.django_db
@pytest.mark.parametrize(
    "overrides, field, words",
    [
        # A slot in the past.
        (
            {"slot_1_date": (timezone.now() - datetime.timedelta(days=2)).date().isoformat()},
            "slot_1_date",
            "Time slot 1 is in the past",
        ),
        # Slot 2 overlaps slot 1.
        (
            {
                "slot_2_date": future_day().isoformat(),
                "slot_2_start": "14:30",
                "slot_2_end": "16:00",
            },
            "slot_2_start",
            "Time slot 2 overlaps time slot 1",
        ),
        # Ends before it starts.
        ({"slot_1_end": "13:00"}, "slot_1_end", "Time slot 1 must end after it starts"),
        # Half a slot.
        ({"slot_2_end": None}, "slot_2_end", "Give the end time of time slot 2"),
        # No slot at all.
        (
            {
                "slot_1_date": None,
                "slot_1_start": None,
                "slot_1_end": None,
                "slot_2_date": None,
                "slot_2_start": None,
                "slot_2_end": None,
            },
            "slot_1_date",
            "Give at least one time slot",
        ),
        # A recording without consent.
        ({"wants_recording": "on"}, "recording_consent", "A recording needs your consent"),
        ({"title": ""}, "title", "This field is required"),
    ],
)
def test_the_form_says_which_field_is_wrong_and_what_to_do(
    client, proposer, overrides, field, words
):
    client.force_login(proposer.user)
    response = client.post(reverse("events:propose"), form_data(**overrides))
    assert response.status_code == 200
    errors = errors_of(response)
    assert list(errors) == [field]
    assert words in errors[field][0]
    html = response.content.decode()
    assert "There is a problem" in html
    assert f'href="#id_{field}"' in html  # the summary links to the field
    assert not WebinarProposal.objects.exists()


# -- the steps (the service) -------------------------------------------------------------------


@pytest.mark.django_db
def test_announcing_mails_the_list_logs_and_tells_the_proposer(
    proposer, make_clinician, helpdesk, django_user_model, django_capture_on_commit_callbacks
):
    make_clinician("colleague")
    make_clinician("leaver", mailing_opt_out=True)
    make_clinician("waiting", status=Clinician.Status.AWAITING)
    ncp = django_user_model.objects.create_user("ncp", "ncp@ministry.example.be")
    ncp.groups.add(Group.objects.get(name="National contact point – Belgium"))
    proposal = make_proposal(proposer, title="Rare <tumours> & you")
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        proposals.announce(proposal, by=helpdesk)
    proposal.refresh_from_db()
    assert proposal.status == Status.ANNOUNCED
    assert log_actions(proposal)[-1] == proposals.ANNOUNCE_ACTION
    entry = ModelLogEntry.objects.filter(action=proposals.ANNOUNCE_ACTION).get()
    assert entry.user == helpdesk and entry.data["from"] == "new"
    sent = {tuple(m.to): m for m in mail.outbox}
    assert set(sent) == {
        ("colleague@example.eu",),
        ("ncp@ministry.example.be",),
        ("proposer@example.eu",),
    }
    opportunity = sent[("colleague@example.eu",)]
    assert opportunity.subject == "[CMSS] A webinar is planned: Rare <tumours> & you"
    assert "/account/mailing-list/" in opportunity.body
    assert "Rare &lt;tumours&gt; &amp; you" in opportunity.alternatives[0][0]
    assert "announced" in sent[("proposer@example.eu",)].subject


@pytest.mark.django_db
def test_scheduling_makes_a_draft_webinar_from_the_proposal(
    proposer, catalogue, helpdesk, django_capture_on_commit_callbacks
):
    topic = Topic.objects.create(name="Sepsis", slug="sepsis")
    proposal = make_proposal(
        proposer, language="de", wants_recording=True, recording_consent=True, abstract="A " * 400
    )
    proposal.topics.set([topic])
    proposals.announce(proposal, by=helpdesk)
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        proposals.schedule(proposal, by=helpdesk)
    proposal.refresh_from_db()
    assert proposal.status == Status.SCHEDULED
    webinar = WebinarPage.objects.get(pk=proposal.webinar_id)
    assert not webinar.live and webinar.get_parent().specific == catalogue
    assert webinar.title == "Sepsis in children" and webinar.language == "de"
    assert webinar.summary.startswith("A A") and len(webinar.summary) <= 300
    assert list(webinar.topics.all()) == [topic]
    assert [s.clinician for s in webinar.speakers.all()] == [proposer]
    assert webinar.speaker_consents_to_recording and webinar.recorded
    assert (webinar.start, webinar.end) == proposals.slots_of(proposal)[0]
    assert webinar.booking is None  # booked on Webex only when published
    assert PageLogEntry.objects.filter(page=webinar).exists()
    assert log_actions(proposal)[-1] == proposals.SCHEDULE_ACTION
    [message] = mail.outbox
    assert message.to == ["proposer@example.eu"] and "scheduled" in message.subject


@pytest.mark.django_db
def test_no_consent_no_recording_on_the_draft(proposer, catalogue, helpdesk):
    proposal = make_proposal(proposer, wants_recording=False, recording_consent=False)
    proposals.schedule(proposal, by=helpdesk)
    webinar = WebinarPage.objects.get(pk=proposal.webinar_id)
    assert not webinar.speaker_consents_to_recording and not webinar.recorded
    with pytest.raises(ValueError):
        make_proposal(proposer, wants_recording=True, recording_consent=False)


@pytest.mark.django_db
def test_declining_sends_the_reason(proposer, helpdesk, django_capture_on_commit_callbacks):
    proposal = make_proposal(proposer)
    mail.outbox.clear()
    with pytest.raises(ValueError):
        proposals.decline(proposal, by=helpdesk, reason="  ")
    with django_capture_on_commit_callbacks(execute=True):
        proposals.decline(proposal, by=helpdesk, reason="We had one on <sepsis> last month.")
    proposal.refresh_from_db()
    assert proposal.status == Status.DECLINED
    assert proposal.decline_reason == "We had one on <sepsis> last month."
    assert log_actions(proposal)[-1] == proposals.DECLINE_ACTION
    [message] = mail.outbox
    assert "We had one on <sepsis> last month." in message.body
    assert "We had one on &lt;sepsis&gt; last month." in message.alternatives[0][0]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "before, step",
    [
        ("declined", "announce"),
        ("declined", "schedule"),
        ("declined", "decline"),
        ("scheduled", "announce"),
        ("scheduled", "decline"),
        ("scheduled", "schedule"),
        ("announced", "announce"),
    ],
)
def test_a_step_not_allowed_from_where_it_is_is_refused(
    proposer, catalogue, helpdesk, before, step, django_capture_on_commit_callbacks
):
    proposal = make_proposal(proposer)
    if before == "declined":
        proposals.decline(proposal, by=helpdesk, reason="No.")
    elif before == "scheduled":
        proposals.schedule(proposal, by=helpdesk)
    else:
        proposals.announce(proposal, by=helpdesk)
    logged = log_actions(proposal)
    pages = WebinarPage.objects.count()
    mail.outbox.clear()
    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(proposals.TransitionNotAllowed),
    ):
        if step == "decline":
            proposals.decline(proposal, by=helpdesk, reason="Again.")
        else:
            getattr(proposals, step)(proposal, by=helpdesk)
    proposal.refresh_from_db()
    assert proposal.status == before
    assert log_actions(proposal) == logged
    assert WebinarPage.objects.count() == pages and mail.outbox == []
    assert step not in proposals.allowed_steps(proposal)


# -- the admin queue ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_queue_lists_filters_searches_and_offers_only_allowed_steps(client, proposer, helpdesk):
    fresh = make_proposal(proposer, title="Fresh one")
    done = make_proposal(proposer, title="Declined one")
    proposals.decline(done, by=helpdesk, reason="No.")
    client.force_login(helpdesk)
    index = reverse("events_webinarproposal_modeladmin_index")
    html = client.get(index).content.decode()
    assert "Fresh one" in html and "Declined one" in html
    assert reverse("events_webinarproposal_announce", args=[fresh.pk]) in html
    assert reverse("events_webinarproposal_decline", args=[fresh.pk]) in html
    for step in ("announce", "schedule", "decline"):
        assert reverse(f"events_webinarproposal_{step}", args=[done.pk]) not in html
    filtered = client.get(index, {"status__exact": "declined"}).content.decode()
    assert "Declined one" in filtered and "Fresh one" not in filtered
    searched = client.get(index, {"q": "Fresh"}).content.decode()
    assert "Fresh one" in searched and "Declined one" not in searched
    inspect = client.get(
        reverse("events_webinarproposal_modeladmin_inspect", args=[fresh.pk])
    ).content.decode()
    assert reverse("events_webinarproposal_schedule", args=[fresh.pk]) in inspect
    assert "14:00" in inspect
    assert "Webinar proposals" in client.get(reverse("wagtailadmin_home")).content.decode()
    # No create, edit or delete views: the services write proposals.
    assert client.get("/admin/events/webinarproposal/create/").status_code == 404
    assert client.get(f"/admin/events/webinarproposal/edit/{fresh.pk}/").status_code == 404


@pytest.mark.django_db
def test_the_steps_are_posts_with_csrf_by_those_who_may(
    proposer, catalogue, helpdesk, make_staff, django_capture_on_commit_callbacks
):
    proposal = make_proposal(proposer)
    announce = reverse("events_webinarproposal_announce", args=[proposal.pk])

    editor = Client()
    editor.force_login(make_staff("editor", "Editors"))
    assert editor.get(announce).status_code == 403
    assert editor.post(announce).status_code == 403

    desk = Client(enforce_csrf_checks=True)
    desk.force_login(helpdesk)
    page = desk.get(announce)
    assert page.status_code == 200 and "Yes, announce it" in page.content.decode()
    assert desk.post(announce).status_code == 403  # no CSRF token
    proposal.refresh_from_db()
    assert proposal.status == Status.NEW

    token = page.context["csrf_token"]
    with django_capture_on_commit_callbacks(execute=True):
        response = desk.post(announce, {"csrfmiddlewaretoken": str(token)})
    assert response.status_code == 302
    proposal.refresh_from_db()
    assert proposal.status == Status.ANNOUNCED

    decline = reverse("events_webinarproposal_decline", args=[proposal.pk])
    response = desk.post(decline, {"csrfmiddlewaretoken": str(token), "reason": " "})
    assert response.status_code == 200 and "Say why" in response.content.decode()
    proposal.refresh_from_db()
    assert proposal.status == Status.ANNOUNCED

    schedule = reverse("events_webinarproposal_schedule", args=[proposal.pk])
    response = desk.post(schedule, {"csrfmiddlewaretoken": str(token)})
    proposal.refresh_from_db()
    assert proposal.status == Status.SCHEDULED
    assert response["Location"] == reverse("wagtailadmin_pages:edit", args=[proposal.webinar_id])

    # Announcing again is refused, and says so.
    response = desk.post(announce, {"csrfmiddlewaretoken": str(token)}, follow=True)
    assert "Nothing changed" in response.content.decode()
    assert "cannot take this step" in desk.get(announce).content.decode()
