"""`newswire status <file>`: each state read back from the traces the stages leave.

The event log is the real embedded one on a temp file; the index lookup is a plain function."""

import hashlib
import json
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import cast

import pytest

from newswire.embedded.event_log import SqliteEventLog
from newswire.enriched import EnrichedArticle, Story
from newswire.event_log import EventLog, EventLogError, Record
from newswire.messages import DeadLetter
from newswire.settings import BACKEND_VARIABLES, Settings
from newswire_ops.file_status import file_status, relative_name, status_settings, story_report
from tests.support.enrichers import fake_enricher, raw_article


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


def nothing_indexed(sha256: str) -> list[Story]:
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

    story = _story_of_file("A\n\nB.", "a.txt")
    status = file_status(settings, "a.txt", event_log, lambda sha: [story] if sha == sha256 else [])
    assert (status.state, status.article_ids) == ("indexed", [story.id])
    assert f"story inbox:a.txt (id {story.id}): this file's version is the current one" in (
        status.detail
    )


def _story_of_file(content: str, relative_path: str) -> Story:
    (enrichment,) = fake_enricher().enrich([raw_article(content, relative_path)])
    (article,) = enrichment.articles
    return Story(id=article.id).with_version(article)


def _later(story: Story, **changes: object) -> Story:
    assert story.current is not None
    current = story.current
    later = EnrichedArticle.model_validate(
        {
            **current.model_dump(),
            "version": (current.version or 0) + 1,
            "content_sha256": "f" * 64,
            "provenance": {**current.provenance.model_dump(), "sha256": "f" * 64},
            **changes,
        }
    )
    return story.with_version(later)


def test_the_story_report_says_current_superseded_killed_or_embargoed() -> None:
    now = datetime(2026, 1, 2, 12, 0, tzinfo=UTC)
    story = _story_of_file("A\n\nB.", "world/a.txt")
    assert story.current is not None
    file_sha = story.current.provenance.sha256
    assert "inbox:world/a.txt" in story_report(story, file_sha, now)
    assert "is the current one" in story_report(story, file_sha, now)
    assert "is superseded by version 1" in story_report(_later(story), file_sha, now)
    killed = _later(story, pub_status="canceled", editorial_note="Legal").with_tombstone()
    assert "killed (withdrawn" in story_report(killed, "f" * 64, now)
    until = now + timedelta(hours=1)
    embargoed = _later(story, embargoed=True, embargoed_until=until)
    assert f"embargoed until {until.isoformat()}" in story_report(embargoed, "f" * 64, now)


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


def test_a_file_a_later_stage_refused_names_that_stage(
    settings: Settings, event_log: SqliteEventLog
) -> None:
    _put(settings.ingest_failed_dir, "bad.json", b'{"title": ')
    letter = DeadLetter(
        stage="enrich",
        reason="the JSON does not parse",
        error_type="unparseable",
        service_version="test",
        source="kafka:articles.raw/0/3",
    )
    reason = settings.ingest_failed_dir / "bad.json.reason.json"
    reason.write_text(letter.model_dump_json(exclude={"original_base64"}))
    status = file_status(settings, "bad.json", event_log, nothing_indexed)
    assert status.state == "failed"
    assert status.detail.startswith("enrich [unparseable] the JSON does not parse (in ")


def test_a_symlink_in_the_failed_folder_is_named_not_followed(
    settings: Settings, event_log: SqliteEventLog, tmp_path: Path
) -> None:
    outside = tmp_path / "outside.txt"
    outside.write_text("never read")
    (settings.ingest_failed_dir / "world").mkdir(parents=True)
    link = settings.ingest_failed_dir / "world" / "link.txt"
    link.symlink_to(outside)
    (settings.ingest_failed_dir / "world" / "link.txt.reason.json").write_text(
        json.dumps({"error_type": "not_a_regular_file", "reason": "it is a symbolic link"})
    )
    assert relative_name(settings, str(link)) == "world/link.txt"
    status = file_status(settings, str(link), event_log, nothing_indexed)
    assert (status.name, status.state) == ("world/link.txt", "failed")
    assert "[not_a_regular_file] it is a symbolic link" in status.detail


def test_a_fifo_in_the_failed_folder_is_failed_with_its_reason(
    settings: Settings, event_log: SqliteEventLog
) -> None:
    settings.ingest_failed_dir.mkdir(parents=True, exist_ok=True)
    os.mkfifo(settings.ingest_failed_dir / "pipe")
    (settings.ingest_failed_dir / "pipe.reason.json").write_text(
        json.dumps({"error_type": "not_a_regular_file", "reason": "it is a FIFO"})
    )
    status = file_status(settings, "pipe", event_log, nothing_indexed)
    assert (status.name, status.state) == ("pipe", "failed")
    assert "[not_a_regular_file] it is a FIFO" in status.detail


def test_names_are_taken_relative_to_the_inbox_or_as_paths_into_its_folders(
    settings: Settings, tmp_path: Path
) -> None:
    assert relative_name(settings, "world/a.txt") == "world/a.txt"
    assert relative_name(settings, str(tmp_path / "inbox" / "world" / "a.txt")) == "world/a.txt"
    assert relative_name(settings, str(tmp_path / "processed" / "a b.txt")) == "a b.txt"
    assert relative_name(settings, str(tmp_path / "failed" / "x" / "y.bin")) == "x/y.bin"


class _UnreachableLog:
    """An event log whose server does not answer (fakes the two questions status asks)."""

    def find(self, topic: str, key: bytes) -> Record | None:
        raise EventLogError("Kafka at 127.0.0.1:1: NoBrokersAvailable")

    def committed(self, group_id: str, topic: str, partition: int) -> int | None:
        raise EventLogError("Kafka at 127.0.0.1:1: NoBrokersAvailable")


def test_unreachable_back_ends_are_reported_not_raised(settings: Settings) -> None:
    sha256 = _put(settings.ingest_processed_dir, "a.txt", b"A\n\nB.")

    def index_down(sha: str) -> list[Story]:
        raise ConnectionError("connection refused")

    status = file_status(settings, "a.txt", cast(EventLog, _UnreachableLog()), index_down)
    assert status.state == "published"  # it is in processed/: the log acknowledged it
    assert sha256 in status.detail
    assert "the event log could not be read: Kafka at 127.0.0.1:1" in status.detail
    assert "the search index could not be read: connection refused" in status.detail


def test_status_reads_what_is_configured_else_what_this_folder_holds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for variable in BACKEND_VARIABLES:  # CI may point the tests at its servers
        monkeypatch.delenv(variable, raising=False)
    empty = Settings(data_dir=tmp_path / "data")
    chosen = status_settings(empty)  # nothing configured, no embedded state: `newswire up`
    assert (chosen.uses_kafka(), chosen.uses_elasticsearch()) == (True, True)

    (tmp_path / "data").mkdir()
    empty.event_log_path.write_bytes(b"")
    empty.search_index_path.write_bytes(b"")
    chosen = status_settings(empty)  # `newswire run` left its state here
    assert (chosen.uses_kafka(), chosen.uses_elasticsearch()) == (False, False)

    configured = Settings(
        data_dir=tmp_path / "data",
        kafka_bootstrap_servers="broker:9092",
        search_index="elasticsearch",
    )
    chosen = status_settings(configured)
    assert (chosen.uses_kafka(), chosen.uses_elasticsearch()) == (True, True)
    assert chosen.kafka_bootstrap_servers == "broker:9092"
