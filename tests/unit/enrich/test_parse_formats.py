"""The format of a file: by extension, declared media type, then content."""

import pytest

from newswire.enriched import ArticleFormat
from newswire_enrich.errors import UnknownFormatError
from newswire_enrich.formats import detect_format


@pytest.mark.parametrize(
    ("file_name", "media_type", "content", "expected"),
    [
        ("a.txt", "text/plain", "Title\n\nBody.", "plain-text"),
        ("a.txt", "text/plain", " date 2024-09-11 WORLD\nT\n\nB", "header-text"),
        ("a.md", "text/markdown", "# T\n\nB", "markdown"),
        ("a.json", "application/json", '{"title": "T"}', "json"),
        ("a.json", "application/json", '{\n  "title": "T"\n}', "json"),
        ("a.json", "application/json", '{"title": "A"}\n{"title": "B"}\n', "json-lines"),
        ("a.jsonl", "text/plain", '{"title": "A"}\n', "json-lines"),
        ("a.HTML", "text/html", "<p>x</p>", "html"),
        ("feed", "application/x-ndjson", '{"title": "A"}\n', "json-lines"),
        ("page", "text/html; charset=utf-8", "<p>x</p>", "html"),
        ("notes", "application/octet-stream", '[{"title": "A"}]', "json"),
        ("page", "application/octet-stream", "<!DOCTYPE html><html></html>", "html"),
        ("post", "application/octet-stream", "---\ntitle: T\n---\nB", "markdown"),
        ("story", "application/octet-stream", "date 2024-09-11 WORLD\nT\n\nB", "header-text"),
    ],
)
def test_format_is_chosen_by_extension_media_type_and_content(
    file_name: str, media_type: str, content: str, expected: ArticleFormat
) -> None:
    assert detect_format(file_name, media_type, content) == expected


def test_a_file_nothing_recognises_is_an_unknown_format_with_the_reason() -> None:
    with pytest.raises(
        UnknownFormatError, match=r"extension '\.pdf', media type 'application/pdf'"
    ):
        detect_format("report.pdf", "application/pdf", "%PDF-1.7 ...")
