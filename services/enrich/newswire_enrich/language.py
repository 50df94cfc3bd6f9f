"""The language an article is written in, by py3langid (a small model shipped in the package)."""

import re
from functools import cache

from py3langid.langid import MODEL_FILE, LanguageIdentifier

MIN_LETTERS = 20  # below this any guess is noise
MIN_CONFIDENCE = 0.5
SAMPLE_CHARACTERS = 2_000  # plenty to be sure, and keeps long articles cheap
_LETTER = re.compile(r"[^\W\d_]")


@cache
def language_identifier() -> LanguageIdentifier:
    """Loaded on first use (half a second); the service calls it at start-up."""
    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def detect_language(text: str) -> str | None:
    """ISO 639-1 code of the text's language, or None when the text is too short or mixed."""
    sample = text[:SAMPLE_CHARACTERS]
    if len(_LETTER.findall(sample)) < MIN_LETTERS:
        return None
    language, confidence = language_identifier().classify(sample)
    return str(language) if confidence >= MIN_CONFIDENCE else None
