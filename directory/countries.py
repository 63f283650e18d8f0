"""The network's countries: ISO 3166 code, English name, IANA time zone, membership.

Also the spellings a spreadsheet may use for them: EU statistics write EL for Greece and UK
for the United Kingdom.
"""

COUNTRIES = [
    ("AT", "Austria", "Europe/Vienna", "EU"),
    ("BE", "Belgium", "Europe/Brussels", "EU"),
    ("BG", "Bulgaria", "Europe/Sofia", "EU"),
    ("HR", "Croatia", "Europe/Zagreb", "EU"),
    ("CY", "Cyprus", "Asia/Nicosia", "EU"),
    ("CZ", "Czechia", "Europe/Prague", "EU"),
    ("DK", "Denmark", "Europe/Copenhagen", "EU"),
    ("EE", "Estonia", "Europe/Tallinn", "EU"),
    ("FI", "Finland", "Europe/Helsinki", "EU"),
    ("FR", "France", "Europe/Paris", "EU"),
    ("DE", "Germany", "Europe/Berlin", "EU"),
    ("GR", "Greece", "Europe/Athens", "EU"),
    ("HU", "Hungary", "Europe/Budapest", "EU"),
    ("IE", "Ireland", "Europe/Dublin", "EU"),
    ("IT", "Italy", "Europe/Rome", "EU"),
    ("LV", "Latvia", "Europe/Riga", "EU"),
    ("LT", "Lithuania", "Europe/Vilnius", "EU"),
    ("LU", "Luxembourg", "Europe/Luxembourg", "EU"),
    ("MT", "Malta", "Europe/Malta", "EU"),
    ("NL", "Netherlands", "Europe/Amsterdam", "EU"),
    ("PL", "Poland", "Europe/Warsaw", "EU"),
    ("PT", "Portugal", "Europe/Lisbon", "EU"),
    ("RO", "Romania", "Europe/Bucharest", "EU"),
    ("SK", "Slovakia", "Europe/Bratislava", "EU"),
    ("SI", "Slovenia", "Europe/Ljubljana", "EU"),
    ("ES", "Spain", "Europe/Madrid", "EU"),
    ("SE", "Sweden", "Europe/Stockholm", "EU"),
    ("IS", "Iceland", "Atlantic/Reykjavik", "EEA"),
    ("LI", "Liechtenstein", "Europe/Vaduz", "EEA"),
    ("NO", "Norway", "Europe/Oslo", "EEA"),
    ("GB", "United Kingdom", "Europe/London", "OTHER"),
]

# Other spellings found in spreadsheets, keyed by their case-folded form.
ALIASES = {
    "el": "GR",
    "uk": "GB",
    "czech republic": "CZ",
    "the netherlands": "NL",
    "holland": "NL",
    "great britain": "GB",
    "england": "GB",
    "scotland": "GB",
    "wales": "GB",
    "northern ireland": "GB",
    "slovak republic": "SK",
}


def country_code(value):
    """The ISO code for a code, an EU-statistics code or an English name; None if unknown."""
    text = " ".join((value or "").split()).casefold()
    if not text:
        return None
    for code, name, _zone, _membership in COUNTRIES:
        if text in (code.casefold(), name.casefold()):
            return code
    return ALIASES.get(text)


# Every canonical IANA zone of the countries served (from the tz database's zone.tab): the
# time-zone choices a person is offered. Aliases (Europe/Belfast, GB, Europe/Nicosia) and zones
# outside the network are left out on purpose.
ZONES_BY_COUNTRY = {
    "AT": ["Europe/Vienna"],
    "BE": ["Europe/Brussels"],
    "BG": ["Europe/Sofia"],
    "HR": ["Europe/Zagreb"],
    "CY": ["Asia/Nicosia", "Asia/Famagusta"],
    "CZ": ["Europe/Prague"],
    "DK": ["Europe/Copenhagen"],
    "EE": ["Europe/Tallinn"],
    "FI": ["Europe/Helsinki"],
    "FR": ["Europe/Paris"],
    "DE": ["Europe/Berlin", "Europe/Busingen"],
    "GR": ["Europe/Athens"],
    "HU": ["Europe/Budapest"],
    "IE": ["Europe/Dublin"],
    "IT": ["Europe/Rome"],
    "LV": ["Europe/Riga"],
    "LT": ["Europe/Vilnius"],
    "LU": ["Europe/Luxembourg"],
    "MT": ["Europe/Malta"],
    "NL": ["Europe/Amsterdam"],
    "PL": ["Europe/Warsaw"],
    "PT": ["Europe/Lisbon", "Atlantic/Madeira", "Atlantic/Azores"],
    "RO": ["Europe/Bucharest"],
    "SK": ["Europe/Bratislava"],
    "SI": ["Europe/Ljubljana"],
    "ES": ["Europe/Madrid", "Africa/Ceuta", "Atlantic/Canary"],
    "SE": ["Europe/Stockholm"],
    "IS": ["Atlantic/Reykjavik"],
    "LI": ["Europe/Vaduz"],
    "NO": ["Europe/Oslo"],
    "GB": ["Europe/London"],
}


def time_zone_choices():
    """(zone, label) pairs for a choice field: every zone of the countries served, labelled
    with its country, sorted by country name, then zone."""
    names = {code: name for code, name, _zone, _membership in COUNTRIES}
    pairs = []
    for code in sorted(ZONES_BY_COUNTRY, key=names.__getitem__):
        zones = ZONES_BY_COUNTRY[code]
        for zone in zones:
            city = zone.rsplit("/", 1)[1].replace("_", " ")
            label = names[code] if len(zones) == 1 else f"{names[code]} ({city})"
            pairs.append((zone, label))
    return pairs
