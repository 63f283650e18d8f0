"""Email addresses: anything shaped like local-part@domain.tld."""

import re

from .findings import Finding

__all__ = ["find_emails"]

ADVICE = "Leave out email addresses; CMSS reaches the participants itself."

EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[^\W\d_]{2,}(?![\w-])")


def find_emails(text):
    """Every email address in `text`, as findings."""
    return [
        Finding("email", m.group(), m.start(), m.end(), "is an email address", ADVICE)
        for m in EMAIL.finditer(text)
    ]
