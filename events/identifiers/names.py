"""People's names: a title before a name, a name right after a word for the patient, or a given
name followed by a surname.

Given names and surnames are the per-locale lists that Faker ships for the European locales
(`faker.providers.person.<locale>.Provider`), read as data. Three signals, from strongest:

1. a title ("Mrs", "Mme", "Herr", "Sig.ra", "Sra.", "Dhr.", "Pani", "Fru", ...) followed by a
   capitalised word: "Mrs Dupont", "Frau Müller", "pani Nowak";
2. a word for the patient ("patient", "Patientin", "paziente", "pacjentka", ...) followed by a
   capitalised word: "la patiente Martin", "pacjenta Jana Kowalskiego"; after a German noun (always
   capitalised) or a word for a person ("girl", "Kind"), the word must be a listed name;
3. a listed given name followed by a capitalised word: "Anna Kowalska". When the second word is a
   listed surname this is enough; otherwise a word for the patient or a person must be near.

What is not a patient's name passes: a colleague ("Dr Anna Schmidt", "Prof. Rossi"), a hospital
("Hôpital Robert Debré", "Policlinico Agostino Gemelli", "Szpital im. Jana Pawła II"), an eponymous
disease ("Crohn", "Wilson disease", "Morbus Parkinson"), a single initial ("patient X", "Mr K."),
and acronyms ("patient HIV-positive").
"""

import bisect
import importlib
import re
from dataclasses import dataclass
from functools import lru_cache

from .findings import Finding
from .vocabulary import words

__all__ = ["find_names", "given_names", "surnames"]

ADVICE = "Describe the patient by age and sex instead of by name."

# Faker's person providers for the EU and EEA states, the United Kingdom and Switzerland (plus
# en_US for the English names clinicians meet everywhere).
LOCALES = words(
    "bg_BG cs_CZ da_DK de_AT de_CH de_DE de_LI de_LU el_GR en_GB en_IE en_US es_ES et_EE fi_FI "
    "fr_BE fr_CH fr_FR ga_IE hr_HR hu_HU is_IS it_IT lt_LT lv_LV nl_BE nl_NL no_NO pl_PL pt_PT "
    "ro_RO sk_SK sl_SI sv_SE"
)

# Titles before a person's name. Those in EXACT_TITLES are matched as written ("Ms", not "ms",
# the unit); the others in any case ("madame", "Madame").
EXACT_TITLES = words(
    # English; French; German; Italian; Spanish; Dutch; Swedish
    "Mr Mrs Ms Mx Miss Mme Mmes Mlle Herr Herrn Frau Sig Sig.ra Sig.na Sr Sra Srta Dña "
    "Dhr Mevr Mw Hr"
)
ANY_CASE_TITLES = words(
    # French; Italian; Spanish; Dutch; Polish (with its cases); Swedish
    "monsieur madame mademoiselle sig sig.ra sig.na signor signora signorina señor señora "
    "señorita don doña "
    "mevrouw meneer pan pani pana panu panią panem herr fru fröken"
)

