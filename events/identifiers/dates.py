"""Exact dates that could be a date of birth, in the ways Europeans write them.

A date with a day, a month and a year that has already come (from 1900 to today) could be a
date of birth, so it is refused; near a word for "born" the reason says so. What stays clinical
passes: a month and a year ("March 2024"), a day and a month without a year, a year alone, relative
dates ("day 5 of admission"), and dates still to come (when the conference should take place).
"""

import datetime
import re

from .findings import Finding
from .vocabulary import words

__all__ = ["find_dates"]

ADVICE = "Give the age in years, or a relative date such as “day 5 of admission”."

# Month names and their usual abbreviations, per language (Polish in the genitive that follows
# a day, and in the nominative). Lower case; matched without regard to case.
MONTHS = {
    "en": "january february march april may june july august september october november december",
    "fr": "janvier février mars avril mai juin juillet août septembre octobre novembre décembre",
    "de": "januar februar märz april mai juni juli august september oktober november dezember",
    "it": "gennaio febbraio marzo aprile maggio giugno luglio agosto settembre ottobre novembre "
    "dicembre",
    "es": "enero febrero marzo abril mayo junio julio agosto septiembre octubre noviembre diciembre",
    "nl": "januari februari maart april mei juni juli augustus september oktober november december",
    "pl": "stycznia lutego marca kwietnia maja czerwca lipca sierpnia września października "
    "listopada grudnia",
    "pl_nominative": "styczeń luty marzec kwiecień maj czerwiec lipiec sierpień wrzesień "
    "październik listopad grudzień",
    "sv": "januari februari mars april maj juni juli augusti september oktober november december",
}
# Abbreviations (a full stop after them is optional): English, then French, German, Spanish,
# Italian, Dutch and Swedish forms that differ from those.
MONTH_ABBREVIATIONS = {
    1: "jan janv ene gen",
    2: "feb febr fév févr",
    3: "mar mär mrt",
    4: "apr avr abr",
    5: "",
    6: "jun",
    7: "jul juil lug",
    8: "aug ago",
    9: "sep sept set",
    10: "oct okt ott",
    11: "nov",
    12: "dec déc dez dic",
}
ROMAN_MONTHS = words("i ii iii iv v vi vii viii ix x xi xii")

# Words for "born" and "date of birth" (English, French, German, Italian, Spanish, Dutch,
# Polish, Swedish). A date near one of them is called a date of birth.
BIRTH_WORDS = (
    "born",
    "birth",
    "dob",
    "d.o.b",
    "birthday",
    "né",
    "née",
    "naissance",
    "geboren",
    "geb",
    "geburtsdatum",
    "geburtstag",
    "nato",
    "nata",
    "nascita",
    "nacido",
    "nacida",
    "nacimiento",
    "geboortedatum",
    "urodzony",
    "urodzona",
    "urodzenia",
    "ur",
    "född",
    "födelsedatum",
    "fødd",
)


def _month_table():
    table = {}
    for names in MONTHS.values():
        for number, name in enumerate(names.split(), start=1):
            table[name] = number
    for number, names in MONTH_ABBREVIATIONS.items():
        for name in names.split():
            table[name] = number
    return table


MONTH_NUMBERS = _month_table()
_MONTH_ALTERNATIVES = "|".join(sorted(map(re.escape, MONTH_NUMBERS), key=len, reverse=True))
_ROMAN = "|".join(sorted((m.upper() for m in ROMAN_MONTHS), key=len, reverse=True))

# Not part of a longer number or decimal on either side.
_BEFORE = r"(?<![\d.,/:-])"
# Nor a quantity: "2 X 2000 mg" is a dose, not the second of October 2000.
_AFTER = r"(?![\d]|[.,/:-]\d)(?!\s?(?:mg|µg|mcg|g|kg|ml|mL|l|L|IU|UI|U|mmol|µmol)\b|\s?%)"

