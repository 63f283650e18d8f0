"""The demo webinars that ``seed_demo`` loads (registered from events/apps.py through
home/demo_content.register_demo, since home does not import events).

A catalogue under the home page, a few topics, and one webinar in every state a newcomer should
see: upcoming (one nearly full, one whose registration has not opened yet), cancelled, and past
(one recording for everyone, one for registrants only). Times are set relative to the day the
demo is loaded. Running it again creates nothing twice: each webinar is looked up by its slug.
"""

import datetime

from django.utils import timezone

from events.models import (
    Registration,
    Topic,
    WebexBooking,
    WebinarIndexPage,
    WebinarPage,
    WebinarSpeaker,
)

CATALOGUE = {
    "title": "Webinars",
    "slug": "webinars",
    "introduction": (
        "<p>Clinicians of the network teach what they learnt from hard cases. Register for an "
        "upcoming webinar, or watch the recording of a past one.</p>"
    ),
}

TOPICS = [
    ("Infectious diseases", "infectious-diseases"),
    ("Intensive care", "intensive-care"),
    ("Paediatrics", "paediatrics"),
    ("Rare diseases", "rare-diseases"),
]

# Fictional speakers, used when the directory has no approved clinician yet.
NAMED_SPEAKERS = [
    ("Dr Inês Carvalho", "Hospital de Santa Maria, Lisbon"),
    ("Prof. Jan Novák", "General University Hospital, Prague"),
    ("Dr Aoife Byrne", "St James's Hospital, Dublin"),
]

# slug, title, summary, topics, language, zone, days from today, hour, minutes, extra fields
WEBINARS = [
    {
        "slug": "long-covid-in-intensive-care-survivors",
        "title": "Long COVID in intensive-care survivors",
        "summary": "What follow-up clinics found a year after discharge, and what they changed.",
        "topics": ["infectious-diseases", "intensive-care"],
        "language": "en",
        "time_zone": "Europe/Brussels",
        "days": 9,
        "hour": 14,
        "minutes": 90,
        "fields": {"capacity": 30, "recorded": True, "speaker_consents_to_recording": True},
        "registrants": 28,
    },
    {
        "slug": "ecmo-for-severe-ards",
        "title": "ECMO for severe ARDS: choosing the patient",
        "summary": "Case discussions on when extracorporeal support helps and when it does not.",
        "topics": ["intensive-care"],
        "language": "en",
        "time_zone": "Europe/Lisbon",
        "days": 16,
        "hour": 16,
        "minutes": 60,
        "fields": {},
        "registrants": 3,
    },
    {
        "slug": "mis-c-in-children",
        "title": "MIS-C in children: recognising it early",
        "summary": "Multisystem inflammatory syndrome: presentations that were missed, and why.",
        "topics": ["paediatrics", "infectious-diseases"],
        "language": "fr",
        "time_zone": "Europe/Paris",
        "days": 40,
        "hour": 10,
        "minutes": 75,
        "fields": {"registration_opens_in_days": 14},
        "registrants": 0,
    },
    {
        "slug": "antiviral-resistance-update",
        "title": "Antiviral resistance: an update",
        "summary": "Cancelled: the speaker could not attend. A new date will be announced.",
        "topics": ["infectious-diseases"],
        "language": "de",
        "time_zone": "Europe/Berlin",
        "days": 12,
        "hour": 15,
        "minutes": 60,
        "fields": {"state": WebinarPage.State.CANCELLED},
        "registrants": 0,
    },
    {
        "slug": "proning-awake-patients",
        "title": "Proning awake patients: lessons from three waves",
        "summary": "Which patients benefited, how teams organised it, and what they would change.",
        "topics": ["intensive-care"],
        "language": "en",
        "time_zone": "Europe/Rome",
        "days": -21,
        "hour": 14,
        "minutes": 60,
        "fields": {
            "state": WebinarPage.State.HELD,
            "recorded": True,
            "speaker_consents_to_recording": True,
            "recording_public": True,
            "recording_url": "https://cmss.example.eu/recordings/proning-awake-patients",
        },
        "registrants": 0,
    },
    {
        "slug": "rare-complications-after-vaccination",
        "title": "Rare complications after vaccination: case series",
        "summary": "Three hospitals present their cases; the recording is for registrants only.",
        "topics": ["rare-diseases"],
        "language": "en",
        "time_zone": "Europe/Stockholm",
        "days": -45,
        "hour": 13,
        "minutes": 90,
        "fields": {
            "state": WebinarPage.State.HELD,
            "recorded": True,
            "speaker_consents_to_recording": True,
            "recording_url": "https://cmss.example.eu/recordings/rare-complications",
            "recording_password": "Demo2026",
        },
        "registrants": 5,
    },
]

