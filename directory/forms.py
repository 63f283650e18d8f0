"""The enrolment form of /enrol/: who the clinician is, their hospital (or one they propose), consent.

The hospital is found in two steps, so that the page never lists all 16,000 of them: the
country and part of the name or city first ("Find my hospital"), then one of at most
RESULTS_LIMIT matches (radio buttons), or a proposal. With JavaScript, static/js/enrol.js turns
the search box into a combobox fed by /enrol/hospitals/ and fills the same radio buttons.
"""

from django import forms

from cms.emails import normalise_email
from cms.text import CleanTextFormMixin
from directory.models import Clinician, Country, Hospital
from directory.phones import InvalidPhoneNumber, normalise_phone
from directory.search import country_for_code, first_found, hospitals_matching
from directory.services import contact_persons

PROPOSE = "propose"
RESULTS_LIMIT = 50
FIND_BUTTON = "find"


class HospitalSearch:
    """What the person asked for in step 1 and what it found: the radio buttons of step 2."""

    def __init__(self, country_code, query, chosen, asked):
        self.query = (query or "").strip()[:200]
        self.chosen = (chosen or "").strip()
        self.country = country_for_code(country_code)
        self.asked = asked
        self.without_country = asked and self.country is None
        self.matches = []
        self.total = 0
        if self.country is not None and (asked or self.query or self.chosen):
            self.asked = True
            found = hospitals_matching(self.country, self.query).only("name", "city")
            self.matches, self.total = first_found(found, RESULTS_LIMIT)
            self._keep_chosen_in_view()

    def _keep_chosen_in_view(self):
        """The hospital already chosen stays on the list even when the search moved on."""
        if not self.chosen.isdigit() or any(str(h.pk) == self.chosen for h in self.matches):
            return
        chosen = Hospital.objects.filter(
            pk=int(self.chosen), country=self.country, taking_part=True
        ).first()
        if chosen is not None:
            self.matches.insert(0, chosen)

    @property
    def more(self):
        return self.total > len(self.matches)

    def options(self):
        """(value, label, checked) for the radio button of each hospital found."""
        return [(str(h.pk), str(h), str(h.pk) == self.chosen) for h in self.matches]

    @property
    def proposing(self):
        return self.chosen == PROPOSE


class PersonNameForm(CleanTextFormMixin, forms.Form):
    """A person's first and last name, first on every form that asks who someone is (enrolment,
    webinar registration), with the browser's autocomplete hints."""

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


class EnrolmentForm(PersonNameForm):
    """Fields in the order the page shows them, so the error summary reads in the same order."""

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
    phone = forms.CharField(
        label="Work phone",
        max_length=40,
        required=False,
        help_text="With the country code, e.g. +32 2 123 45 67.",
        widget=forms.TextInput(attrs={"autocomplete": "tel", "type": "tel"}),
    )
    specialty = forms.CharField(
        max_length=120,
        error_messages={"required": "Enter your specialty, e.g. infectious diseases."},
    )
    languages = forms.CharField(
        label="Languages for case conferences",
        max_length=200,
        required=False,
        help_text="Comma-separated, e.g. English, French.",
    )
    country = forms.ModelChoiceField(
        label="Country of your hospital",
        queryset=Country.objects.all(),
        to_field_name="code",
        empty_label="Choose the country",
        error_messages={
            "required": "Choose the country of your hospital.",
            "invalid_choice": "Choose the country of your hospital from the list.",
        },
    )
    hospital_query = forms.CharField(
        label="Name or city of your hospital",
        max_length=200,
        required=False,
        help_text="Part of the name or the city is enough, e.g. Erasme or Bruxelles; "
        "accents and capitals do not matter.",
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    # Rendered by hand as radio buttons (step 2) or filled by the combobox: see enrol.html.
    hospital = forms.CharField(label="Your hospital", max_length=20, required=False)
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
    role = forms.ChoiceField(
        label="Your role in the network",
        choices=Clinician.Role.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose your role in the network."},
    )
    consent = forms.BooleanField(
        label="I have read the privacy statement and agree that CMSS keeps these details",
        error_messages={
            "required": "Tick the box to agree to the privacy statement, or we cannot enrol you."
        },
    )

    def __init__(self, *args, privacy_statement=None, search_asked=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.privacy_statement = privacy_statement
        for name, field in self.fields.items():
            if name != "role":
                field.widget.attrs.setdefault("id", f"id_{name}")
        typed = self.data if self.is_bound else self.initial
        self.search = HospitalSearch(
            typed.get("country"), typed.get("hospital_query"), typed.get("hospital"), search_asked
        )

    def clean_email(self):
        # One form per mailbox: "x@bücher.example" and "x@xn--bcher-kva.example" are one address.
        return normalise_email(self.cleaned_data["email"])

    def clean(self):
        cleaned = super().clean()
        country = cleaned.get("country")
        hospital = self._clean_hospital(country, cleaned.get("hospital") or "")
        cleaned["hospital"] = hospital
        # A proposed hospital is in the country chosen for the search (services/enrolment.py).
        cleaned["proposed_country"] = country
        if country is not None:  # else a national number is read once the country is chosen
            region = hospital.country.code if hospital else country.code
            try:
                cleaned["phone"] = normalise_phone(cleaned.get("phone"), region)
            except InvalidPhoneNumber as error:
                self.add_error("phone", str(error))
        if (
            cleaned.get("role") == Clinician.Role.CONTACT_PERSON
            and hospital is not None
            and not contact_persons.has_room(hospital.pk)
        ):
            self.add_error("role", contact_persons.message(hospital, public=True))
        if self.privacy_statement is None:
            raise forms.ValidationError(
                "Enrolment is paused: no privacy statement is in force. Please try again later."
            )
        return cleaned

    def _clean_hospital(self, country, choice):
        """The Hospital chosen (taking part, in the country chosen), or None for a proposal.

        Adds the error to the field the person has to change next."""
        if country is None:  # the country field's own error says what to do
            return None
        if choice == PROPOSE:
            for name, what in (
                ("proposed_name", "the name of the hospital you propose"),
                ("proposed_city", "the city of the hospital you propose"),
            ):
                if not self.cleaned_data.get(name):
                    self.add_error(name, f"Enter {what}, or choose your hospital from the list.")
            return None
        if not choice:
            if self.search.matches:
                self.add_error(
                    "hospital",
                    "Choose your hospital from the hospitals found, or choose “My hospital is "
                    "not in the list” and propose it.",
                )
            else:
                self.add_error(
                    "hospital_query",
                    "Type part of your hospital's name or city and press “Find my hospital”, "
                    "then choose it from the list.",
                )
            return None
        hospital = None
        if choice.isdigit():
            hospital = Hospital.objects.filter(
                pk=int(choice), country=country, taking_part=True
            ).first()
        if hospital is None:
            self.add_error(
                "hospital",
                f"Choose a hospital of {country} from the list, or search again: the one "
                "chosen is not among the hospitals taking part there.",
            )
        return hospital
