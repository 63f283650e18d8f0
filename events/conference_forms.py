"""The case conference request form (/conferences/request/): invitees from the directory,
one to five proposed slots in a zone the requester can change, duration, language, urgency and
a short clinical question. The rules themselves are the service's
(events/services/conference_requests.py); the form asks it and puts each error on its field."""

import datetime
import zoneinfo

from django import forms
from django.core.exceptions import ValidationError

from directory.models import Clinician, Hospital
from events.models import LANGUAGES, ConferenceRequest
from events.services import conference_requests as service
from events.zones import known_zone_names

SLOTS = range(1, service.MAX_SLOTS + 1)
QUESTION_HELP = (
    "What you would like to discuss, in up to 2,000 characters: age in years, sex, symptoms, "
    "findings, treatment so far. Nothing that could identify the patient: no name, date of "
    "birth, address, phone number, email or record number."
)


def zone_choices():
    return [(name, name.replace("_", " ")) for name in sorted(known_zone_names())]


class IdListField(forms.Field):
    """Ids posted by the picker's checkboxes (several values under one name)."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value):
        if not value:
            return []
        if isinstance(value, str):
            value = [value]
        ids = []
        for item in value:
            item = str(item).strip()
            if not item.isdigit():
                raise ValidationError(
                    "A choice was not recognised: search again and tick the colleague or "
                    "hospital you mean."
                )
            ids.append(int(item))
        return list(dict.fromkeys(ids))


class ConferenceRequestForm(forms.Form):
    """A request. ``requester`` is the approved clinician asking; ``search`` is what the
    no-JavaScript "Find" step typed (its matches are shown as checkboxes)."""

    submission_key = forms.UUIDField(widget=forms.HiddenInput, required=False)
    people = IdListField(label="Colleagues invited", required=False)
    hospitals = IdListField(label="Hospitals invited (their contact persons)", required=False)
    invitee_query = forms.CharField(
        label="Find a colleague or a hospital",
        required=False,
        max_length=200,
        help_text="Part of a name, a hospital, a city or a country.",
    )
    time_zone = forms.ChoiceField(
        label="Time zone of the slots",
        choices=zone_choices,
        help_text="The dates and times below are in this zone; each invitee sees them in theirs.",
    )
    duration_minutes = forms.TypedChoiceField(
        label="Duration",
        choices=ConferenceRequest.DURATIONS,
        coerce=int,
        initial=60,
    )
    language = forms.ChoiceField(label="Language", choices=LANGUAGES, initial="en")
    urgency = forms.ChoiceField(
        label="Urgency",
        choices=ConferenceRequest.Urgency.choices,
        initial=ConferenceRequest.Urgency.ROUTINE,
        help_text="Urgent: within 48 hours; then give at least one slot within 48 hours.",
    )
    clinical_question = forms.CharField(
        label="Clinical question",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=QUESTION_HELP,
    )

    def __init__(self, *args, requester, search=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.requester = requester
        self.search = search
        for n in SLOTS:
            self.fields[f"slot_{n}_date"] = forms.DateField(
                label=f"Time slot {n}: date",
                required=False,
                widget=forms.DateInput(attrs={"type": "date"}),
            )
            self.fields[f"slot_{n}_time"] = forms.TimeField(
                label=f"Time slot {n}: start time",
                required=False,
                widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            )

    # -- what the template shows ------------------------------------------------------------

    def slot_rows(self):
        """(number, date field, time field) of each slot."""
        return [(n, self[f"slot_{n}_date"], self[f"slot_{n}_time"]) for n in SLOTS]

    def _posted_ids(self, name):
        if self.is_bound:
            values = self.data.getlist(name) if hasattr(self.data, "getlist") else []
        else:
            values = self.initial.get(name) or []
        return list(dict.fromkeys(int(v) for v in values if str(v).strip().isdigit()))

    def chosen_people(self):
        """The people already chosen, labelled (the ones no longer found are left out; their
        error says so)."""
        ids = self._posted_ids("people")
        found = Clinician.objects.select_related("hospital__country").in_bulk(ids)
        return [service.person_label(found[pk]) for pk in ids if pk in found]

    def chosen_hospitals(self):
        ids = self._posted_ids("hospitals")
        found = Hospital.objects.select_related("country").in_bulk(ids)
        return [service.hospital_label(found[pk]) for pk in ids if pk in found]

    def found(self):
        """The no-JavaScript search's matches not chosen yet, or None when nobody searched."""
        if self.search is None:
            return None
        results = service.invitee_search(self.search, exclude=self.requester)
        people = set(self._posted_ids("people"))
        hospitals = set(self._posted_ids("hospitals"))
        results["people"] = [p for p in results["people"] if p["id"] not in people]
        results["hospitals"] = [h for h in results["hospitals"] if h["id"] not in hospitals]
        return results

    # -- checks -----------------------------------------------------------------------------

    def clean_clinical_question(self):
        text = self.cleaned_data["clinical_question"].strip()
        try:
            service.check_question(text)
        except ValidationError as refusal:
            raise ValidationError(refusal.message_dict["clinical_question"]) from refusal
        return text

    def clean(self):
        cleaned = super().clean()
        self._clean_slots(cleaned)
        try:
            cleaned["invitations"] = service.resolve_invitees(
                self.requester, cleaned.get("people") or [], cleaned.get("hospitals") or []
            )
        except ValidationError as error:
            for field, messages in error.message_dict.items():
                if field not in self.errors:
                    for message in messages:
                        self.add_error(field, message)
        return cleaned

    def _clean_slots(self, cleaned):
        zone_name = cleaned.get("time_zone")
        if not zone_name:
            return
        zone = zoneinfo.ZoneInfo(zone_name)
        starts, numbers = [], []
        for n in SLOTS:
            names = (f"slot_{n}_date", f"slot_{n}_time")
            if any(name in self.errors for name in names):
                continue
            day, time = cleaned.get(names[0]), cleaned.get(names[1])
            if day is None and time is None:
                continue
            if day is None:
                self.add_error(names[0], f"Give the date of time slot {n}, or empty the slot.")
                continue
            if time is None:
                self.add_error(names[1], f"Give the start time of time slot {n}, or empty it.")
                continue
            starts.append(datetime.datetime.combine(day, time, tzinfo=zone))
            numbers.append(n)
        if any(name.startswith("slot_") for name in self.errors):
            cleaned["slots"] = starts
            return
        problems = service.slot_errors(
            starts,
            duration_minutes=cleaned.get("duration_minutes") or 60,
            urgency=cleaned.get("urgency"),
            numbers=numbers,
        )
        for index, message in problems.items():
            if index == "urgency":
                if "urgency" not in self.errors:
                    self.add_error("urgency", message)
            elif index == "slots":
                self.add_error("slot_1_date", message)
            else:
                self.add_error(f"slot_{numbers[index]}_date", message)
        cleaned["slots"] = starts