BODY = [
    {"type": "heading", "value": {"text": "What you will learn", "level": "h2"}},
    {
        "type": "paragraph",
        "value": (
            "<p>The speakers present anonymised cases, then take questions. Please do not share "
            "anything that could identify a patient.</p>"
        ),
    },
]


def publish(page):
    page.save_revision().publish()


def seed_webinars(home):
    """Create what is missing of the demo catalogue under ``home``; returns what it created."""
    from directory.models import Clinician

    created = []
    catalogue = WebinarIndexPage.objects.child_of(home).first()
    if catalogue is None:
        catalogue = WebinarIndexPage(**CATALOGUE)
        home.add_child(instance=catalogue)
        publish(catalogue)
        created.append("webinar catalogue")
    topics = {}
    for name, slug in TOPICS:
        topics[slug], made = Topic.objects.get_or_create(slug=slug, defaults={"name": name})
        if made:
            created.append(f"topic {name!r}")
    clinicians = list(Clinician.objects.filter(status=Clinician.Status.APPROVED).order_by("pk")[:3])
    today = timezone.localtime().replace(minute=0, second=0, microsecond=0)
    for position, spec in enumerate(WEBINARS):
        if WebinarPage.objects.child_of(catalogue).filter(slug=spec["slug"]).exists():
            continue
        page = webinar_from(spec, today)
        speaker = speaker_for(position, clinicians)
        page.speakers.add(WebinarSpeaker(sort_order=0, **speaker))
        page.topics = [topics[slug] for slug in spec["topics"]]
        catalogue.add_child(instance=page)
        publish(page)
        add_registrants(page, spec["registrants"])
        if page.state == WebinarPage.State.HELD:
            read_demo_attendance(page)
        created.append(f"webinar {spec['title']!r}")
    return created


def read_demo_attendance(webinar):
    """A held demo webinar gets a booked Webex webinar and the attendance the simulated Webex
    makes up for its registrants, so the helpdesk's view and the certificates have something
    to show. Never with the API backend: the demo sends nothing to Webex."""
    from events.services.attendance import read_webinar
    from events.webex.simulated import SimulatedWebex

    booking = WebexBooking.objects.create(
        kind=WebexBooking.Kind.WEBINAR,
        title=webinar.title[:128],
        start=webinar.start,
        end=webinar.end,
        time_zone=webinar.time_zone,
        status=WebexBooking.Status.BOOKED,
        webex_meeting_id=f"demo{webinar.pk:06d}",
        web_link=f"https://cmss-demo.webex.com/meet/demo{webinar.pk:06d}",
    )
    WebinarPage.objects.filter(pk=webinar.pk).update(booking=booking)
    webinar.booking = booking
    read_webinar(webinar, backend=SimulatedWebex())


def webinar_from(spec, today):
    import zoneinfo

    zone = zoneinfo.ZoneInfo(spec["time_zone"])
    day = (today + datetime.timedelta(days=spec["days"])).astimezone(zone)
    start = day.replace(hour=spec["hour"], minute=0)
    fields = dict(spec["fields"])
    opens_in = fields.pop("registration_opens_in_days", None)
    if opens_in is not None:
        fields["registration_opens"] = today + datetime.timedelta(days=opens_in)
    if fields.get("state") == WebinarPage.State.HELD and fields.get("recording_url"):
        fields["recording_added_at"] = start + datetime.timedelta(days=1)
    return WebinarPage(
        title=spec["title"],
        slug=spec["slug"],
        summary=spec["summary"],
        body=BODY,
        language=spec["language"],
        time_zone=spec["time_zone"],
        start=start,
        end=start + datetime.timedelta(minutes=spec["minutes"]),
        **fields,
    )


