"""Raw articles from a file's bytes, and dead letters for a file or a consumed record: built once,
the same for every stage."""

import base64
import hashlib
import json
from datetime import UTC, datetime

import pytest

from newswire import __version__
from newswire.embedded.event_log import LogRecord
from newswire.messages import DeadLetter, RawArticle
from newswire.text_files import NotTextError

RECEIVED_AT = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
FAILED_AT = "2026-11-28T12:00:00Z"


def test_a_raw_article_is_named_after_the_last_part_of_its_path_and_identified_by_its_sha256() -> (
    None
):
    data = b"<html><body>Story</body></html>"

    article = RawArticle.from_bytes(data, "world/deep/story", RECEIVED_AT)

    digest = hashlib.sha256(data).hexdigest()
    assert (article.id, article.sha256, article.size_bytes) == (digest, digest, len(data))
    assert (article.file_name, article.relative_path) == ("story", "world/deep/story")
    assert (article.media_type, article.encoding) == ("text/html", "utf-8")
    assert (article.received_at, article.content) == (RECEIVED_AT, data.decode())


def test_bytes_that_are_not_utf8_are_read_in_the_fallback_encoding() -> None:
    assert RawArticle.from_bytes(b"caf\xe9", "a.txt", RECEIVED_AT).content == "café"
    latin = RawArticle.from_bytes(b"caf\xe9", "a.txt", RECEIVED_AT, fallback_encoding="latin-1")
    assert latin.encoding == "iso8859-1"


@pytest.mark.parametrize(
    ("data", "error_type"),
    [
        (b"text\x00", "binary"),
        (b"\x81", "undecodable"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "unsupported_format"),
    ],
)
def test_bytes_that_are_not_text_make_no_raw_article(data: bytes, error_type: str) -> None:
    with pytest.raises(NotTextError) as refused:
        RawArticle.from_bytes(data, "x.txt", RECEIVED_AT)
    assert refused.value.error_type == error_type


def test_a_pdf_or_word_document_is_a_raw_article_carrying_its_bytes() -> None:
    data = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n"

    article = RawArticle.from_bytes(data, "releases/acme.pdf", RECEIVED_AT)

    assert (article.media_type, article.encoding, article.content) == (
        "application/pdf",
        "binary",
        "",
    )
    assert article.content_base64 == base64.b64encode(data).decode()
    assert article.binary_content() == data
    assert article.id == hashlib.sha256(data).hexdigest()
    assert RawArticle.model_validate_json(article.model_dump_json()) == article


def test_a_text_article_has_no_binary_content_and_reads_as_before() -> None:
    article = RawArticle.from_bytes(b"Title\n\nBody.", "a.txt", RECEIVED_AT)

    assert (article.content_base64, article.binary_content()) == (None, None)
    earlier = json.loads(article.model_dump_json())
    del earlier["content_base64"]  # a message from before the field existed
    assert RawArticle.model_validate(earlier) == article


def _json(letter: DeadLetter) -> dict[str, object]:
    as_json = json.loads(letter.model_dump_json())
    assert isinstance(as_json, dict)
    return {**as_json, "failed_at": FAILED_AT}


def test_a_dead_letter_for_a_record_names_its_log_position_and_keeps_its_key_and_value() -> None:
    record = LogRecord("articles.raw", 2, 41, b"abc", b"{not json")

    letter = DeadLetter.for_record("enrich", record, "invalid_raw_message", "not JSON")

    assert list(json.loads(letter.model_dump_json())) == [
        "schema_version",
        "stage",
        "reason",
        "error_type",
        "failed_at",
        "service_version",
        "source",
        "original_key",
        "original_base64",
    ]
    assert _json(letter) == {
        "schema_version": 1,
        "stage": "enrich",
        "reason": "not JSON",
        "error_type": "invalid_raw_message",
        "failed_at": FAILED_AT,
        "service_version": __version__,
        "source": "kafka:articles.raw/2/41",
        "original_key": "abc",
        "original_base64": base64.b64encode(b"{not json").decode(),
    }


def test_a_dead_letter_keeps_the_original_it_is_given_instead_of_the_value() -> None:
    record = LogRecord("articles.raw", 0, 3, b"feed", b'{"a": 1}\n{oops}\n')

    letter = DeadLetter.for_record("enrich", record, "invalid_json", "line 2", original=b"{oops}")

    assert base64.b64decode(letter.original_base64 or "") == b"{oops}"


@pytest.mark.parametrize(
    ("key", "value", "original_key", "original_base64"),
    [(None, None, None, None), (b"", b"", None, ""), (b"caf\xe9", None, "caf\ufffd", None)],
)
def test_a_dead_letter_for_a_record_without_a_key_or_a_value_says_so(
    key: bytes | None, value: bytes | None, original_key: str | None, original_base64: str | None
) -> None:
    letter = DeadLetter.for_record(
        "indexer", LogRecord("t", 0, 0, key, value), "missing_key_or_value", "no key"
    )
    assert (letter.original_key, letter.original_base64) == (original_key, original_base64)


def test_a_dead_letter_for_a_file_names_its_inbox_path_and_keeps_its_bytes() -> None:
    letter = DeadLetter.for_file("photos/cat.gif", "binary", "character 6 is NUL", b"GIF\x00")

    assert _json(letter) == {
        "schema_version": 1,
        "stage": "ingest",
        "reason": "character 6 is NUL",
        "error_type": "binary",
        "failed_at": FAILED_AT,
        "service_version": __version__,
        "source": "inbox:photos/cat.gif",
        "original_key": None,
        "original_base64": base64.b64encode(b"GIF\x00").decode(),
    }
    unread = DeadLetter.for_file("big.txt", "too_large", "too big", None)
    assert unread.original_base64 is None