# Words for the patient, in English, French, German, Italian, Spanish, Dutch, Polish (with its
# cases) and Swedish.
PATIENT_WORDS = frozenset(
    words(
        "patient patients "
        "patiente patientes "
        "patientin patienten patientinnen "
        "paziente pazienti "
        "paciente pacientes "
        "patiënt patiënte patiënten "
        "pacjent pacjenta pacjentowi pacjentem pacjencie pacjentka pacjentki pacjentce pacjentką "
        "patientens patienter"
    )
)
# Words for a person, after which a listed name is a name ("a girl, Emma, ..."), and which make
# a given name and a capitalised word near them a name.
PERSON_WORDS = frozenset(
    words(
        "man woman boy girl child infant baby mother father son daughter husband wife "
        "homme femme garçon fille enfant nourrisson bébé mère père fils "
        "mann frau junge mädchen kind säugling mutter vater sohn tochter "
        "uomo donna ragazzo ragazza bambino bambina neonato neonata madre padre figlio figlia "
        "hombre mujer niño niña chico chica bebé hijo hija "
        "vrouw jongen meisje moeder vader zoon dochter "
        "mężczyzna kobieta chłopiec dziewczynka dziecko niemowlę matka ojciec syn córka "
        "kvinna pojke flicka barn spädbarn mamma pappa dotter"
    )
)
# Words that may stand between a word for the patient and the name: "a patient named Smith".
NAMING_WORDS = frozenset(
    words(
        "named called nommé nommée appelé appelée namens genannt chiamato chiamata "
        "llamado llamada genaamd heet imieniu nazwisku heter"
    )
)
# A colleague, not the patient: a name after these is left alone.
CLINICIAN_TITLES = frozenset(
    words(
        "dr dr. doctor prof prof. professor docteur pr doktor dott dott.ssa dottore dottoressa "
        "dra drs dres lek med hab colleague collègue kollege kollegin collega colega collega "
        "kollega kolega consultant"
    )
)
# Small words inside names ("de Vries", "van den Berg", "di Stefano", "de la Fuente").
PARTICLES = frozenset(words("de del della di da dos du la le van der den ten ter von zu af y"))
# Places, not people: a name inside a hospital's or institute's name, or after a saint's title.
INSTITUTION_STEMS = words(
    "hospital hôpital hopital clinic clinique clínic klinik krankenhaus spital ospedal "
    "policlinic istitut institut instytut centre center centro centrum zentrum ziekenhuis "
    "kliniek szpital sjukhus universit uniklinik fondazione fundación fondation stiftung irccs "
    "azienda chu umc"
)
SAINT_WORDS = frozenset(words("san santa sant saint sainte st ste são sankt sint im"))
# Prepositions of place: a given name and an unknown capitalised word after one of these are
# more likely a hospital ("treated at Gustave Roussy") than a person.
PLACE_WORDS = frozenset(
    words("at in from à au aux de du im am aus al all nel nella en bij uit w we z ze på i från")
)
# Prepositions that mean "at a place" and hardly ever stand before a person: a name after one is
# a hospital even when both its words are listed names ("at Evelina London").
AT_WORDS = frozenset(words("at à au aux im presso på"))
# Articles and determiners: a given name after one is a word ("eine Iris-Heterochromie"), since
# nobody writes "the Anna Schmidt".
DETERMINERS = frozenset(
    words(
        "a an the this that un une le la les ce cette ein eine einer einen der die das dem den "
        "des dieser diese uno una il lo gli questo questa el los las este esta een het deze dit "
        "en ett den det denna"
    )
)
# Endings of medical words, which German writes with a capital: a capitalised word ending so
# after a given name is a finding ("Iris Heterochromie"), not a surname.
MEDICAL_ENDINGS = words(
    "itis ose osis oma om ie ämie emia ung heit keit tion ität pathie plasie trophie algie tomie"
)
# Eponyms that name diseases and signs; a capitalised word from this list after a word for the
# patient is the disease ("patient, Wilson disease suspected"), not the patient.
EPONYMS = frozenset(
    words(
        "Addison Alzheimer Basedow Bechterew Behçet Burkitt Castleman Charcot Crohn Cushing "
        "Duchenne Ewing Fabry Gaucher Graves Guillain Hashimoto Hodgkin Horton Huntington "
        "Kaposi Kawasaki Lyme Marfan Menière Ménière Paget Parkinson Pompe Raynaud Sjögren Still "
        "Takayasu Waldenström Wegener Whipple Wilms Wilson"
    )
)
# Words that, after a name, make it a disease or a score: "Wilson disease", "Crohn-Krankheit".
DISEASE_WORDS = frozenset(
    words(
        "disease syndrome sign score criteria classification lymphoma sarcoma tumour tumor "
        "maladie syndrome krankheit syndrom malattia sindrome enfermedad síndrome ziekte syndroom "
        "choroba zespół sjukdom"
    )
)
# Capitalised words that follow a title or a German word for the patient without being a name:
# "eine Frau Mitte 50", "Patientin Anfang 70".
NOT_NAMES = frozenset(words("Anfang Mitte Ende"))

