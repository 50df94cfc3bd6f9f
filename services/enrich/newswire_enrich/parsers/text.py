"""Plain-text helpers every parser shares: whitespace and paragraph splitting."""

import re

_BLANK_LINE = re.compile(r"\n[ \t\r\f\v]*\n")


def clean(text: str) -> str:
    """Collapse runs of whitespace (including line breaks) to one space."""
    return " ".join(text.split())


def paragraphs(text: str) -> tuple[str, ...]:
    """Paragraphs separated by blank lines; a text without any blank line has one per line.

    Lines inside a blank-line-separated block are one wrapped paragraph.
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    blocks = _BLANK_LINE.split(text) if _BLANK_LINE.search(text) else text.split("\n")
    return tuple(paragraph for paragraph in map(clean, blocks) if paragraph)
