"""Hospital record, insurance and identity numbers announced by a word: "MRN 4471902",
"dossier n° 2023-11845", "Fallnummer 8812345", "PESEL: 61031212345".

Hospitals number their records in their own ways, with no checksum to test, so what counts here
is the word in front: a label from the lists below (English, French, German, Italian, Spanish,
Dutch, Polish, Swedish) followed, after an optional "no."/"n°"/"Nr."/":", by a code that holds
at least two digits. A national number written without its label is `numbers`' to find.
"""

import re

from .findings import Finding

__all__ = ["find_record_numbers"]

ADVICE = "Leave out identity, insurance and record numbers."

# Labels of a hospital's own record or case number. Matched without regard to case.
RECORD_LABELS = (
    r"medical record",
    r"record number",
    r"hospital number",
    r"hospital no",
    r"patient number",
    r"patient id",
    r"case number",
    r"case no",
    r"numéro de dossier",
    r"n° de dossier",
    r"numéro patient",
    r"fallnummer",
    r"fall-nr",
    r"fallnr",
    r"patientennummer",
    r"patienten-nr",
    r"patienten-id",
    r"aufnahmenummer",
    r"cartella clinica",
    r"numero di cartella",
    r"codice paziente",
    r"nosologico",
    r"historia clínica",
    r"historia clinica",
    r"número de historia",
    r"numero de historia",
    r"patiëntnummer",
    r"patientnummer",
    r"dossiernummer",
    r"ziekenhuisnummer",
    r"historii choroby",
    r"numer pacjenta",
    r"nr pacjenta",
    r"journalnummer",
    r"journalnr",
)
# Labels of insurance numbers.
INSURANCE_LABELS = (
    r"insurance number",
    r"insurance no",
    r"national insurance",
    r"social security number",
    r"numéro de sécurité sociale",
    r"sécurité sociale",
    r"carte vitale",
    r"versichertennummer",
    r"versicherungsnummer",
    r"sozialversicherungsnummer",
    r"krankenversichertennummer",
    r"tessera sanitaria",
    r"seguridad social",
    r"tarjeta sanitaria",
    r"verzekeringsnummer",
    r"polisnummer",
    r"numer ubezpieczenia",
    r"nr ubezpieczenia",
    r"försäkringsnummer",
)
# Labels of identity documents and national numbers.
IDENTITY_LABELS = (
    r"passport",
    r"passeport",
    r"identity card",
    r"id card",
    r"carte d'identité",
    r"personalausweis",
    r"reisepass",
    r"carta d'identità",
    r"codice fiscale",
    r"pasaporte",
    r"paspoort",
    r"burgerservicenummer",
    r"dowód osobisty",
    r"dowodu osobistego",
    r"paszport",
    r"personnummer",
    r"samordningsnummer",
)
# Acronyms, matched in capitals only ("nie" is Polish for "no").
ACRONYMS = {
    "record": ("MRN", "IPP", "NHC"),
    "insurance": ("NIR", "SSN", "NUSS", "AHV", "SVNR", "KVNR"),
    "identity": ("DNI", "NIE", "BSN", "PESEL", "CNP", "EGN", "OIB", "AMKA", "CPR", "HETU", "PPS"),
}
# Words with other meanings ("we record 12 seizures a day", "NHS 2019 guidance", "le dossier
# de 2021"): a label only when "no.", "n°", "number", "#" or ":" follows them.
AMBIGUOUS_LABELS = {
    "record": (r"(?i:record|dossier|cartella)", "ID"),
    "insurance": ("NHS",),
    "identity": (r"(?i:pass)",),
}
WHY = {
    "record": "looks like a hospital record number",
    "insurance": "looks like an insurance number",
    "identity": "looks like an identity number",
}

# Between the label and the code: punctuation and the word for "number" in each language.
_FILLER = (
    r"(?:[\s:#=()\-]|n°|nº|n\.º|no\.|no\b|nr\.|nr\b|n\.|num\.|number|numéro|nummer|numero|"
    r"número|numer|is|est|ist|è|es|är|jest)*"
)
_MARKER = (
    r"(?:n°|nº|n\.º|no\.|no\b|nr\.|nr\b|n\.|num\.|number|numéro|nummer|numero|número|numer|#|:)"
)
# The code: letters, digits and inner separators, with at least two digits; or groups of
# digits with spaces between them ("943 476 5919").
_CODE = (
    r"(?P<code>\d{1,4}(?: \d{1,4}){1,5}(?![\w/])"
    r"|(?=[\w/.\-]*\d[\w/.\-]*\d)[A-Za-z0-9](?:[A-Za-z0-9/.\-]*[A-Za-z0-9])?)"
)


def _pattern(labels, acronyms, ambiguous):
    words = "|".join(sorted(labels, key=len, reverse=True))
    capitals = "|".join(acronyms)
    either = "|".join(ambiguous)
    return re.compile(
        rf"(?<!\w)(?:(?:(?i:{words})|{capitals})(?!\w)\.?{_FILLER}"
        rf"|(?:{either})(?!\w)\.?\s*{_MARKER}{_FILLER}){_CODE}(?![\w/])"
    )


PATTERNS = {
    "record": _pattern(RECORD_LABELS, ACRONYMS["record"], AMBIGUOUS_LABELS["record"]),
    "insurance": _pattern(INSURANCE_LABELS, ACRONYMS["insurance"], AMBIGUOUS_LABELS["insurance"]),
    "identity": _pattern(IDENTITY_LABELS, ACRONYMS["identity"], AMBIGUOUS_LABELS["identity"]),
}


def find_record_numbers(text):
    """Every labelled record, insurance or identity number in `text`, as findings."""
    findings = []
    for kind, pattern in PATTERNS.items():
        for match in pattern.finditer(text):
            findings.append(
                Finding(
                    f"{kind} number",
                    match.group(),
                    match.start(),
                    match.end(),
                    WHY[kind],
                    ADVICE,
                )
            )
    return findings
