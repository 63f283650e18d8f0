"""Repairing a spreadsheet's website cell: the address it means, when that can be told without
guessing (`repair_website`). Pure: reads and writes nothing."""

import re
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator

from directory.models import Hospital

MAX_LENGTH = Hospital._meta.get_field("website").max_length
KEPT = "kept"
NORMALISED = "normalised"
REPAIRED = "repaired"
UNUSABLE = "unusable"

# A scheme as people mistype it (htp, htttp, https, hhttp), then what should be "://" as it is
# mistyped: a missing, doubled or misplaced ":" or "/", a dot or a backslash in between.
_SCHEME = re.compile(r"(?P<scheme>h{1,2}t{1,3}p{1,2}(?P<secure>s?))(?P<separator>[:/\\.]+)", re.I)
_HOST_LIKE = re.compile(r"(?:[a-z0-9-]+\.)+[a-z]{2,}(?:[/:?#].*)?", re.I)
_PHONE_LIKE = re.compile(r"[+(]?[0-9][0-9 ()./-]{5,}")
_WWW_COMMA = re.compile(r"^www,", re.I)
_W_W_W = re.compile(r"^w\.w\.w\.", re.I)

_url_validator = URLValidator(schemes=["http", "https"])


@dataclass(frozen=True)
class WebsiteRepair:
    """What repair_website made of a cell: the address to store ("" when none) and how it got
    there: KEPT (as given), NORMALISED (https:// put before a bare host, the scheme's case),
    REPAIRED (a typo fixed: worth a warning) or UNUSABLE (left empty: worth a warning)."""

    url: str
    action: str
    reason: str = ""


def repair_website(raw):
    """The web address a spreadsheet cell means, when that can be told without guessing.

    Repaired: a missing, doubled or misplaced ``:`` or ``/`` after the scheme (``http//:www.x.at``,
    ``http:/www.x.at``, ``http:///www.x.at``), a mistyped scheme (``htp``, ``htttp``), a scheme
    written twice (``http://htttp.//www.x.cz/``), spaces anywhere (``http : //www. x.gr/``), a comma
    for the dot after ``www`` (``www,x.cz``) and ``w.w.w.`` for ``www.``. A bare host
    (``www.x.at``, ``x.at``) gets ``https://``: that is how an address is stored, not a repair, so
    it is NORMALISED and not worth a warning; so is a scheme in capitals.

    Unusable (the cell is left empty): a phone number, words that are not an address ("in
    constructie"), two addresses in one cell (separated by ``;``, ``,`` or spaces), a scheme
    other than http(s), anything the URL validator still refuses or too long to store.
    Pure: reads and writes nothing.
    """
    text = " ".join((raw or "").split())
    if not text:
        return WebsiteRepair("", KEPT)
    if _PHONE_LIKE.fullmatch(text):
        return WebsiteRepair("", UNUSABLE, "looks like a phone number")
    pieces = re.split(r"[\s;,]+", text)
    if sum(bool(_HOST_LIKE.fullmatch(_without_scheme(piece))) for piece in pieces) > 1:
        return WebsiteRepair("", UNUSABLE, "holds more than one address")

    candidate = "".join(text.split()).rstrip(";,")  # spaces inside one address are typos
    scheme, rest = "https", candidate
    match = _SCHEME.match(candidate)
    if match and ("/" in match["separator"] or ":" in match["separator"]):
        scheme = "https" if match["secure"] else "http"
        rest = candidate[match.end() :]
        while (again := _SCHEME.match(rest)) and ("/" in again["separator"]):
            rest = rest[again.end() :]  # the scheme written twice
    elif re.match(r"[a-z][a-z0-9+.-]*://", candidate, re.I):
        return WebsiteRepair("", UNUSABLE, "is not a web address (http or https)")
    rest = _W_W_W.sub("www.", _WWW_COMMA.sub("www.", rest))
    url = f"{scheme}://{rest}"
    if len(url) > MAX_LENGTH:
        return WebsiteRepair("", UNUSABLE, f"is longer than {MAX_LENGTH} characters")
    try:
        _url_validator(url)
    except ValidationError:
        return WebsiteRepair("", UNUSABLE, "is not a web address")
    if url == text:
        return WebsiteRepair(url, KEPT)
    if url.casefold() in (text.casefold(), f"https://{text}".casefold()):
        return WebsiteRepair(url, NORMALISED)
    return WebsiteRepair(url, REPAIRED)


def _without_scheme(piece):
    match = _SCHEME.match(piece)
    return piece[match.end() :] if match else piece
