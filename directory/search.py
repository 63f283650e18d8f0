"""How the directory search compares text: case, accents and spacing ignored, in any script.

SQLite's LIKE folds only ASCII letters, so each hospital and clinician keeps a folded copy of the
text it is found by (`search_text`), and a query is folded the same way before it is compared.
"""

import re
import unicodedata


def fold(text):
    """'  Łódź  MÜLLER ' → 'lodz muller'; Greek and other scripts are case-folded and lose accents."""
    decomposed = unicodedata.normalize("NFKD", (text or "").casefold())
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    # Letters that do not decompose into a base letter and an accent.
    stripped = stripped.translate(_NON_DECOMPOSING)
    return re.sub(r"\s+", " ", stripped).strip()


_NON_DECOMPOSING = str.maketrans({"ł": "l", "ø": "o", "đ": "d", "ß": "ss", "æ": "ae", "œ": "oe"})


def search_terms(query, limit=8):
    """The folded words of a query, at most `limit` of them, each at least one character."""
    return [term for term in fold(query).split(" ") if term][:limit]


def hospital_search_text(hospital, country=None):
    country = country or hospital.country
    return fold(" ".join([hospital.name, hospital.city, country.name, country.code]))


def clinician_search_text(clinician, hospital=None):
    parts = [clinician.first_name, clinician.last_name, clinician.specialty, clinician.languages]
    if hospital is not None:
        parts += [hospital.name, hospital.city, hospital.country.name, hospital.country.code]
    return fold(" ".join(parts))
