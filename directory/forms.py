"""The enrolment form of /enrol/: who the clinician is, their hospital (or one they propose), consent."""

from django import forms

from directory.models import MAX_CONTACT_PERSONS, Clinician, Country, Hospital, contact_persons_of

PROPOSE = "propose"


def hospital_choices():
    """Taking-part hospitals grouped by country, then the choice to propose one."""
    groups = {}
    for hospital in Hospital.objects.filter(taking_part=True).select_related("country"):
        groups.setdefault(hospital.country.name, []).append((str(hospital.pk), str(hospital)))
    return [
        ("", "Choose your hospital"),
        *groups.items(),
        ("Not in the list", [(PROPOSE, "My hospital is not in the list: I propose it below")]),
    ]


class EnrolmentForm(forms.Form):
    first_name = forms.CharField(
        max_length=100,
        widget=forms.TextInput(attrs={"autocomplete": "given-name"}),
        error_messages={"required": "Enter your first name."},
    )
    last_name = forms.CharField(
        max_length=100,
        widget=forms.TextInput(attrs={"autocomplete": "family-name"}),
        error_messages={"required": "Enter your last name."},
    )
    email = forms.EmailField(
        label="Work email address",
        max_length=254,
        help_text="We send a code to this address to confirm it; you sign in with it later.",
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
        error_messages={
            "required": "Enter your work email address.",
            "invalid": "Enter an email address like name@hospital.eu.",
        },
    )
    hospital = forms.ChoiceField(
        choices=(),
        help_text="Hospitals taking part, by country. Not listed? Choose the last option.",
        error_messages={
            "required": "Choose your hospital, or choose to propose one.",
            "invalid_choice": "Choose a hospital from the list, or choose to propose one.",
        },
    )
    proposed_name = forms.CharField(
        label="Proposed hospital: name",
        max_length=255,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "organization"}),
    )
    proposed_city = forms.CharField(
        label="Proposed hospital: city",
        max_length=120,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "address-level2"}),
    )
    proposed_country = forms.ModelChoiceField(
        label="Proposed hospital: country",
        queryset=Country.objects.all(),
        required=False,
        empty_label="Choose the country",
        widget=forms.Select(attrs={"autocomplete": "country-name"}),
    )
    specialty = forms.CharField(
        max_length=120,
        error_messages={"required": "Enter your specialty, e.g. infectious diseases."},
    )
    role = forms.ChoiceField(
        label="Your role in the network",
        choices=Clinician.Role.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose your role in the network."},
    )
    phone = forms.CharField(
        label="Work phone",
        max_length=40,
        required=False,
        help_text="With the country code, e.g. +32 2 123 45 67.",
        widget=forms.TextInput(attrs={"autocomplete": "tel", "type": "tel"}),
    )
    languages = forms.CharField(
        label="Languages for case conferences",
        max_length=200,
        required=False,
        help_text="Comma-separated, e.g. English, French.",
    )
    consent = forms.BooleanField(
        label="I have read the privacy statement and agree that CMSS keeps these details",
        error_messages={
            "required": "Tick the box to agree to the privacy statement, or we cannot enrol you."
        },
    )

    def __init__(self, *args, privacy_statement=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.privacy_statement = privacy_statement
        self.fields["hospital"].choices = hospital_choices()
        for name, field in self.fields.items():
            if name != "role":
                field.widget.attrs.setdefault("id", f"id_{name}")

    def clean_hospital(self):
        value = self.cleaned_data["hospital"]
        if value == PROPOSE:
            return None
        try:
            return Hospital.objects.get(pk=int(value), taking_part=True)
        except (ValueError, Hospital.DoesNotExist):
            raise forms.ValidationError(
                "Choose a hospital from the list, or choose to propose one."
            ) from None

    def clean(self):
        cleaned = super().clean()
        if "hospital" in cleaned and cleaned["hospital"] is None:
            for name, what in (
                ("proposed_name", "the name of the hospital you propose"),
                ("proposed_city", "the city of the hospital you propose"),
                ("proposed_country", "the country of the hospital you propose"),
            ):
                if not cleaned.get(name):
                    self.add_error(name, f"Enter {what}, or choose your hospital from the list.")
        hospital = cleaned.get("hospital")
        if (
            cleaned.get("role") == Clinician.Role.CONTACT_PERSON
            and hospital is not None
            and contact_persons_of(hospital.pk).count() >= MAX_CONTACT_PERSONS
        ):
            self.add_error(
                "role",
                f"{hospital} already has {MAX_CONTACT_PERSONS} contact persons and a hospital "
                "names at most two. Choose “Case manager” or “Other”, or ask the helpdesk.",
            )
        if self.privacy_statement is None:
            raise forms.ValidationError(
                "Enrolment is paused: no privacy statement is in force. Please try again later."
            )
        return cleaned