def speaker_for(position, clinicians):
    """A clinician of the directory when there are any, else a named (fictional) speaker."""
    if clinicians:
        return {"clinician": clinicians[position % len(clinicians)]}
    name, affiliation = NAMED_SPEAKERS[position % len(NAMED_SPEAKERS)]
    return {"name": name, "affiliation": affiliation}


def add_registrants(webinar, count):
    """Fictional confirmed registrants (plain rows: the demo sends no mail)."""
    now = timezone.now()
    for n in range(1, count + 1):
        Registration.objects.create(
            webinar=webinar,
            first_name="Demo",
            last_name=f"Registrant {n:02}",
            email=f"registrant{n:02}.{webinar.slug[:20]}@example.org",
            profession="Physician",
            status=Registration.Status.CONFIRMED,
            confirmed_at=now,
            queued_at=now + datetime.timedelta(seconds=n),
        )


# -- case conferences -----------------------------------------------------------------------------

# Fictional clinicians for the demo conferences, in three time zones (one with a zone of her own),
# made when missing: first name, last name, email, specialty, hospital, city, country, own zone.
CONFERENCE_CLINICIANS = [
    (
        "Lieve",
        "Maes",
        "lieve.maes@demo.example.org",
        "Infectious diseases",
        "Demo University Hospital Ghent",
        "Ghent",
        "BE",
        "",
    ),
    (
        "Tiago",
        "Ferreira",
        "tiago.ferreira@demo.example.org",
        "Neurology",
        "Demo Hospital of Lisbon",
        "Lisbon",
        "PT",
        "",
    ),
    (
        "Aino",
        "Virtanen",
        "aino.virtanen@demo.example.org",
        "Paediatric oncology",
        "Demo Children's Hospital Helsinki",
        "Helsinki",
        "FI",
        "",
    ),
    (
        "Marta",
        "Sousa",
        "marta.sousa@demo.example.org",
        "Internal medicine",
        "Demo Hospital of the Azores",
        "Ponta Delgada",
        "PT",
        "Atlantic/Azores",
    ),
]

# One request in every state: status, urgency, days from today of its slots, the slot hours (in
# the requester's zone, Europe/Brussels), and each invitee's answers (by their index).
CONFERENCES = [
    ("submitted", "urgent", 2, [9, 14], {}),
    ("polling", "routine", 9, [8, 13, 17], {1: ["yes", "yes", "no"], 2: ["yes", "maybe", "no"]}),
    (
        "scheduled",
        "routine",
        6,
        [10, 15],
        {1: ["yes", "no"], 2: ["yes", "yes"], 3: ["maybe", "yes"]},
    ),
    ("held", "routine", -12, [14], {1: ["yes"], 2: ["yes"], 3: ["yes"]}),
    ("closed", "routine", -30, [11], {1: ["yes"], 2: ["maybe"], 3: ["yes"]}),
    ("declined", "routine", 20, [16], {}),
    ("cancelled", "urgent", 1, [12], {1: ["yes"]}),
]
CONFERENCE_QUESTION = (
    "Woman in her 40s, fever and headache for 3 weeks after travel; MRI shows ring-enhancing "
    "lesions, cultures negative on day 5 of admission. Which work-up would you add before biopsy?"
)


