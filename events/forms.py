"""Forms of the webinar registration: who registers, the emailed code, and the one-click button."""

from django import forms

from cms.text import CleanTextFormMixin
from directory.forms import PersonNameForm
from directory.models import Country


class RegistrationForm(PersonNameForm):
    """Fields in the order the page shows them, so the error summary reads in the same order."""

    email = forms.EmailField(
        label="Email address",
        max_length=254,
        help_text="We send a code to this address to confirm it, then your invitation.",
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
        error_messages={
            "required": "Enter your email address.",
            "invalid": "Enter an email address like name@hospital.eu.",
        },
    )
    profession = forms.CharField(
        max_length=120,
        help_text="e.g. intensive care physician, nurse, pharmacist.",
        widget=forms.TextInput(attrs={"autocomplete": "organization-title"}),
        error_messages={"required": "Enter your profession, e.g. nurse."},
    )
    country = forms.ModelChoiceField(
        label="Country where you work",
        queryset=Country.objects.all(),
        to_field_name="code",
        empty_label="Choose the country",
        error_messages={
            "required": "Choose the country where you work.",
            "invalid_choice": "Choose the country where you work from the list.",
        },
    )
    consent = forms.BooleanField(
        label="I have read the privacy statement and agree that CMSS keeps these details "
        "for this webinar",
        error_messages={
            "required": "Tick the box to agree to the privacy statement, or we cannot register you."
        },
    )

    def __init__(self, *args, privacy_statement=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.privacy_statement = privacy_statement

    def clean_email(self):
        return self.cleaned_data["email"].strip().lower()

    def clean(self):
        cleaned = super().clean()
        if self.privacy_statement is None:
            raise forms.ValidationError(
                "Registration is paused: no privacy statement is in force. Please try again later."
            )
        return cleaned


class CodeForm(CleanTextFormMixin, forms.Form):
    code = forms.CharField(
        label="Code from the email",
        max_length=12,
        help_text="Six digits, e.g. 123456.",
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "id": "id_code"}
        ),
        error_messages={"required": "Enter the six-digit code we sent you."},
    )

    def clean_code(self):
        code = "".join(self.cleaned_data["code"].split())
        if not (code.isdigit() and len(code) == 6):
            raise forms.ValidationError("Enter the six digits of the code, e.g. 123456.")
        return code
