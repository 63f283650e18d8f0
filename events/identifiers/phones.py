"""Phone numbers, found by the `phonenumbers` library as the numbering plan of each European
state allows them (leniency VALID: a number that could be dialled there, not any digits).

Clinical numbers must pass, and some short numbers are valid in a small plan (Luxembourg accepts
"45 000"), so a match needs at least eight digits and must not be followed by a unit
("12 400/µL", "1 250 000 copies/mL"); with exactly eight (a whole number in Denmark or Norway,
but also a sample number) it must be written or announced as a phone number.
"""

import re

from phonenumbers import Leniency, PhoneNumberMatcher

from .findings import Finding
from .vocabulary import words

__all__ = ["REGIONS", "find_phones", "looks_dialled"]

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
# Characters read on either side of a run of digits (a "+" or "Tel." in front), and the longest
# piece of a run read at once, with the overlap between pieces.
WINDOW_MARGIN = 8
WINDOW_LENGTH = 128
WINDOW_OVERLAP = 40
DATE_SHAPE = re.compile(r"\d{1,4}([./-])\d{1,2}\1\d{1,4}")
UNIT_AFTER = re.compile(
    r"\s?(?:/|per\b|mg|µg|mcg|g\b|kg|ml|mL|l\b|L\b|IU|UI|U\b|mmol|µmol|copies|cells|Kopien|copie|"
    r"copias|kopii|kopior|%)"
)


# Words that announce a phone number (English, French, German, Italian, Spanish, Dutch, Polish,
# Swedish).
PHONE_WORDS = words(
    "tel tél phone telephone mobile cell call ring "
    "téléphone portable appeler appelez "
    "telefon handy anrufen rückruf erreichbar "
    "telefono cellulare chiamare chiamate "
    "teléfono móvil llamar llamen "
    "telefoon mobiel bel bellen "
    "komórka dzwonić zadzwonić "
    "mobil ringa tlf"
)
PHONE_WORD = re.compile(r"(?<!\w)(?i:" + "|".join(PHONE_WORDS) + r")(?!\w)")


def looks_dialled(text, start, end):
    """Whether the number at text[start:end], which may also pass an ID checksum, reads as a phone
    number: written with a "+", "00" or trunk "0" in front, or after a word such as "call"."""
    if text[start:end].startswith(("+", "0")):
        return True
    return PHONE_WORD.search(text, max(0, start - 30), start) is not None


def _windows(text):
    """(offset, snippet) pairs around each run of digits long enough for a phone number: the
    matchers read these instead of the whole text, once per region. A very long run is read in
    overlapping pieces, none longer than a phone number written out could need."""
    for run in DIGIT_RUN.finditer(text):
        start = max(0, run.start() - WINDOW_MARGIN)
        end = min(len(text), run.end() + WINDOW_MARGIN)
        while True:
            piece_end = min(end, start + WINDOW_LENGTH)
            yield start, text[start:piece_end]
            if piece_end == end:
                break
            start = piece_end - WINDOW_OVERLAP


def find_phones(text):
    """Every phone number in `text` that some European plan accepts, as findings."""
    spans = {}
    for offset, snippet in _windows(text):
        for region in REGIONS:
            for match in PhoneNumberMatcher(snippet, region, leniency=Leniency.VALID):
                start, end = offset + match.start, offset + match.end
                digits = sum(char.isdigit() for char in match.raw_string)
                if digits < MIN_DIGITS or UNIT_AFTER.match(text, end):
                    continue
                if digits == MIN_DIGITS and not looks_dialled(text, start, end):
                    continue  # eight bare digits are as often a sample or a reference number
                if DATE_SHAPE.fullmatch(match.raw_string):
                    continue  # "2030-01-15" is the dates module's to judge
                spans.setdefault((start, end), match.raw_string)
    return [
        Finding("phone number", raw, start, end, "looks like a phone number", ADVICE)
        for (start, end), raw in sorted(spans.items())
    ]
