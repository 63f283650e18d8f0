"""Phone numbers as the directory stores them: E.164 (+3225550101), checked with `phonenumbers`.

One function for enrolment, the account page and the import, so a number is judged the same
way wherever it is typed.
"""

import phonenumbers

INVALID_PHONE_MESSAGE = (
    "Enter a phone number with its country code, e.g. +32 2 555 01 01 (or leave it empty)."
)


class InvalidPhoneNumber(ValueError):
    """The text is not a phone number that could be dialled."""


def normalise_phone(raw, country_code=None):
    """The number in E.164, or "" when `raw` is empty.

    `country_code` (ISO 3166 alpha-2, e.g. the hospital's country) lets a national number
    without +/00 be read. Raises InvalidPhoneNumber with INVALID_PHONE_MESSAGE otherwise.
    """
    text = (raw or "").strip()
    if not text:
        return ""
    region = (country_code or "").upper() or None
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        raise InvalidPhoneNumber(INVALID_PHONE_MESSAGE) from None
    if not phonenumbers.is_valid_number(number):
        raise InvalidPhoneNumber(INVALID_PHONE_MESSAGE)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def display_phone(e164):
    """A stored E.164 number written the international way people read it (+32 2 555 01 01)."""
    if not e164:
        return ""
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
