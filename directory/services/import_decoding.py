"""Spotting text that was mis-decoded before it reached the import, and saying what it probably was.

A cell such as "MÃ¼nchen" is UTF-8 that some program read as Windows-1252 or Latin-1 (Excel opening
a CSV, a copy through an old database) and saved again: the file itself is valid UTF-8, so only the
text shows it. `mis_decoding` asks ftfy, the library made for exactly this, and returns what a person
needs to correct it: the text as it is, what it probably should be, and how it went wrong. Pure: no
file, no database.
"""

import unicodedata
from dataclasses import dataclass

import ftfy

# Only the encoding repairs: quotes, ligatures, widths and HTML entities in a name are not faults.
_ENCODING_ONLY = ftfy.TextFixerConfig(
    unescape_html=False,
    remove_terminal_escapes=False,
    fix_latin_ligatures=False,
    fix_character_width=False,
    uncurl_quotes=False,
    fix_line_breaks=False,
    fix_surrogates=False,
    remove_control_chars=False,
    normalization=None,
)
# ftfy's names for the encodings a text was read as, in words a spreadsheet user knows.
_READ_AS = {
    "latin-1": "Windows-1252 (Latin-1)",
    "sloppy-windows-1252": "Windows-1252 (Latin-1)",
    "windows-1252": "Windows-1252 (Latin-1)",
    "sloppy-windows-1250": "Windows-1250 (Central European)",
    "iso-8859-2": "ISO 8859-2 (Central European)",
    "sloppy-windows-1251": "Windows-1251 (Cyrillic)",
    "macroman": "Mac Roman",
    "cp437": "the DOS code page 437",
}
_WINDOWS_1252 = "sloppy-windows-1252"  # registered by ftfy: Windows-1252 with its gaps filled
SAVE_AS_UTF8 = (
    'correct the cell, or open the original in the program that made it and save it as "CSV UTF-8" '
    "(or .xlsx), then import it again"
)


@dataclass(frozen=True)
class MisDecoding:
    """Why `text` looks mis-decoded: `probably` is what it should say (None when that cannot be
    told), `read_as` the encoding it was wrongly read as (None when not known), `lost` whether it
    holds U+FFFD, the mark of a character dropped by an earlier decoding."""

    text: str
    probably: str | None = None
    read_as: str | None = None
    lost: bool = False

    def __str__(self):
        if self.lost:
            return (
                f"{self.text!r} holds U+FFFD (�), a character lost when the text was decoded "
                "on its way here; what it was cannot be told"
            )
        how = f"UTF-8 text read as {self.read_as}" if self.read_as else "mis-decoded text"
        if self.probably is None:
            return f"{self.text!r} looks like {how}; what it should be cannot be told for sure"
        return f"{self.text!r} looks like {how}; it probably should be {self.probably!r}"


def mis_decoding(text):
    """A MisDecoding saying what is wrong with `text`, or None when it looks fine.

    ftfy decides first (`fix_and_explain` with only its encoding repairs). ftfy leaves alone a few
    short sequences that are also real letters followed by punctuation, such as "Å " for "Š" or
    "Ã…" for "Å"; those are taken as mis-decoded only when the whole text reads back as UTF-8 from
    Windows-1252 into letters and no combining marks (so the Czech "MÍŠA" stays a name).
    """
    if text.isascii():
        return None
    if "\ufffd" in text:
        return MisDecoding(text, lost=True)
    fixed, steps = ftfy.fix_and_explain(text, _ENCODING_ONLY)
    if fixed != text:
        encodings = [argument for step, argument in steps if step == "encode"]
        read_as = _READ_AS.get(encodings[0], encodings[0]) if encodings else None
        return MisDecoding(text, fixed, read_as)
    whole = _read_back(text)
    if whole is not None:
        return MisDecoding(text, whole, _READ_AS[_WINDOWS_1252])
    if ftfy.badness.is_bad(text):
        return MisDecoding(text)  # bad, though ftfy cannot say what it was
    return None


def _read_back(text):
    """`text` as UTF-8 read back from Windows-1252, if every byte decodes and the result is
    plausible text; otherwise None."""
    try:
        decoded = text.encode(_WINDOWS_1252).decode("utf-8")
    except UnicodeError:
        return None
    if decoded == text or ftfy.badness.is_bad(decoded):
        return None
    if any(
        unicodedata.category(character)[0] in "MC"
        for character in decoded
        if not character.isascii()
    ):
        return None
    return decoded
