"""Following `articles.dlq` on the embedded event log: files later stages refused are moved to
failed/, and the letters read are committed."""

import json
import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest

from newswire.embedded.event_log import LogRecord, SqliteEventLog
from newswire.messages import DeadLetter, RawArticle
from newswire_ingest.dead_letters import DeadLetterFollower

RAW, DLQ, GROUP = "raw", "dlq", "ingest-dead-letters"
WAIT_S = 10.0


@pytest.fixture
def event_log(tmp_path: Path) -> SqliteEventLog:
    log = SqliteEventLog(tmp_path / "event-log.sqlite3", partitions=1)
    log.ensure_topics([RAW, DLQ])
    return log


def send(event_log: SqliteEventLog, topic: str, key: bytes, value: bytes) -> None:
    producer = event_log.producer(client_id="test")
    producer.send(topic, key, value).result(WAIT_S)
    producer.close()


class StopAfterRounds(threading.Event):
    """Set once the loop has asked `rounds` times whether to stop."""

    def __init__(self, rounds: int) -> None:
        super().__init__()
        self.rounds = rounds

    def is_set(self) -> bool:
        self.rounds -= 1
        return self.rounds < 0


def follow_once(event_log: SqliteEventLog) -> dict[str, str]:
    """One round of the follower over what is on the topic; the files it moved, with reasons."""
    moved: dict[str, str] = {}

    def fail_published(relative_path: str, reason: str) -> str:
        moved[relative_path] = reason
        return f"failed/{relative_path}"

    consumer = event_log.consumer(GROUP, [DLQ], client_id="test-ingest")
    try:
        follower = DeadLetterFollower(event_log, consumer, RAW, fail_published)
        follower.run(StopAfterRounds(1))
    finally:
        consumer.close()
    return moved


def test_a_file_a_later_stage_refused_is_moved_to_failed_and_the_letter_committed(
    event_log: SqliteEventLog,
) -> None:
    raw = RawArticle.from_bytes(b"{not json", "feeds/a.json", datetime(2026, 1, 1, tzinfo=UTC))
    raw_record = LogRecord(RAW, 0, 0, raw.id.encode(), raw.model_dump_json().encode())
    letter = DeadLetter.for_record("enrich", raw_record, "invalid_json", "not JSON")
    send(event_log, DLQ, raw.id.encode(), letter.model_dump_json().encode())
    moved = follow_once(event_log)

    assert event_log.committed(GROUP, DLQ, 0) == 1
    reason = json.loads(moved["feeds/a.json"])
    assert (reason["stage"], reason["error_type"]) == ("enrich", "invalid_json")
    assert "original_base64" not in reason


def test_letters_of_ingest_itself_and_other_messages_are_committed_without_moving_anything(
    event_log: SqliteEventLog,
) -> None:
    letter = DeadLetter.for_file("empty.txt", "empty", "the file is empty", b"")
    send(event_log, DLQ, b"empty.txt", letter.model_dump_json().encode())
    send(event_log, DLQ, b"other", b"not a dead letter")
    moved = follow_once(event_log)

    assert event_log.committed(GROUP, DLQ, 0) == 2
    assert moved == {}
