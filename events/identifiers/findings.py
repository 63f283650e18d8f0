"""What the guard reports: one `Finding` per part of a text that could identify a patient."""

from dataclasses import dataclass

__all__ = ["Finding"]


@dataclass(frozen=True)
class Finding:
    """A part of a text that looks identifying.

    `kind` says what it looks like ("name", "date of birth", ...), `text` is the part as typed,
    `start`/`end` its place in the text, `why` a plain-language phrase that completes a sentence
    about the part ("looks like a date of birth"), and `advice` what to write instead.
    """

    kind: str
    text: str
    start: int
    end: int
    why: str
    advice: str

    @property
    def span(self):
        return (self.start, self.end)

    @property
    def reason(self):
        """One line for a person: what looks identifying, and the part itself."""
        return f"{self.why}: {self.text}"

    @property
    def message(self):
        """The error a form shows on the field: the part, why, and what to do instead."""
        return f"“{self.text}” {self.why}. {self.advice}"
