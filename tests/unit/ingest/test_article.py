"""A file's bytes become a raw article whose id is their sha256, or a dead letter with why."""

import base64
import hashlib
import io
import zipfile
from datetime import UTC, datetime

import pytest

from newswire import __version__
from newswire_ingest.article import FileRejectedError, dead_letter, raw_article

RECEIVED_AT = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


def test_a_text_file_becomes_a_raw_article_identified_by_the_sha256_of_its_bytes() -> None:
    data = "Edu describes tunnel fracas\n\nArsenal's Edu has…\n".encode()

    article = raw_article(data, "sport/198.txt", RECEIVED_AT, "cp1252")

    digest = hashlib.sha256(data).hexdigest()
    assert article.model_dump() == {
        "schema_version": 1,
        "id": digest,
        "file_name": "198.txt",
        "relative_path": "sport/198.txt",
        "size_bytes": len(data),
        "sha256": digest,
        "media_type": "text/plain",
        "encoding": "utf-8",
        "received_at": RECEIVED_AT,
        "content": data.decode(),
        "content_base64": None,
    }


def test_the_same_bytes_under_another_name_are_the_same_article() -> None:
    first = raw_article(b"Same story\n", "a.txt", RECEIVED_AT, "cp1252")
    again = raw_article(b"Same story\n", "later/b.txt", RECEIVED_AT, "cp1252")

    assert first.id == again.id


@pytest.mark.parametrize(
    ("data", "error_type"),
    [
        (b"", "empty"),
        (b"GIF89a\x00\x01", "unsupported_format"),
        (b"text\x00with a NUL", "binary"),
        (b"caf\x81", "undecodable"),
    ],
)
def test_a_file_that_is_not_text_is_rejected_with_its_kind(data: bytes, error_type: str) -> None:
    with pytest.raises(FileRejectedError) as rejected:
        raw_article(data, "x.txt", RECEIVED_AT, "cp1252")

    assert rejected.value.error_type == error_type


def test_word_and_pdf_documents_are_published_as_binary_raw_articles() -> None:
    document = io.BytesIO()
    with zipfile.ZipFile(document, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    word, pdf = document.getvalue(), b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"

    for data, path in ((word, "releases/acme.docx"), (pdf, "releases/acme.pdf")):
        article = raw_article(data, path, RECEIVED_AT, "cp1252")
        assert (article.encoding, article.binary_content()) == ("binary", data)
    assert raw_article(pdf, "x.pdf", RECEIVED_AT, "cp1252").media_type == "application/pdf"


def test_a_dead_letter_says_why_and_keeps_the_original_bytes() -> None:
    rejection = FileRejectedError("binary", "character 6 is NUL")

    letter = dead_letter(rejection, "photos/cat.gif", b"GIF89a\x00\x01")

    assert (letter.stage, letter.error_type, letter.reason) == (
        "ingest",
        "binary",
        "character 6 is NUL",
    )
    assert (letter.source, letter.service_version) == ("inbox:photos/cat.gif", __version__)
    assert base64.b64decode(letter.original_base64 or "") == b"GIF89a\x00\x01"


def test_a_dead_letter_for_a_file_never_read_has_no_original() -> None:
    letter = dead_letter(FileRejectedError("too_large", "too big"), "big.txt", None)

    assert letter.original_base64 is None