def demo_clinicians():
    """The demo conferences' clinicians, made when missing (looked up by email)."""
    from directory.models import Clinician, Country, Hospital

    clinicians, created = [], []
    for first, last, email, specialty, hospital, city, code, zone in CONFERENCE_CLINICIANS:
        clinician = Clinician.objects.filter(email=email).first()
        if clinician is None:
            place, _ = Hospital.objects.get_or_create(
                name=hospital, city=city, country=Country.objects.get(code=code)
            )
            clinician = Clinician.objects.create(
                first_name=first,
                last_name=last,
                email=email,
                specialty=specialty,
                hospital=place,
                status=Clinician.Status.APPROVED,
                time_zone=zone,
                languages="English",
            )
            created.append(f"clinician {first} {last}")
        clinicians.append(clinician)
    return clinicians, created


def seed_conferences(home):
    """Case conference requests in every state, their invitees in Brussels, Lisbon, Helsinki and
    the Azores, with poll answers and (scheduled) a booked meeting. Plain rows: nothing is sent
    and Webex is not asked. Each request is found again by its form key, so nothing is made
    twice. Returns what it created."""
    import uuid
    import zoneinfo

    from events.calendar import new_uid
    from events.models import (
        ConferenceInvitee,
        ConferenceRequest,
        ConferenceSlot,
        SlotAnswer,
        WebexBooking,
        calendar_host,
    )

    clinicians, created = demo_clinicians()
    requester, invitees = clinicians[0], clinicians[1:]
    zone = zoneinfo.ZoneInfo("Europe/Brussels")
    today = timezone.localtime(timezone=zone).date()
    now = timezone.now()
    for status, urgency, days, hours, answers in CONFERENCES:
        key = uuid.uuid5(uuid.NAMESPACE_URL, f"cmss-demo-conference-{status}")
        if ConferenceRequest.objects.filter(submission_key=key).exists():
            continue
        day = today + datetime.timedelta(days=days)
        ended = status in ("held", "closed", "declined", "cancelled")
        conference = ConferenceRequest.objects.create(
            requester=requester,
            requester_country=requester.hospital.country,
            clinical_question=CONFERENCE_QUESTION,
            language="en",
            duration_minutes=60,
            urgency=urgency,
            time_zone="Europe/Brussels",
            status=status,
            submission_key=key,
            decline_reason=(
                "No colleague with this expertise is free in the coming month: please ask again "
                "in the new year."
                if status == "declined"
                else ""
            ),
            ended_at=now if ended else None,
        )
        slots = [
            ConferenceSlot.objects.create(
                request=conference,
                start=datetime.datetime.combine(day, datetime.time(hour), zone),
            )
            for hour in hours
        ]
        people = invitees if status != "submitted" else invitees[:2]
        for position, clinician in enumerate(people, start=1):
            invitee = ConferenceInvitee.objects.create(
                request=conference, clinician=clinician, country=clinician.hospital.country
            )
            given = answers.get(position, [])
            for slot, answer in zip(slots, given, strict=False):
                SlotAnswer.objects.create(invitee=invitee, slot=slot, answer=answer)
            if given:
                invitee.answered_at = now
                invitee.save(update_fields=["answered_at"])
        if status in ("scheduled", "held", "closed"):
            chosen = slots[-1] if status == "scheduled" else slots[0]
            # Booked as if Webex had answered; the conference is linked after, and marked as
            # invited, so no invitation goes out.
            booking = WebexBooking.objects.create(
                kind=WebexBooking.Kind.MEETING,
                title=f"CMSS case conference {conference.pk}",
                start=chosen.start,
                end=chosen.start + datetime.timedelta(minutes=60),
                time_zone="Europe/Brussels",
                status=WebexBooking.Status.BOOKED,
                webex_meeting_id=f"demo-{conference.pk}",
                meeting_number="2735 118 4401",
                web_link="https://demo.webex.example/meet/cmss-demo",
                password="Demo2026",  # noqa: S106 (a fictional demo meeting's)
                call_in_numbers=[
                    {"label": "Belgium toll", "number": "+32 2 555 01 00", "toll_type": "toll"}
                ],
            )
            ConferenceRequest.objects.filter(pk=conference.pk).update(
                booking=booking,
                chosen_slot=chosen,
                calendar_uid=new_uid(calendar_host()),
                invited_sequence=0,
            )
        created.append(f"case conference request ({status})")
    return created
