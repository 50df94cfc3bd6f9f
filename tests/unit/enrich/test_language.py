"""Language detection: a code when the text says enough, nothing when it does not."""

import pytest

from newswire_enrich.language import detect_language


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("The minister said the talks would resume in the capital next week.", "en"),
        (
            "Der Minister sagte, die Gespräche würden nächste Woche in der Hauptstadt beginnen.",
            "de",
        ),
        ("Le ministre a déclaré que les négociations reprendraient la semaine prochaine.", "fr"),
    ],
)
def test_the_language_of_a_sentence_is_detected(text: str, language: str) -> None:
    assert detect_language(text) == language


@pytest.mark.parametrize("text", ["", "OK", "2024-09-11 12:00 - 3 - 4", "Hi there you"])
def test_too_little_text_has_no_language(text: str) -> None:
    assert detect_language(text) is None
