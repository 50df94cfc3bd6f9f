"""Section names: from the document, else from the inbox folder the file was dropped in."""

import re

_SEPARATORS = re.compile(r"[\s_\-]+")
ACRONYM_MAX_LETTERS = 3


def normalise_section(name: str) -> str | None:
    """`WORLD` → `World`, `middle-east` → `Middle East`; short acronyms (`UK`) and words of
    mixed case (`eSports`) are kept as written."""
    words = [_normalise_word(word) for word in _SEPARATORS.split(name.strip()) if word]
    return " ".join(words) or None


def _normalise_word(word: str) -> str:
    if word.isupper() and len(word) <= ACRONYM_MAX_LETTERS:
        return word
    if word.isupper() or word.islower():
        return word.capitalize()
    return word


def section_from_inbox_path(relative_path: str) -> str | None:
    """The first folder of the path relative to the inbox: `business/x.txt` → `Business`."""
    folders = relative_path.replace("\\", "/").split("/")[:-1]
    return normalise_section(folders[0]) if folders else None
