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
# ftfy's names for encodings, in words a spreadsheet user knows. Latin-1 and Windows-1252 agree on
# every letter, so UTF-8 read as either is named as one.
_NAMES = {
    "utf-8": "UTF-8",
    "latin-1": "Windows-1252 (Latin-1)",
    "sloppy-windows-1252": "Windows-1252 (Latin-1)",
    "windows-1252": "Windows-1252",
    "sloppy-windows-1250": "Windows-1250 (Central European)",
    "windows-1250": "Windows-1250 (Central European)",
    "iso-8859-2": "ISO 8859-2 (Central European)",
    "sloppy-windows-1251": "Windows-1251 (Cyrillic)",
    "windows-1251": "Windows-1251 (Cyrillic)",
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
    told), `written_in` the encoding it was written in and `read_as` the one it was wrongly read
    as (None when not known), `lost` whether it holds U+FFFD, the mark of a character dropped by
    an earlier decoding."""

    text: str
    probably: str | None = None
    read_as: str | None = None
    written_in: str | None = None
    lost: bool = False

    @property
    def utf8_read_as_another(self):
        """Whether this is UTF-8 read as a single-byte code page, whose leftover C1 control
        characters are the trace of the original letters (the import keeps them as given)."""
        return self.written_in == "UTF-8" and self.probably is not None

    def __str__(self):
        if self.lost:
            return (
                f"{self.text!r} holds U+FFFD (�), a character lost when the text was decoded "
                "on its way here; what it was cannot be told"
            )
        if self.read_as and self.written_in:
            how = f"{self.written_in} text read as {self.read_as}"
        else:
            how = "mis-decoded text"
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
        # ftfy undoes the last wrong reading first: its first encode step names what the text was
        # read as, the decode after it what it was written in.
        read_as = next((arg for step, arg in steps if step == "encode"), None)
        written_in = next((arg for step, arg in steps if step == "decode"), None)
        if read_as == "latin-1" and written_in and written_in != "utf-8":
            read_as = "Latin-1 (ISO 8859-1)"  # Windows-1252 text read as Latin-1: tell them apart
        return MisDecoding(text, fixed, _name(read_as), _name(written_in))
    whole = _read_back(text)
    if whole is not None:
        return MisDecoding(text, whole, _name(_WINDOWS_1252), "UTF-8")
    if ftfy.badness.is_bad(text):
        return MisDecoding(text)  # bad, though ftfy cannot say what it was
    return None


def _name(encoding):
    return _NAMES.get(encoding, encoding) if encoding else None


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
