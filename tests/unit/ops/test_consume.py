"""`newswire consume`'s JSON Lines shape and its --since times (the command itself runs against
both event logs in tests/integration/ops/test_consume.py)."""

import argparse
import json
from datetime import UTC, datetime, timedelta

import pytest

from newswire.embedded.event_log import LogRecord
from newswire_ops.consume import json_line, parse_since

NOW = datetime(2026, 12, 1, 7, 30, tzinfo=UTC)


def test_a_message_is_one_line_with_its_value_as_json() -> None:
    record = LogRecord("articles.enriched", 2, 41, b"abc", b'{"id": "abc"}', 1_796_111_148_784)

    line = json_line(record)

    assert "\n" not in line
    assert json.loads(line) == {
        "topic": "articles.enriched",
        "partition": 2,
        "offset": 41,
        "timestamp": "2026-12-01T07:45:48.784Z",
        "key": "abc",
        "value": {"id": "abc"},
    }


def test_a_tombstone_has_a_null_value() -> None:
    line = json.loads(json_line(LogRecord("articles.enriched", 0, 7, b"abc", None, 0)))

    assert line["key"] == "abc"
    assert line["value"] is None
    assert "value_encoding" not in line


def test_a_value_that_is_not_json_is_given_as_base64() -> None:
    line = json.loads(json_line(LogRecord("other", 0, 0, None, b"\xff\x00", 0)))

    assert line["key"] is None
    assert line["value"] == "/wA="
    assert line["value_encoding"] == "base64"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("15m", NOW - timedelta(minutes=15)),
        ("2h", NOW - timedelta(hours=2)),
        ("7d", NOW - timedelta(days=7)),
        ("2026-11-30T12:00:00Z", datetime(2026, 11, 30, 12, tzinfo=UTC)),
        ("2026-11-30T12:00:00", datetime(2026, 11, 30, 12, tzinfo=UTC)),
        ("2026-11-30T13:00:00+01:00", datetime(2026, 11, 30, 12, tzinfo=UTC)),
        ("2026-11-30", datetime(2026, 11, 30, tzinfo=UTC)),
    ],
)
def test_since_is_a_time_or_an_age(text: str, expected: datetime) -> None:
    assert parse_since(text, now=NOW) == expected


def test_since_that_is_neither_says_what_it_takes() -> None:
    with pytest.raises(argparse.ArgumentTypeError, match="ISO 8601"):
        parse_since("last tuesday", now=NOW)
