"""Street addresses: a house number next to a street word, in the order each language uses.

- number first: "12 Baker Street", "221B Elm Road" (English); "12 rue de la Paix", "3 bis
  avenue Foch" (French);
- street word, name, then number: "rue de la Loi 16" (Belgian and Swiss French); "via Roma 12",
  "piazza Duomo, 3" (Italian); "calle Mayor 5", "avenida de América, 12" (Spanish); "ul. Długa
  5/3", "al. Jana Pawła II 10" (Polish);
- one word ending in the street word, then the number: "Hauptstraße 12", "Lindenstr. 5",
  "Berliner Straße 3" (German); "Kerkstraat 12", "Stationsweg 3" (Dutch); "Storgatan 12",
  "Kungsvägen 3" (Swedish).

A street word alone ("rue", "via"), a street name without a number, and a number followed by a
unit ("Weg 12 km") pass: what identifies is a place someone lives.
"""

import re

from .findings import Finding
from .vocabulary import words

__all__ = ["find_addresses"]

ADVICE = "Leave out where the patient lives; the country or region is enough."

# Street words that follow the name and its number in English ("12 Baker Street").
ENGLISH_STREET_WORDS = words(
    "Street St Road Rd Avenue Ave Lane Ln Drive Close Way Place Square Terrace Crescent "
    "Gardens Grove Court Row Walk Boulevard Mews Hill"
)
# Street words that come after the number and before the name in French ("12 rue de la Paix").
FRENCH_STREET_WORDS = words(
    "rue avenue bd boulevard place allée chemin impasse quai route square faubourg"
)
# Street words that come first, then the name, then the number.
LEADING_STREET_WORDS = {
    "it": "via viale v.le piazza p.za p.zza piazzale corso vicolo largo lungomare strada",
    "es": "calle c/ avenida avda avda. av. plaza pza. paseo camino ronda travesía glorieta "
    "carretera",
    "pl": "ul. ulica ulicy al. aleja alei os. osiedle pl. plac",
    # Belgian and Swiss French put the number last: "rue de la Loi 16".
    "fr": "rue avenue boulevard bd chemin quai allée impasse place",
}
# Street words that end a compound street name, followed by the number.
SUFFIX_STREET_WORDS = {
    "de": "straße strasse str. weg gasse allee platz damm ufer chaussee",
    "nl": "straat laan plein gracht kade singel dijk steeg",
    "sv": "gatan vägen gränd torget stigen backen allén",
}
# After a leading street word, these small words may stand between capitalised name words.
NAME_LINKS = words("de del della dei degli di la las los y e da do dos das des du l'")

_NUMBER = r"(?P<number>\d{1,4}(?:\s?[a-wyzA-WYZ](?![a-zA-Z]))?(?:\s?/\s?\d{1,4}[a-zA-Z]?)?)"
_UNIT_AFTER = r"(?!\s?(?:mg|g|kg|ml|l|km|m|cm|mm|min|h|%|x)\b|\s?%|[.,]\d)"
# A capitalised word with a small letter after the capital: "Roma", "Długa", not "ICU".
_NAME_WORD = r"[A-ZÀ-ÖØ-ÞĀ-ſ][a-zß-öø-ÿĀ-ſ][a-zß-öø-ÿĀ-ſ'’\-]*\.?"
_SMALL = "|".join(NAME_LINKS)


def _alternatives(words):
    return "|".join(re.escape(word) for word in sorted(words, key=len, reverse=True))


ENGLISH = re.compile(
    rf"(?<![\w/.,])(?P<number>\d{{1,4}}[A-Za-z]?),?\s+(?:{_NAME_WORD}\s+){{1,3}}"
    rf"(?:{_alternatives(ENGLISH_STREET_WORDS)})\b\.?"
)
FRENCH = re.compile(
    rf"(?<![\w/.,])(?P<number>\d{{1,4}}(?:\s?(?:bis|ter|[A-C]))?),?\s+"
    rf"(?i:{_alternatives(FRENCH_STREET_WORDS)})\.?\s+"
    rf"(?:(?i:de la|de l'|du|des|de|d'|la|le|les)\s*)?{_NAME_WORD}"
    rf"(?:[\s\-]+(?:(?:de|du|des|la|le)\s+)?{_NAME_WORD})*"
)
LEADING = re.compile(
    rf"(?<![\w.])(?i:{_alternatives(words(*LEADING_STREET_WORDS.values()))})"
    rf"(?:(?<=[./])|(?!\w))\s*(?:(?:{_SMALL})\s+)*{_NAME_WORD}"
    rf"(?:\s+(?:(?:{_SMALL})\s+)*(?:{_NAME_WORD}|[IVX]+\b))*,?\s+"
    rf"(?:(?i:n\.|nº|n°|no\.|nr|nr\.|núm\.)\s*)?{_NUMBER}(?!\w){_UNIT_AFTER}"
)
SUFFIXED = re.compile(
    rf"(?<!\w)(?:[A-ZÄÖÜÅ][\w\-]*(?i:{_alternatives(words(*SUFFIX_STREET_WORDS.values()))})"
    rf"|(?:{_NAME_WORD}\s+)?(?i:Straße|Strasse|Str\.|Weg|Allee|Platz|Gasse|Damm))"
    rf"\s*,?\s*{_NUMBER}(?!\w){_UNIT_AFTER}"
)


def find_addresses(text):
    """Every street address (a street with a house number) in `text`, as findings."""
    findings = []
    for pattern in (ENGLISH, FRENCH, LEADING, SUFFIXED):
        for match in pattern.finditer(text):
            part = match.group().rstrip(" ,.")  # the full stop ends the sentence
            findings.append(
                Finding(
                    "address",
                    part,
                    match.start(),
                    match.start() + len(part),
                    "looks like a street address",
                    ADVICE,
                )
            )
    return findings
