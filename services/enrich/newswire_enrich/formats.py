"""Which parser reads a file: by extension, else by declared media type, else by its content.

Content also refines a declared format: a `.txt` that starts with the `date YYYY-MM-DD SECTION`
header is header-text, and a `.json` holding one object per line is JSON Lines.
"""

import json
from pathlib import PurePosixPath

from newswire.enriched import ArticleFormat
from newswire_enrich.errors import UnknownFormatError
from newswire_enrich.parsers.header_text import has_header

BY_EXTENSION: dict[str, ArticleFormat] = {
    ".txt": "plain-text",
    ".text": "plain-text",
    ".md": "markdown",
    ".markdown": "markdown",
    ".json": "json",
    ".jsonl": "json-lines",
    ".ndjson": "json-lines",
    ".html": "html",
    ".htm": "html",
    ".xhtml": "html",
}
BY_MEDIA_TYPE: dict[str, ArticleFormat] = {
    "text/plain": "plain-text",
    "text/markdown": "markdown",
    "text/x-markdown": "markdown",
    "application/json": "json",
    "application/jsonl": "json-lines",
    "application/x-ndjson": "json-lines",
    "application/x-jsonlines": "json-lines",
    "text/html": "html",
    "application/xhtml+xml": "html",
}
_HTML_OPENINGS = ("<!doctype html", "<html", "<head", "<body", "<article")
SNIFF_CHARACTERS = 512


def detect_format(file_name: str, media_type: str, content: str) -> ArticleFormat:
    extension = PurePosixPath(file_name).suffix.lower()
    declared = (
        BY_EXTENSION.get(extension)
        or BY_MEDIA_TYPE.get(media_type.partition(";")[0].strip().lower())
        or _sniff(content)
    )
    if declared is None:
        raise UnknownFormatError(
            f"unknown format: extension {extension or '(none)'!r}, media type {media_type!r}, "
            "and the content is none of header-text, JSON, HTML or Markdown with front matter; "
            f"known extensions: {', '.join(BY_EXTENSION)}"
        )
    if declared == "plain-text" and has_header(content):
        return "header-text"
    if declared == "json" and _is_json_lines(content):
        return "json-lines"
    return declared


def _sniff(content: str) -> ArticleFormat | None:
    opening = content.lstrip("\ufeff \t\r\n")[:SNIFF_CHARACTERS]
    lowered = opening.lower()
    if opening.startswith(("{", "[")):
        return "json"
    if lowered.startswith(_HTML_OPENINGS) or (lowered.startswith("<") and "<html" in lowered):
        return "html"
    if opening.startswith("---\n"):
        return "markdown"
    if has_header(content):
        return "plain-text"
    return None


def _is_json_lines(content: str) -> bool:
    """A first line that is a whole JSON object followed by more: not one pretty-printed object."""
    first, _, rest = content.lstrip("\ufeff \t\r\n").partition("\n")
    if not rest.strip():
        return False
    try:
        return isinstance(json.loads(first), dict)
    except json.JSONDecodeError:
        return False