TOKEN = re.compile(r"[^\W\d_]+(?:['’\-][^\W\d_]+)*\.?")
TITLE = re.compile(
    r"(?<![\w.])(?:"
    + "|".join(re.escape(t) for t in sorted(EXACT_TITLES, key=len, reverse=True))
    + r"|(?i:"
    + "|".join(re.escape(t) for t in sorted(ANY_CASE_TITLES, key=len, reverse=True))
    + r")|M(?=\.\s*[A-Z]))(?!\w)\.?"
)
# Elided articles and prepositions (French, Italian) before a word: "l'", "d'", "dall'".
ELISION = re.compile(
    r"(?i:l|d|j|n|s|c|qu|jusqu|lorsqu|dall|dell|nell|all|sull|un|quell)['’](?=[^\W\d_])"
)
NEIGHBOURHOOD = 12  # tokens on either side that count as "near"


@dataclass(frozen=True)
class _Token:
    text: str  # without a trailing full stop
    start: int
    end: int
    dotted: bool

    @property
    def lower(self):
        return self.text.lower()

    @property
    def capitalised(self):
        """A capital then a small letter: "Dupont", "Jean-Pierre", "O'Brien"."""
        word = self.text
        if len(word) > 3 and word[1] in "'’" and word[0].isupper():
            word = word[2:]  # O'Brien, D'Angelo
        return len(word) > 1 and word[0].isupper() and word[1].islower()

    @property
    def capitals(self):
        return len(self.text) > 1 and self.text.isupper()

    @property
    def initial(self):
        return len(self.text) == 1 and self.text.isupper() and self.dotted


def _tokens(text):
    tokens = []
    for match in TOKEN.finditer(text):
        word = match.group()
        start = match.start()
        elided = ELISION.match(word)
        if elided:  # "l'Institut" is "Institut", "dall'Ospedale" is "Ospedale"
            start += elided.end()
            word = word[elided.end() :]
        dotted = word.endswith(".")
        word = word.rstrip(".")
        if word[-2:] in ("'s", "’s") and len(word) > 3:
            word = word[:-2]  # "Durand's case" is Durand's; "Wilson's disease" a disease
        tokens.append(_Token(word, start, start + len(word), dotted))
    return tokens


def _names_of(locale, part):
    provider = importlib.import_module(f"faker.providers.person.{locale}").Provider
    names = set()
    for attribute in dir(provider):
        if part not in attribute or attribute.startswith("_"):
            continue
        value = getattr(provider, attribute)
        if isinstance(value, dict):
            value = value.keys()
        if isinstance(value, (list, tuple, set, frozenset, type({}.keys()))):
            names.update(name for name in value if isinstance(name, str))
    return names


@lru_cache(maxsize=1)
def given_names():
    """Every given name Faker lists for the European locales."""
    names = set()
    for locale in LOCALES:
        names |= _names_of(locale, "first_name")
    return frozenset(name for name in names if len(name) > 1)


@lru_cache(maxsize=1)
def surnames():
    """Every surname Faker lists for the European locales, with the feminine forms of Polish
    surnames in -ski, -cki and -dzki (Faker lists the masculine ones)."""
    names = set()
    for locale in LOCALES:
        names |= _names_of(locale, "last_name")
    feminine = {name[:-1] + "a" for name in names if name.endswith(("ski", "cki", "dzki"))}
    return frozenset(name for name in names | feminine if len(name) > 1)


def _is_listed(token):
    """Whether the token, or a part of a double-barrelled name, is a listed given name or
    surname."""
    word = token.text.title() if token.capitals else token.text
    parts = [word, *re.split(r"[-'’]", word)]
    return any(part in given_names() or part in surnames() for part in parts)


def _joined(text, left, right, allowed=" "):
    """Whether only spaces (or the `allowed` characters) stand between two tokens."""
    gap = text[left.end : right.start]
    if left.dotted:
        gap = gap[1:]
    return gap != "" and all(char in allowed or char.isspace() for char in gap)


