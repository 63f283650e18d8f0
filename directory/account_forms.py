"""Forms a clinician uses on their own account page."""

from django import forms

from cms.text import CleanTextFormMixin
from directory.countries import time_zone_choices
from directory.models import Clinician
from directory.phones import InvalidPhoneNumber, display_phone, normalise_phone

OWN_TIME_ZONE = ("", "The time zone of my hospital's country")


def own_time_zone_choices():
    """Canonical IANA zones of the countries served; no aliases, nothing outside the network."""
    return [OWN_TIME_ZONE, *time_zone_choices()]


class OwnRecordForm(CleanTextFormMixin, forms.ModelForm):
    """What a clinician may correct themselves; email, hospital and role go through the helpdesk."""

    time_zone = forms.ChoiceField(
        choices=own_time_zone_choices,
        required=False,
        help_text="Only if you work in another time zone than your hospital's country.",
        error_messages={
            "invalid_choice": "Choose a time zone from the list, or the time zone of your "
            "hospital's country.",
        },
    )

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

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Stored in E.164 (+4535453545); shown the way people read and type it.
        if not self.is_bound and self.instance.phone:
            self.initial["phone"] = display_phone(self.instance.phone)

    def clean_phone(self):
        hospital = self.instance.hospital if self.instance.hospital_id else None
        region = hospital.country.code if hospital else None
        try:
            return normalise_phone(self.cleaned_data.get("phone"), region)
        except InvalidPhoneNumber as error:
            raise forms.ValidationError(str(error)) from None


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
