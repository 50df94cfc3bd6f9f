"""The language an article is written in, by py3langid (a small model shipped in the package)."""

from functools import cache

from py3langid.langid import MODEL_FILE, LanguageIdentifier

MIN_LETTERS = 20  # below this any guess is noise
MIN_CONFIDENCE = 0.5
SAMPLE_CHARACTERS = 5_000  # plenty to be sure, and keeps long articles cheap


@cache
def _identifier() -> LanguageIdentifier:
    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def detect_language(text: str) -> str | None:
    """ISO 639-1 code of the text's language, or None when the text is too short or mixed."""
    sample = text[:SAMPLE_CHARACTERS]
    if sum(character.isalpha() for character in sample) < MIN_LETTERS:
        return None
    language, confidence = _identifier().classify(sample)
    return str(language) if confidence >= MIN_CONFIDENCE else None