NUMERIC = re.compile(
    _BEFORE + r"(?P<day>\d{1,2})(?P<sep>[./-])(?P<month>\d{1,2})(?P=sep)"
    r"(?P<year>\d{4}|\d{2})" + _AFTER
)
ISO = re.compile(
    _BEFORE + r"(?P<year>\d{4})(?P<sep>[./-])(?P<month>\d{1,2})(?P=sep)(?P<day>\d{1,2})" + _AFTER
)
# "12 March 1961", "12. März 1961", "1er mars 1961", "12 de marzo de 1961", "12th of March, 1961",
# "12 marca 1961 r.", "12 III 1961".
DAY_MONTH_YEAR = re.compile(
    _BEFORE + r"(?P<day>\d{1,2})(?:st|nd|rd|th|er|e|º|°|\.)?\s+(?:of\s+|de\s+)?"
    rf"(?P<month>{_MONTH_ALTERNATIVES}|(?-i:{_ROMAN}))\b\.?,?\s+(?:de\s+|del\s+)?"
    r"(?P<year>\d{4})" + _AFTER,
    re.IGNORECASE,
)
# "March 12, 1961", "March 12th 1961".
MONTH_DAY_YEAR = re.compile(
    rf"\b(?P<month>{_MONTH_ALTERNATIVES})\b\.?\s+(?P<day>\d{{1,2}})(?:st|nd|rd|th)?,?\s+"
    r"(?P<year>\d{4})" + _AFTER,
    re.IGNORECASE,
)
BIRTH = re.compile(
    r"(?<!\w)(?:" + "|".join(map(re.escape, BIRTH_WORDS)) + r")(?!\w)", re.IGNORECASE
)


def _score_like(groups):
    """ "3/4/15" is as often a score or a ratio as a date: a two-digit year is taken only with a
    full stop between the parts, or two digits in each."""
    short = len(groups["day"]) < 2 or len(groups["month"]) < 2
    return len(groups["year"]) == 2 and groups["sep"] != "." and short


def _year(text, today):
    year = int(text)
    if len(text) == 2:
        # Two digits: this century if that is not in the future, else the last one.
        year += 2000 if year + 2000 <= today.year else 1900
    return year


def _month(text):
    if text.isdigit():
        return int(text)
    text = text.lower().rstrip(".")
    if text in ROMAN_MONTHS:
        return ROMAN_MONTHS.index(text) + 1
    return MONTH_NUMBERS.get(text)


def _real_date(day, month, year):
    try:
        return datetime.date(year, month, day)
    except ValueError:
        return None


def _near_birth_word(text, start, end):
    return BIRTH.search(text, max(0, start - 40), min(len(text), end + 25)) is not None


def find_dates(text, today=None):
    """Every exact date in `text` that could be a date of birth, as findings."""
    today = today or datetime.date.today()
    findings = []
    for pattern in (NUMERIC, ISO, DAY_MONTH_YEAR, MONTH_DAY_YEAR):
        for match in pattern.finditer(text):
            groups = match.groupdict()
            near_birth = _near_birth_word(text, match.start(), match.end())
            born_before = BIRTH.search(text, max(0, match.start() - 15), match.start())
            if pattern is NUMERIC and _score_like(groups) and not born_before:
                continue
            year = _year(groups["year"], today)
            month = _month(groups["month"])
            day = int(groups["day"])
            if month is None:
                continue
            found = _real_date(day, month, year)
            if found is None and pattern is NUMERIC:
                found = _real_date(month, day, year)  # 03/25/1961, written the American way
            if found is None or not datetime.date(1900, 1, 1) <= found <= today:
                continue
            if near_birth:
                why = "looks like a date of birth"
            else:
                why = "is an exact date, which could be a date of birth"
            findings.append(
                Finding("date of birth", match.group(), match.start(), match.end(), why, ADVICE)
            )
    return findings
