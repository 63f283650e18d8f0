"""Phone numbers, found by the `phonenumbers` library as the numbering plan of each European
state allows them (leniency VALID: a number that could be dialled there, not any digits).

Clinical numbers must pass, and some short numbers are valid in a small plan (Luxembourg accepts
"45 000"), so a match needs at least eight digits and must not be followed by a unit
("12 400/µL", "1 250 000 copies/mL").
"""

import re

from phonenumbers import Leniency, PhoneNumberMatcher

from .findings import Finding
from .vocabulary import words

__all__ = ["REGIONS", "find_phones"]

ADVICE = "Leave out phone numbers; CMSS reaches the participants itself."

# The EU and EEA states, the United Kingdom and Switzerland (ISO 3166 codes, as phonenumbers
# names its regions).
REGIONS = words(
    "AT BE BG HR CY CZ DK EE FI FR DE GR HU IE IT LV LT LU MT NL PL PT RO SK SI ES SE "
    "IS LI NO GB CH"
)

MIN_DIGITS = 8
# A number with this many digits (with the usual separators) somewhere in the text: below it,
# no region's matcher is asked.
DIGIT_RUN = re.compile(r"\+?\d(?:[\s./()-]{0,2}\d){" + str(MIN_DIGITS - 1) + ",}")
UNIT_AFTER = re.compile(
    r"\s?(?:/|per\b|mg|µg|mcg|g\b|kg|ml|mL|l\b|L\b|IU|UI|U\b|mmol|µmol|copies|cells|Kopien|copie|"
    r"copias|kopii|kopior|%)"
)


def find_phones(text):
    """Every phone number in `text` that some European plan accepts, as findings."""
    if not DIGIT_RUN.search(text):
        return []
    spans = {}
    for region in REGIONS:
        for match in PhoneNumberMatcher(text, region, leniency=Leniency.VALID):
            digits = sum(char.isdigit() for char in match.raw_string)
            if digits < MIN_DIGITS or UNIT_AFTER.match(text, match.end):
                continue
            spans.setdefault((match.start, match.end), match.raw_string)
    return [
        Finding("phone number", raw, start, end, "looks like a phone number", ADVICE)
        for (start, end), raw in sorted(spans.items())
    ]
