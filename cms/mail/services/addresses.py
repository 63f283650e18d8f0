"""Headers and addresses: what may reach a header line, and what counts as one recipient."""

import re

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

# Anything that could end a header line, or is a control character, becomes a space.
_HEADER_BREAKS = re.compile(r"[\x00-\x1f\x7f\x85\u2028\u2029]+")


class InvalidRecipient(ValueError):
    """The recipient address is not a single valid email address."""


def header_text(value):
    """``value`` on one line: CR, LF and other control characters cannot reach a header."""
    return " ".join(_HEADER_BREAKS.sub(" ", str(value or "")).split())


def clean_recipient(address):
    """``address`` stripped; raises ``InvalidRecipient`` unless it is one valid address."""
    address = str(address or "").strip()
    if _HEADER_BREAKS.search(address) or " " in address:
        raise InvalidRecipient(f"Not a single email address: {address!r}")
    try:
        validate_email(address)
    except ValidationError as error:
        raise InvalidRecipient(f"Not a valid email address: {address!r}") from error
    return address