def _name_tokens(text, tokens, index, allow_capitals):
    """The tokens of a name starting at `index`: given names, initials, particles and the
    surname, at most five; None when no capitalised word of two letters or more is there.
    `allow_capitals` takes words in capitals too ("Mme DUPONT"), as after a title."""
    taken = []
    i = index
    while i < len(tokens) and len(taken) < 5:
        token = tokens[i]
        if taken and not _joined(text, taken[-1], token, "-"):
            break
        if token.lower in PARTICLES and not token.dotted and taken:
            # A particle inside a name, only if a name word follows it.
            if i + 1 < len(tokens) and (tokens[i + 1].capitalised or tokens[i + 1].capitals):
                taken.append(token)
                i += 1
                continue
            break
        if token.capitalised or token.initial or (allow_capitals and token.capitals):
            taken.append(token)
            if token.dotted and not token.initial:
                break  # a full stop ends the sentence, and the name
            i += 1
            continue
        if token.lower in PARTICLES and not taken and i + 1 < len(tokens):
            taken.append(token)  # "De Vries", "van den Berg" straight after the title
            i += 1
            continue
        break
    while taken and (taken[-1].lower in PARTICLES or taken[-1].initial):
        taken.pop()
    words = [t for t in taken if t.lower not in PARTICLES and not t.initial]
    if not words:
        return None
    return taken


def _is_colleague(tokens, index):
    before = tokens[max(0, index - 2) : index]
    return any(t.lower in CLINICIAN_TITLES or t.lower + "." in CLINICIAN_TITLES for t in before)


def _in_institution(tokens, index):
    """Whether the name at `index` is part of a hospital's name or follows a saint's title."""
    if index and tokens[index - 1].lower in SAINT_WORDS:
        return True
    i = index - 1
    steps = 0
    while i >= 0 and steps < 6:
        token = tokens[i]
        if token.lower.startswith(INSTITUTION_STEMS):
            return True
        if not (token.capitalised or token.capitals or token.lower in PARTICLES):
            return False
        i -= 1
        steps += 1
    return False


def _names_a_disease(tokens, after):
    """Whether the word after a name makes it a disease ("Wilson disease", "Crohn syndrome")."""
    return after < len(tokens) and tokens[after].lower in DISEASE_WORDS


def _is_place(name):
    return any(t.lower.startswith(INSTITUTION_STEMS) for t in name)


def _patient_word_near(tokens, index, outside=None):
    """The nearest-listed word for the patient (else for a person) within NEIGHBOURHOOD tokens
    of `index`, leaving out the tokens inside `outside` (the finding's own span)."""
    window = [
        token
        for token in tokens[max(0, index - NEIGHBOURHOOD) : index + NEIGHBOURHOOD]
        if not (outside and outside[0] <= token.start < outside[1])
    ]
    for words_of in (PATIENT_WORDS, PERSON_WORDS):
        for token in window:
            if token.lower in words_of:
                return token.text
    return None


def _why(tokens, index, outside):
    near = _patient_word_near(tokens, index, outside)
    if near:
        return f"looks like a person's name next to “{near}”"
    return "looks like a person's name"


def _finding(text, tokens, start, name):
    """A name finding from `start` (the title's, or the name's own) to the end of the name."""
    end = name[-1].end
    why = _why(tokens, tokens.index(name[0]), (start, end))
    return Finding("name", text[start:end], start, end, why, ADVICE)


def _after_titles(text, tokens):
    """(start of the title, name tokens) for each title followed by a name."""
    starts = [token.start for token in tokens]
    for match in TITLE.finditer(text):
        i = bisect.bisect_left(starts, match.end())
        if i == len(tokens) or text[match.end() : tokens[i].start].strip():
            continue
        if tokens[i].lower in CLINICIAN_TITLES or tokens[i].lower + "." in CLINICIAN_TITLES:
            continue  # "Frau Dr. Schmidt" is a colleague
        name = _name_tokens(text, tokens, i, allow_capitals=True)
        if not name or name[0].text in NOT_NAMES or _is_place(name):
            continue
        yield match.start(), name


