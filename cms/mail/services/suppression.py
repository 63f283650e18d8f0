"""Addresses that must not be mailed (``SuppressedAddress``): mail to them is held, with why."""

from cms.mail.models import SuppressedAddress


def suppression_for(address):
    """The flag on ``address`` (any case), or None."""
    return SuppressedAddress.objects.filter(email=address.strip().lower()).first()


def held_reason(suppressed):
    """What a held message says about why it was not sent."""
    since = f"{suppressed.created_at:%Y-%m-%d %H:%M}"
    return f"Held: {suppressed.email} is flagged ({suppressed.reason}) since {since}."
