"""/webinars/propose/: an approved clinician offers a webinar (topic, abstract, language,
topics, the times they are available, recording and consent); the helpdesk works it in the
admin queue (events/proposals_admin.py). Thin: the form checks the input, the proposals
service stores it."""

import datetime
import zoneinfo

from django import forms
from django.contrib.auth.views import redirect_to_login
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from directory.access import clinician_for, private_response
from directory.models import Clinician
from events.models import LANGUAGES, Topic
from events.services import proposals
from events.zones import clinician_zone_name

SLOTS = range(1, proposals.MAX_SLOTS + 1)


class ProposalForm(forms.Form):
    """A proposal: each time slot is a date with a start and end time in the proposer's zone;
    an error names the slot and goes on the part that is wrong."""

    title = forms.CharField(
        label="Topic",
        max_length=200,
        help_text="The title of the webinar as you would announce it.",
    )
    abstract = forms.CharField(
        label="Abstract",
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text="What you will present and for whom, in up to 4,000 characters.",
    )
    language = forms.ChoiceField(label="Language", choices=LANGUAGES, initial="en")
    topics = forms.ModelMultipleChoiceField(
        label="Topics",
        queryset=Topic.objects.all(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    wants_recording = forms.BooleanField(label="The webinar should be recorded", required=False)
    recording_consent = forms.BooleanField(
        label="I agree to be recorded, and to the recording being shown to those who registered",
        required=False,
    )

    def __init__(self, *args, time_zone, **kwargs):
        super().__init__(*args, **kwargs)
        self.time_zone = time_zone
        for n in SLOTS:
            self.fields[f"slot_{n}_date"] = forms.DateField(
                label=f"Time slot {n}: date",
                required=False,
                widget=forms.DateInput(attrs={"type": "date"}),
            )
            self.fields[f"slot_{n}_start"] = forms.TimeField(
                label=f"Time slot {n}: from",
                required=False,
                widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            )
            self.fields[f"slot_{n}_end"] = forms.TimeField(
                label=f"Time slot {n}: until",
                required=False,
                widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            )

    def slot_rows(self):
        """(number, date field, from field, until field) of each slot, for the template."""
        return [
            (n, self[f"slot_{n}_date"], self[f"slot_{n}_start"], self[f"slot_{n}_end"])
            for n in SLOTS
        ]

    def clean(self):
        cleaned = super().clean()
        zone = zoneinfo.ZoneInfo(self.time_zone)
        now = timezone.now()
        slots = []
        for n in SLOTS:
            names = (f"slot_{n}_date", f"slot_{n}_start", f"slot_{n}_end")
            if any(name in self.errors for name in names):
                continue
            day, start, end = (cleaned.get(name) for name in names)
            if day is None and start is None and end is None:
                continue
            missing = [
                (name, what)
                for name, value, what in zip(
                    names,
                    (day, start, end),
                    ("the date", "the start time", "the end time"),
                    strict=True,
                )
                if value is None
            ]
            for name, what in missing:
                self.add_error(name, f"Give {what} of time slot {n}, or leave the slot empty.")
            if missing:
                continue
            starts = datetime.datetime.combine(day, start, tzinfo=zone)
            ends = datetime.datetime.combine(day, end, tzinfo=zone)
            if ends <= starts:
                self.add_error(names[2], f"Time slot {n} must end after it starts ({start:%H:%M}).")
                continue
            if starts <= now:
                self.add_error(
                    names[0], f"Time slot {n} is in the past: choose a date and time to come."
                )
                continue
            clash = next((m for m, (s, e) in slots if s < ends and starts < e), None)
            if clash is not None:
                self.add_error(
                    names[1],
                    f"Time slot {n} overlaps time slot {clash}: change one of them, or join "
                    "them into one slot.",
                )
                continue
            slots.append((n, (starts, ends)))
        if not slots and not any(name.startswith("slot_") for name in self.errors):
            self.add_error(
                "slot_1_date", "Give at least one time slot when you could give the webinar."
            )
        if cleaned.get("wants_recording") and not cleaned.get("recording_consent"):
            self.add_error(
                "recording_consent",
                "A recording needs your consent: tick this box, or untick “The webinar should "
                "be recorded”.",
            )
        cleaned["slots"] = [slot for _, slot in sorted(slots, key=lambda item: item[1][0])]
        return cleaned


def _approved(clinician):
    return clinician is not None and clinician.status == Clinician.Status.APPROVED


def _zone_of(clinician):
    return clinician_zone_name(clinician, fallback="UTC")


@require_http_methods(["GET", "POST"])
def propose(request):
    """GET: the form. POST: store the proposal (proposals.submit) and say it has arrived."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    clinician = clinician_for(request.user)
    if not _approved(clinician):
        return private_response(
            render(
                request,
                "events/propose_not_member.html",
                {"clinician": clinician},
                status=403,
            )
        )
    time_zone = _zone_of(clinician)
    form = ProposalForm(request.POST or None, time_zone=time_zone)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        proposals.submit(
            clinician,
            title=data["title"],
            abstract=data["abstract"],
            language=data["language"],
            topics=data["topics"],
            slots=data["slots"],
            time_zone=time_zone,
            wants_recording=data["wants_recording"],
            recording_consent=data["recording_consent"],
        )
        return redirect("events:propose_sent")
    return private_response(
        render(
            request,
            "events/propose.html",
            {"form": form, "time_zone": time_zone, "clinician": clinician},
        )
    )


@require_http_methods(["GET"])
def propose_sent(request):
    """The page after a proposal: what happens next."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    return private_response(render(request, "events/propose_sent.html"))