def _after_patient_words(text, tokens):
    for i, token in enumerate(tokens[:-1]):
        is_patient = token.lower in PATIENT_WORDS
        if not is_patient and token.lower not in PERSON_WORDS:
            continue
        j = i + 1
        if not _joined(text, token, tokens[j], ",:("):
            continue
        while j < len(tokens) - 1 and tokens[j].lower in NAMING_WORDS:
            j += 1
        if TITLE.match(text, tokens[j].start):
            continue  # the title's own rule reports it
        name = _name_tokens(text, tokens, j, allow_capitals=False)
        if not name or name[0].text in NOT_NAMES or _is_place(name):
            continue
        if any(t.text in EPONYMS for t in name) or _names_a_disease(tokens, j + len(name)):
            continue
        strict = not is_patient or token.text[0].isupper()
        if strict and not any(_is_listed(t) for t in name if len(t.text) > 1):
            continue
        yield name


def _given_and_surname(text, tokens):
    given = given_names()
    family = surnames()
    i = 0
    while i < len(tokens) - 1:
        token = tokens[i]
        if not token.capitalised:
            i += 1
            continue
        name = _name_tokens(text, tokens, i, allow_capitals=False)
        words = [t for t in (name or []) if t.lower not in PARTICLES and not t.initial]
        if not name or len(words) < 2:
            i += 1
            continue
        first, last = words[0], words[-1]
        forwards = first.text in given and last.text in family
        backwards = first.text in family and last.text in given  # "Kowalska Anna"
        weak = first.text in given and last.text not in family
        if not (forwards or backwards or weak):
            i += 1
            continue
        after = i + len(name)
        if (
            _is_colleague(tokens, i)
            or _in_institution(tokens, i)
            or _is_place(name)
            or (after < len(tokens) and tokens[after].lower.startswith(INSTITUTION_STEMS))
            or _names_a_disease(tokens, after)
            or any(t.text in NOT_NAMES for t in words)
        ):
            i += len(name)
            continue
        if i and tokens[i - 1].lower in AT_WORDS:
            i += len(name)  # "a biopsy at Evelina London": a place, whatever its name
            continue
        if weak and not forwards and not backwards:
            near = _patient_word_near(tokens, i)
            before = tokens[i - 1].lower if i else ""
            if (
                not near
                or before in PLACE_WORDS
                or before in DETERMINERS
                or last.lower.endswith(MEDICAL_ENDINGS)
            ):
                i += len(name)
                continue
        yield name
        i += len(name)


# After a given name, an age: "Emma, 7 years old", "Lukas, 6 Jahre", "Maria (45)".
AGE_AFTER = re.compile(
    r"\s*(?:,\s*\d{1,3}(?=\s*(?:years?\b|y\b|yo\b|-year|ans\b|jahre|anni\b|años\b|jaar\b|"
    r"lat\b|lata\b|år\b|[,;)]|$))|\(\d{1,3}\))",
    re.IGNORECASE,
)


def _given_name_with_age(text, tokens):
    given = given_names()
    for i, token in enumerate(tokens):
        if not token.capitalised or token.text not in given or token.text in EPONYMS:
            continue
        if token.dotted or not AGE_AFTER.match(text, token.end):
            continue
        if _is_colleague(tokens, i) or _in_institution(tokens, i):
            continue
        first = i
        while first > max(0, i - 3) and tokens[first - 1].capitalised:
            if not _joined(text, tokens[first - 1], tokens[first]):
                break
            first -= 1  # "Maria Grazia, 54 anni": the whole name
        yield tokens[first : i + 1]


def find_names(text):
    """Every part of `text` that looks like a person's name, as findings."""
    tokens = _tokens(text)
    findings = []
    for start, name in _after_titles(text, tokens):
        findings.append(_finding(text, tokens, start, name))
    for rule in (_after_patient_words, _given_and_surname, _given_name_with_age):
        for name in rule(text, tokens):
            findings.append(_finding(text, tokens, name[0].start, name))
    return findings
