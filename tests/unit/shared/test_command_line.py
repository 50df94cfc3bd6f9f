"""Log lines cannot be forged: whatever a message carries, an event is one line."""

import logging
import sys

from newswire.command_line import LOG_FORMAT, OneLineFormatter, escape_controls


def test_control_characters_are_written_as_escapes() -> None:
    assert escape_controls("a\nb\r\tc\x1b[31m\x7f\u2028") == "a\\nb\\r\\tc\\x1b[31m\\x7f\\u2028"


def test_a_file_name_with_a_newline_cannot_write_a_line_of_its_own() -> None:
    forged = "x.txt\n2026-12-01 00:00:00,000 ERROR newswire_ingest.service: forged"
    record = logging.makeLogRecord(
        {"msg": "published %s", "args": (forged,), "levelname": "INFO", "name": "test"}
    )

    line = OneLineFormatter(LOG_FORMAT).format(record)

    assert "\n" not in line
    assert line.endswith(
        "published x.txt\\n2026-12-01 00:00:00,000 ERROR newswire_ingest.service: forged"
    )


def test_a_traceback_keeps_its_lines() -> None:
    try:
        raise ValueError("bad\nvalue")
    except ValueError:
        record = logging.makeLogRecord({"msg": "failed", "levelname": "ERROR", "name": "test"})
        record.exc_info = sys.exc_info()

    text = OneLineFormatter(LOG_FORMAT).format(record)

    assert text.splitlines()[0].endswith("failed")
    assert "Traceback (most recent call last):" in text
