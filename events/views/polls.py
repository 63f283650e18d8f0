"""/conferences/poll/<token>/: an invitee marks each proposed slot of a case conference yes,
if need be or no, in their own time, without signing in (the token in their email is the only
key). Thin: the form reads the answers, events.services.conference_polls stores them."""

from django import forms
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from directory.access import private_response
from events.calendar import PATIENT_DATA_REMINDER
from events.models import ConferenceInvitee, SlotAnswer
from events.services import conference_polls as polls

CHOICES = [
    (SlotAnswer.Answer.YES, "Yes"),
    (SlotAnswer.Answer.IF_NEED_BE, "If need be"),
    (SlotAnswer.Answer.NO, "No"),
]


class PollForm(forms.Form):
    """One radio group per slot, labelled with the slot in the invitee's own time."""

    def __init__(self, *args, rows, **kwargs):
        super().__init__(*args, **kwargs)
        self.rows = rows
        for row in rows:
            name = f"slot_{row['slot'].pk}"
            self.fields[name] = forms.ChoiceField(
                label=row["local"].label,
                choices=CHOICES,
                widget=forms.RadioSelect,
                initial=row["answer"] or None,
                error_messages={"required": "Choose yes, if need be or no for this time."},
            )
            row["field"] = name

    def answers(self):
        return {row["slot"].pk: self.cleaned_data[row["field"]] for row in self.rows}

    def groups(self):
        """(row, bound field) per slot, for the template's fieldsets."""
        return [(row, self[row["field"]]) for row in self.rows]


def _respond(request, template, context, status=200):
    response = render(request, template, context, status=status)
    private_response(response)
    # The address is the key: it must not leave in a Referer header to another site or reach a
    # search engine. "same-origin", not "no-referrer": with that, browsers send "Origin: null"
    # on the form's POST and Django's CSRF check refuses it (the browser test caught that).
    response["Referrer-Policy"] = "same-origin"
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


@require_http_methods(["GET", "POST"])
def poll(request, token):
    try:
        invitee = polls.invitee_for_token(token)
    except ConferenceInvitee.DoesNotExist:
        raise Http404("No such poll.") from None
    conference = invitee.request
    context = {
        "invitee": invitee,
        "conference": conference,
        "zone": polls.zone_of(invitee.clinician),
        "reminder": PATIENT_DATA_REMINDER,
    }
    if not polls.poll_is_open(conference):
        return _respond(request, "events/poll_closed.html", context)
    rows = polls.slots_for(invitee)
    if request.method == "POST":
        form = PollForm(request.POST, rows=rows)
        if form.is_valid():
            try:
                polls.record_answers(invitee, form.answers())
            except polls.PollClosed:
                conference.refresh_from_db()
                return _respond(request, "events/poll_closed.html", context)
            return redirect(f"{request.path}?saved=1")
    else:
        form = PollForm(rows=rows)
    context.update(form=form, saved=request.GET.get("saved") == "1" and not form.errors)
    return _respond(request, "events/poll.html", context)
