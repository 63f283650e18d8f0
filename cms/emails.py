"""One written form per mailbox, so that the same address is found however it was typed.

A domain can be written in Unicode ("bücher.example") or in its ASCII form ("xn--bcher-kva.example",
IDNA); both reach the same mailbox. Addresses are compared, and stored, in one form: the domain in
lowercase IDNA ASCII (IDNA 2008 with UTS 46 mapping, as browsers do), the part before "@" kept as
written (mail servers may treat its case as meaningful; the site's lookups ignore case anyway).
"""

import contextlib

import idna

from cms.text import clean_text

__all__ = ["normalise_email", "email_variants"]


def _ascii_domain(domain):
    domain = domain.strip().rstrip(".")
    try:
        return idna.encode(domain, uts46=True, transitional=False).decode("ascii")
    except (idna.IDNAError, UnicodeError, ValueError):
        # Not a valid domain: left for the email field's own check to refuse.
        return domain.lower()


def normalise_email(value):
    """`value` with surrounding space and control characters removed and its domain in
    lowercase IDNA ASCII: "X@Bücher.Example" → "X@xn--bcher-kva.example". Anything without an
    "@" (or not a string) is returned cleaned but otherwise as it was."""
    if not isinstance(value, str):
        return value
    value = clean_text(value).strip()
    local, at, domain = value.rpartition("@")
    if not at or not local or not domain:
        return value
    return f"{local}@{_ascii_domain(domain)}"


def email_variants(value):
    """The forms an address may have been stored in before addresses were normalised: the
    normalised one and the one with its domain in Unicode (both lowercase), for lookups."""
    normalised = normalise_email(value or "")
    local, at, domain = normalised.rpartition("@")
    variants = {normalised.lower()}
    if at and "xn--" in domain:
        with contextlib.suppress(idna.IDNAError, UnicodeError, ValueError):
            variants.add(f"{local}@{idna.decode(domain)}".lower())
    return variants
