"""National identity and insurance numbers, recognised by their checksum (python-stdnum).

Every run of digits and short letter groups in the text is tried, whole and in parts, against
the personal-number modules of python-stdnum for the EU and EEA states, the United Kingdom and
Switzerland. Only a number whose check digits (or birth-date structure) hold is refused, so a lab
value, a dose or a random number passes; a number that fails every checksum but follows a word
such as "PESEL" or "MRN" is the record module's to find.
"""

import importlib
import re
from functools import cache, lru_cache

from .findings import Finding

__all__ = ["PERSONAL_NUMBERS", "find_id_numbers"]

ADVICE = "Leave out identity, insurance and record numbers."


class _Kind:
    """One personal number: its stdnum module, what to call it, and where it can be told apart
    from an ordinary number (the shapes that pass too many random numbers are narrowed)."""

    def __init__(self, module, label, lengths=None, needs_letter=False, check=None):
        self.module = module
        self.label = label
        self.lengths = lengths
        self.needs_letter = needs_letter
        self.check = check

    def accepts(self, candidate, compact):
        if self.lengths and len(compact) not in self.lengths:
            return False
        if self.needs_letter and compact.isdigit():
            return False
        if self.check and not self.check(candidate, compact):
            return False
        validator = _load(self.module)
        return any(validator.is_valid(form) for form in {candidate, candidate.upper(), compact})


def _slash_or_ten_digits(candidate, compact):
    # A 9-digit Czech or Slovak birth number (born before 1954) has no check digit: only its
    # usual written form, with the slash, is told apart from any nine digits.
    return len(compact) == 10 or "/" in candidate


def _latvian_person(candidate, compact):
    return compact[:1] in "0123"  # a leading 4 to 9 is a company's VAT number


PERSONAL_NUMBERS = (
    _Kind("at.vnr", "an Austrian social insurance number"),
    _Kind("be.nn", "a Belgian national number"),
    _Kind("be.bis", "a Belgian BIS number"),
    _Kind("be.eid", "a Belgian identity card number"),
    _Kind("bg.egn", "a Bulgarian personal number (EGN)"),
    _Kind("ch.ssn", "a Swiss social insurance number (AHV)"),
    _Kind("cz.rc", "a Czech birth number", check=_slash_or_ten_digits),
    _Kind("de.idnr", "a German tax identification number"),
    _Kind("dk.cpr", "a Danish CPR number"),
    _Kind("ee.ik", "an Estonian personal code"),
    _Kind("es.dni", "a Spanish DNI"),
    _Kind("es.nie", "a Spanish NIE"),
    _Kind("fi.hetu", "a Finnish personal identity code"),
    _Kind("fr.nir", "a French social security number (NIR)"),
    _Kind("gb.nhs", "an NHS number"),
    _Kind("gr.amka", "a Greek social security number (AMKA)"),
    _Kind("hr.oib", "a Croatian personal identification number (OIB)"),
    _Kind("ie.pps", "an Irish PPS number"),
    _Kind("is_.kennitala", "an Icelandic kennitala"),
    _Kind("it.codicefiscale", "an Italian codice fiscale", needs_letter=True),
    _Kind("lt.asmens", "a Lithuanian personal code"),
    _Kind("lv.pvn", "a Latvian personal code", check=_latvian_person),
    _Kind("nl.bsn", "a Dutch citizen service number (BSN)", lengths={9}),
    _Kind("no.fodselsnummer", "a Norwegian national identity number"),
    _Kind("pl.pesel", "a Polish PESEL number"),
    _Kind("pt.cc", "a Portuguese citizen card number", needs_letter=True),
    _Kind("ro.cnp", "a Romanian personal numeric code (CNP)"),
    _Kind("se.personnummer", "a Swedish personnummer"),
    _Kind("si.emso", "a Slovenian EMŠO"),
    _Kind("sk.rc", "a Slovak birth number", check=_slash_or_ten_digits),
)


@cache
def _load(name):
    return importlib.import_module(f"stdnum.{name}")


# A run of number-like chunks: each holds a digit, or is a letter group of at most three
# capitals (the check letter of a DNI written apart, "X-1234567-L"), joined by one separator.
CHUNK = re.compile(r"[0-9A-Za-z]+")
SEPARATORS = frozenset(" -./")
UNIT_AFTER = re.compile(
    r"\s?(?:/|per\b|mg|µg|mcg|g\b|kg|ml|mL|l\b|L\b|IU|UI|U\b|mmol|µmol|copies|cells|Kopien|copie|"
    r"copias|kopii|kopior|%)"
)
MIN_LENGTH = 8
MAX_LENGTH = 20
MIN_DIGITS = 6


def _number_like(chunk):
    return any(c.isdigit() for c in chunk) or (chunk.isupper() and len(chunk) <= 3)


def _runs(text):
    """Lists of consecutive number-like chunks (match objects)."""
    run = []
    for match in CHUNK.finditer(text):
        chunk = match.group()
        joined = bool(run) and (
            match.start() - run[-1].end() == 1 and text[run[-1].end()] in SEPARATORS
        )
        if _number_like(chunk) and (joined or not run):
            run.append(match)
            continue
        if run:
            yield run
        run = [match] if _number_like(chunk) else []
    if run:
        yield run


@lru_cache(maxsize=4096)
def _identify(candidate):
    """The labels of every personal number whose checks `candidate` passes."""
    compact = "".join(CHUNK.findall(candidate)).upper()
    if not MIN_LENGTH <= len(compact) <= MAX_LENGTH:
        return ()
    if sum(c.isdigit() for c in compact) < MIN_DIGITS:
        return ()
    return tuple(kind.label for kind in PERSONAL_NUMBERS if kind.accepts(candidate, compact))


def _longest_last(run, first):
    """The index of the last chunk that keeps the stretch from `first` within MAX_LENGTH
    characters: no personal number is longer, so longer stretches are never tried."""
    length = 0
    last = first
    for index in range(first, len(run)):
        length += len(run[index].group())
        if length > MAX_LENGTH:
            break
        last = index
    return last


def find_id_numbers(text):
    """Every national identity or insurance number in `text` whose checksum holds."""
    findings = []
    for run in _runs(text):
        first = 0
        while first < len(run):
            # The longest stretch starting here that is a valid number, if any.
            for last in range(_longest_last(run, first), first - 1, -1):
                start, end = run[first].start(), run[last].end()
                if UNIT_AFTER.match(text, end):
                    continue
                labels = _identify(text[start:end])
                if labels:
                    why = "looks like an identity or insurance number (valid as {})".format(
                        " or ".join(labels)
                    )
                    findings.append(
                        Finding("identity number", text[start:end], start, end, why, ADVICE)
                    )
                    first = last
                    break
            first += 1
    return findings
