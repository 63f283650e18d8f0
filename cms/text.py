"""Text that people send (forms, imported files, webhooks) cleaned of characters nobody types.

`clean_text` removes what breaks storage or exports and is never meant as content:

- NUL (PostgreSQL refuses it in text columns) and every other C0 control character, DEL and the
  C1 controls (U+0080 to U+009F). openpyxl refuses to write most of them into an XLSX cell
  (IllegalCharacterError), so one of them in a name would stop every export of the directory.
- Lone surrogates (U+D800 to U+DFFF): they cannot be encoded as UTF-8, so neither PostgreSQL nor
  an export can store them.
- The two noncharacters U+FFFE and U+FFFF, which XML (and so XLSX) does not allow.

Line breaks and tabs are kept only where the field allows several lines (``multiline=True``):
there CR LF and a lone CR become LF, and vertical tab, form feed, NEL and the Unicode line and
paragraph separators become LF too. In a one-line field every one of those whitespace controls
becomes a single space, so "Anna\\tMaria" stays two words. Other characters (letters of every
script, emoji, zero-width joiners) are left alone.
"""

import re

__all__ = ["CleanTextFormMixin", "clean_form_data", "clean_text", "has_control_characters"]

# Whitespace-like controls: a space on one line, a line break (or tab) where lines are allowed.
_LINE_BREAKS = "\n\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"
_SPACES = "\t\x1f"

_REMOVED = dict.fromkeys((*range(0x00, 0x20), *range(0x7F, 0xA0), 0xFFFE, 0xFFFF))

_SINGLE_LINE = dict(_REMOVED)
_SINGLE_LINE.update({ord(char): " " for char in _LINE_BREAKS + _SPACES})

_MULTILINE = dict(_REMOVED)
_MULTILINE.update({ord(char): "\n" for char in _LINE_BREAKS})
_MULTILINE[ord("\t")] = "\t"
_MULTILINE[0x1F] = " "

_C1 = range(0x80, 0xA0)
_SINGLE_LINE_KEEP_C1 = {k: v for k, v in _SINGLE_LINE.items() if k not in _C1 or k == 0x85}
_MULTILINE_KEEP_C1 = {k: v for k, v in _MULTILINE.items() if k not in _C1 or k == 0x85}

_SURROGATES = re.compile("[\ud800-\udfff]")
_UNWANTED = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


def clean_text(value, multiline=False, *, keep_c1=False):
    """`value` without control characters, lone surrogates or U+FFFE/U+FFFF (see the module).

    `keep_c1` leaves the C1 controls (U+0080 to U+009F, but NEL) in place: the import keeps text
    that looks like UTF-8 mis-read as Windows-1252 as it was given, and there they are what is
    left of the original letters (storage and exports accept them).

    Anything that is not a string (None, a number) is returned as it is, so a form's or a JSON
    body's values can be passed through without checking their type first.
    """
    if not isinstance(value, str):
        return value
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    if keep_c1:
        value = value.translate(_MULTILINE_KEEP_C1 if multiline else _SINGLE_LINE_KEEP_C1)
    else:
        value = value.translate(_MULTILINE if multiline else _SINGLE_LINE)
    return _SURROGATES.sub("", value)


def has_control_characters(value):
    """True when `value` holds a character `clean_text` would remove (tab, CR and LF do not count)."""
    return isinstance(value, str) and _UNWANTED.search(value) is not None


class CleanTextFormMixin:
    """For a Form: every text value posted is passed through `clean_text` before any field sees
    it (one line, or several for a field whose widget is a Textarea). Put it before the form's
    base class: ``class MyForm(CleanTextFormMixin, forms.Form)``. Uploaded files are untouched."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.is_bound:
            from django import forms

            multiline = {
                self.add_prefix(name)
                for name, field in self.fields.items()
                if isinstance(field.widget, forms.Textarea)
            }
            self.data = clean_form_data(self.data, multiline)


def clean_form_data(data, multiline=()):
    """A copy of `data` (a QueryDict or a dict) with every string value cleaned; the keys in
    `multiline` keep their tabs and line breaks."""
    if hasattr(data, "lists"):
        copy = data.copy()
        for key, values in data.lists():
            copy.setlist(key, [clean_text(value, key in multiline) for value in values])
        return copy
    return {
        key: (
            [clean_text(value, key in multiline) for value in values]
            if isinstance(values, list | tuple)
            else clean_text(values, key in multiline)
        )
        for key, values in data.items()
    }
