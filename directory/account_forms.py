"""Forms a clinician uses on their own account page."""

import zoneinfo

from django import forms

from directory.models import Clinician


def time_zone_choices():
    zones = sorted(
        z for z in zoneinfo.available_timezones() if z.startswith(("Europe/", "Atlantic/"))
    )
    return [("", "The time zone of my hospital's country"), *[(z, z) for z in zones]]


class OwnRecordForm(forms.ModelForm):
    """What a clinician may correct themselves; email, hospital and role go through the helpdesk."""

    time_zone = forms.ChoiceField(choices=time_zone_choices, required=False)

    class Meta:
        model = Clinician
        fields = ["first_name", "last_name", "phone", "specialty", "languages", "time_zone"]
        widgets = {
            "first_name": forms.TextInput(attrs={"autocomplete": "given-name"}),
            "last_name": forms.TextInput(attrs={"autocomplete": "family-name"}),
            "phone": forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
        }
        help_texts = {
            "phone": "With the country code, e.g. +32 2 555 01 01.",
            "languages": "Languages you can hold a conference in, separated by commas.",
        }


class MailingListForm(forms.Form):
    stay_on_list = forms.BooleanField(
        required=False, label="Send me announcements and the information package"
    )


class ErasureForm(forms.Form):
    confirm = forms.BooleanField(
        required=True,
        label="I understand that my record and my account will be erased and cannot be restored",
        error_messages={"required": "Tick the box to confirm that you want to be erased."},
    )
