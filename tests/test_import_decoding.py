"""Spotting and explaining mis-decoded text in an imported cell (directory/services/import_decoding.py):
a pure function, tried here on names from several of the network's languages."""

import pytest

from directory.services.import_decoding import MisDecoding, mis_decoding

# Real names and places, each with letters that a mis-decoding could produce or be mistaken for.
FINE = [
    "Ärzte",
    "München",
    "Klinikum Großhadern",
    "Straße",
    "Hôpital Bichat",
    "Saint-Étienne",
    "Crème",
    "Łódź",
    "Wrocław",
    "Śląski Szpital",
    "Żółć",
    "Malmö",
    "Göteborg",
    "Åre",
    "ÅÄÖ",
    "Ærøskøbing",
    "Příbram",
    "Jiří",
    "MÍŠA",
    "ČERNÁ",
    "ŠKODA",
    "Ústí nad Labem",
    "São Paulo",
    "Αθήνα",
    "O\u2019Brien",  # a typographic apostrophe is not a fault
    "Œuvre",
    "€ 100",
    "Klinikum rechts der Isar",  # plain ASCII
    "",
]

# (the original, as some program wrongly read its UTF-8 bytes)
MIS_DECODED = [
    ("München", "cp1252"),
    ("Ärzte", "cp1252"),
    ("Universitätsklinikum Düsseldorf", "latin-1"),
    ("Hôpital Bichat", "cp1252"),
    ("Saint-Étienne", "cp1252"),
    ("Besançon", "latin-1"),
    ("Łódź", "latin-1"),
    ("Wrocław", "cp1252"),
    ("Śląsk", "cp1252"),
    ("Poznań", "latin-1"),
    ("Malmö", "cp1252"),
    ("Växjö", "latin-1"),
    ("Åre", "cp1252"),
    ("Příbram", "latin-1"),
    ("Česká", "cp1252"),
    ("Škoda", "cp1252"),
    ("Αθήνα", "cp1252"),
]


@pytest.mark.parametrize("text", FINE)
def test_text_that_is_fine_is_not_flagged(text):
    assert mis_decoding(text) is None


@pytest.mark.parametrize(("original", "read_as"), MIS_DECODED)
def test_mis_decoded_text_is_flagged_with_what_it_probably_was(original, read_as):
    text = original.encode("utf-8").decode(read_as)
    assert text != original

    problem = mis_decoding(text)

    assert isinstance(problem, MisDecoding)
    assert (problem.text, problem.probably) == (text, original)
    assert problem.read_as == "Windows-1252 (Latin-1)"
    # What a person reads: the text as it is, what it should be, and how it went wrong.
    assert str(problem) == (
        f"{text!r} looks like UTF-8 text read as Windows-1252 (Latin-1); "
        f"it probably should be {original!r}"
    )


def test_a_lost_character_is_flagged_without_a_guess():
    problem = mis_decoding("H\ufffdpital Bichat")
    assert problem.probably is None
    assert "U+FFFD" in str(problem) and "cannot be told" in str(problem)


def test_only_encoding_faults_are_repaired_in_the_guess():
    # ftfy would also straighten quotes and ligatures: those are no part of the guess.
    problem = mis_decoding("Dâ€™Angelo ﬁrst")
    assert problem.probably == "D\u2019Angelo ﬁrst"


def test_a_name_with_mis_decoded_and_correct_parts():
    problem = mis_decoding("MÃ¼ller-Łukasiewicz")
    assert problem is not None and problem.text == "MÃ¼ller-Łukasiewicz"


def test_text_mis_decoded_twice_is_traced_back_to_the_original():
    twice = "Liège".encode().decode("latin-1").encode().decode("latin-1")
    assert mis_decoding(twice).probably == "Liège"


def test_a_mis_decoding_that_cannot_be_undone_is_flagged_without_a_guess():
    # The dash's third byte was cut off with the rest of the cell.
    problem = mis_decoding("Brno â€")
    assert problem is not None and problem.probably is None and not problem.lost
    assert (
        str(problem)
        == "'Brno â€' looks like mis-decoded text; what it should be cannot be told for sure"
    )


def test_windows_1252_text_read_as_latin_1_is_told_apart():
    # The euro sign's Windows-1252 byte, read as Latin-1, is a C1 control character.
    problem = mis_decoding("Preis 100 \x80")
    assert (problem.probably, problem.written_in, problem.read_as) == (
        "Preis 100 €",
        "Windows-1252",
        "Latin-1 (ISO 8859-1)",
    )
    assert not problem.utf8_read_as_another  # its control character is no trace of a letter
    assert mis_decoding("MÃ¼nchen").utf8_read_as_another
