"""`newswire status <file>`: each state read back from the traces the stages leave.

The event log is the real embedded one on a temp file; the index lookup is a plain function."""

import hashlib
import json
from pathlib import Path

import pytest

from newswire.embedded.event_log import SqliteEventLog
from newswire.file_status import file_status
from newswire.messages import DeadLetter
from newswire.settings import Settings


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        ingest_inbox=tmp_path / "inbox",
        ingest_processed_dir=tmp_path / "processed",
        ingest_failed_dir=tmp_path / "failed",
        data_dir=tmp_path / "data",
        event_log="embedded",
    )


@pytest.fixture
def event_log(settings: Settings) -> SqliteEventLog:
    return SqliteEventLog(settings.event_log_path)


def _put(folder: Path, name: str, content: bytes) -> str:
    (folder / name).parent.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(content)
    return hashlib.sha256(content).hexdigest()


def _publish(event_log: SqliteEventLog, topic: str, key: str, value: bytes) -> None:
    producer = event_log.producer(client_id="test")
    producer.send(topic, key.encode(), value).result(timeout=10)
    producer.close()


def nothing_indexed(sha256: str) -> list[str]:
    return []


def test_a_file_in_the_inbox_is_waiting(settings: Settings, event_log: SqliteEventLog) -> None:
    _put(settings.ingest_inbox, "world/a.txt", b"A\n\nB.")
    status = file_status(settings, "world/a.txt", event_log, nothing_indexed)
    assert status.state == "waiting"


def test_a_refused_file_is_failed_with_its_reason(
    settings: Settings, event_log: SqliteEventLog
) -> None:
    _put(settings.ingest_failed_dir, "x.bin", b"\0\0")
    reason = {"error_type": "binary", "reason": "a NUL byte at offset 0: not text"}
    (settings.ingest_failed_dir / "x.bin.reason.json").write_text(json.dumps(reason))
    status = file_status(
        settings, str(settings.ingest_failed_dir / "x.bin"), event_log, nothing_indexed
    )
    assert (status.name, status.state) == ("x.bin", "failed")
    assert "[binary] a NUL byte at offset 0" in status.detail


def test_a_published_file_moves_on_to_enriched_then_indexed(
    settings: Settings, event_log: SqliteEventLog
) -> None:
    sha256 = _put(settings.ingest_processed_dir, "a.txt", b"A\n\nB.")
    _publish(event_log, settings.raw_topic, sha256, b"{}")
    assert file_status(settings, "a.txt", event_log, nothing_indexed).state == "published"

    consumer = event_log.consumer(settings.enrich_group_id, [settings.raw_topic], "enrich")
    [record] = consumer.poll(5.0, 10)
    consumer.commit({(record.topic, record.partition): record.offset + 1})
    consumer.close()
    assert file_status(settings, "a.txt", event_log, nothing_indexed).state == "enriched"

    status = file_status(settings, "a.txt", event_log, lambda sha: [sha] if sha == sha256 else [])
    assert (status.state, status.article_ids) == ("indexed", [sha256])


def test_a_dead_lettered_article_is_failed_with_the_stage_and_reason(
    settings: Settings, event_log: SqliteEventLog
) -> None:
    sha256 = _put(settings.ingest_processed_dir, "a.pdf", b"%PDF-1.7")
    letter = DeadLetter(
        stage="enrich",
        reason="not an article format Newswire reads",
        error_type="unknown_format",
        service_version="test",
        source="kafka:articles.raw/0/0",
    )
    _publish(event_log, settings.dlq_topic, sha256, letter.model_dump_json().encode())
    status = file_status(settings, "a.pdf", event_log, nothing_indexed)
    assert status.state == "failed"
    assert status.detail.startswith("enrich [unknown_format]")


def test_a_file_found_nowhere_is_unknown(settings: Settings, event_log: SqliteEventLog) -> None:
    assert file_status(settings, "never.txt", event_log, nothing_indexed).state == "unknown"
