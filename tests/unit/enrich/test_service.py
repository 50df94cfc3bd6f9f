"""The service loop against a fake event log: what is produced, dead-lettered and committed."""

import base64
import json
import threading
from collections.abc import Iterable, Mapping
from concurrent.futures import Future
from dataclasses import dataclass, field

import pytest

from newswire.delivery_attempts import InFlight
from newswire.enriched import EnrichedArticle
from newswire.event_log import Committed, EventLogError, PartitionKey
from newswire.messages import DeadLetter
from newswire_enrich.metrics import EnrichMetrics
from newswire_enrich.service import EnrichService
from tests.support.enrichers import fake_enricher, raw_article


@dataclass
class Record:
    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None


class Send(Future[None]):
    """A send that is acknowledged (or fails) when the service asks for its outcome."""

    def __init__(
        self, topic: str, key: bytes | None, value: bytes | None, events: list[str], fails: bool
    ) -> None:
        super().__init__()
        self.topic, self.key = topic, key
        self.tombstone = value is None
        self.value = value or b""
        self._events = events
        self._fails = fails

    def result(self, timeout: float | None = None) -> None:
        if self._fails:
            raise EventLogError("not acknowledged")
        self._events.append(f"acknowledged {self.topic}")


@dataclass
class FakeProducer:
    events: list[str]
    failing_topic: str | None = None
    sent: list[Send] = field(default_factory=list)

    def send(self, topic: str, key: bytes | None, value: bytes | None) -> Send:
        self.sent.append(Send(topic, key, value, self.events, fails=topic == self.failing_topic))
        return self.sent[-1]

    def flush(self) -> None:
        self.events.append("flush")

    def close(self, timeout_s: float | None = None) -> None:
        pass

    def on(self, topic: str) -> list[Send]:
        return [send for send in self.sent if send.topic == topic]


@dataclass
class FakeConsumer:
    events: list[str]
    batches: list[list[Record]]
    stop: threading.Event
    committed: dict[PartitionKey, int] = field(default_factory=dict)
    notes: dict[PartitionKey, str] = field(default_factory=dict)
    sought: list[tuple[PartitionKey, int]] = field(default_factory=list)
    kept_alive: int = 0

    def poll(self, timeout_s: float, max_records: int) -> list[Record]:
        if not self.batches:
            self.stop.set()
            return []
        batch = self.batches.pop(0)
        assert len(batch) <= max_records
        return batch

    def commit(
        self,
        next_offsets: Mapping[PartitionKey, int],
        notes: Mapping[PartitionKey, str] | None = None,
    ) -> None:
        self.events.append("commit")
        self.committed.update(next_offsets)
        self.notes.update({where: (notes or {}).get(where, "") for where in next_offsets})

    def committed_notes(self, partitions: Iterable[PartitionKey]) -> dict[PartitionKey, Committed]:
        return {
            where: Committed(self.committed[where], self.notes.get(where, ""))
            for where in partitions
            if where in self.committed
        }

    def keep_alive(self) -> None:
        self.kept_alive += 1

    def assignment(self) -> set[PartitionKey]:
        return {("raw", 0)}

    def pause_all(self) -> None:
        pass

    def resume_all(self) -> None:
        pass

    def seek(self, topic: str, partition: int, offset: int) -> None:
        self.sought.append(((topic, partition), offset))

    def lag(self) -> int:
        return 0

    def close(self) -> None:
        pass


def record(offset: int, value: bytes | None, partition: int = 0) -> Record:
    return Record("raw", partition, offset, f"key-{offset}".encode(), value)


def article_record(
    offset: int,
    content: str,
    path: str = "world/a.txt",
    partition: int = 0,
    media_type: str = "text/plain",
) -> Record:
    raw = raw_article(content, path, media_type)
    return record(offset, raw.model_dump_json().encode(), partition)


def run_service(
    batches: list[list[Record]],
    failing_topic: str | None = None,
    metrics: EnrichMetrics | None = None,
    enriched_v1_topic: str | None = None,
    keep_alive_every_s: float = 75.0,
    committed: dict[PartitionKey, Committed] | None = None,
) -> tuple[FakeConsumer, FakeProducer, list[str]]:
    """The service over `batches`, after the group's earlier commits (`committed`), with
    max_attempts 2."""
    events: list[str] = []
    stop = threading.Event()
    consumer = FakeConsumer(events, batches, stop)
    for where, last in (committed or {}).items():
        consumer.committed[where], consumer.notes[where] = last
    producer = FakeProducer(events, failing_topic)
    service = EnrichService(
        consumer,
        producer,
        fake_enricher(),
        enriched_topic="enriched",
        dlq_topic="dlq",
        batch_size=10,
        poll_timeout_s=0.01,
        metrics=metrics,
        enriched_v1_topic=enriched_v1_topic,
        keep_alive_every_s=keep_alive_every_s,
        max_attempts=2,
    )
    service.run(stop)
    return consumer, producer, events


def test_a_kill_is_published_then_followed_by_a_tombstone_for_its_story() -> None:
    kill = json.dumps(
        {
            "uri": "urn:agency:story-1",
            "version": "3",
            "headline": "Withdrawn",
            "body_text": "Do not use.",
            "pubstatus": "canceled",
        }
    )
    _, producer, _ = run_service([[article_record(0, kill, "kill.json")]])
    version, tombstone = producer.on("enriched")
    article = EnrichedArticle.model_validate_json(version.value)
    assert (article.story_key, article.pub_status) == ("guid:urn:agency:story-1", "canceled")
    assert (version.tombstone, tombstone.tombstone) == (False, True)
    assert version.key == tombstone.key == article.id.encode()


def test_with_the_legacy_topic_set_each_article_also_goes_there_as_v1_keyed_by_content() -> None:
    _, producer, _ = run_service(
        [[article_record(0, "Title\n\nBody.")]], enriched_v1_topic="enriched.v1"
    )
    (current,) = producer.on("enriched")
    (legacy,) = producer.on("enriched.v1")
    article = EnrichedArticle.model_validate_json(current.value)
    message = json.loads(legacy.value)
    assert message["schema_version"] == 1
    assert legacy.key == message["id"].encode() == article.content_sha256.encode()
    assert "story_key" not in message


def test_enriched_articles_are_produced_keyed_by_article_id() -> None:
    _, producer, _ = run_service([[article_record(0, "Title\n\nBody.")]])
    (send,) = producer.on("enriched")
    article = EnrichedArticle.model_validate_json(send.value)
    assert send.key == article.id.encode()
    assert (article.title, article.section) == ("Title", "World")


def test_offsets_are_committed_only_after_every_send_is_acknowledged() -> None:
    batch = [article_record(0, "One\n\nBody."), record(1, b"not json")]
    consumer, _, events = run_service([batch])
    # The batch is first noted as started, at its first offset (nothing past it committed).
    assert events[:2] == ["commit", "flush"]
    assert events[-1] == "commit"
    assert sorted(events[2:-1]) == ["acknowledged dlq", "acknowledged enriched"]
    assert consumer.committed == {("raw", 0): 2}
    assert consumer.notes == {("raw", 0): ""}


def test_a_send_the_log_does_not_acknowledge_stops_the_service_without_committing() -> None:
    with pytest.raises(EventLogError):
        run_service([[article_record(0, "One\n\nBody.")]], failing_topic="enriched")


def test_poison_messages_go_to_the_dlq_with_the_original_and_the_loop_goes_on() -> None:
    not_json = record(0, b"{not json")
    unknown = article_record(1, "%PDF-1.7", "report.pdf", media_type="application/pdf")
    consumer, producer, _ = run_service([[not_json, unknown], [article_record(2, "Fine\n\nB.")]])
    letters = [(send, DeadLetter.model_validate_json(send.value)) for send in producer.on("dlq")]
    assert [(letter.error_type, letter.stage) for _, letter in letters] == [
        ("invalid_raw_message", "enrich"),
        ("unknown_format", "enrich"),
    ]
    (send, letter), _ = letters
    assert send.key == b"key-0"
    assert letter.original_key == "key-0"
    assert letter.source == "kafka:raw/0/0"
    assert base64.b64decode(letter.original_base64 or "") == b"{not json"
    assert len(producer.on("enriched")) == 1
    assert consumer.committed[("raw", 0)] == 3


def test_a_broken_feed_line_is_dead_lettered_alone_with_its_text() -> None:
    feed = '{"title": "Good", "body": "B."}\n{"title": oops}\n'
    _, producer, _ = run_service([[article_record(0, feed, "feed.jsonl")]])
    (send,) = producer.on("dlq")
    letter = DeadLetter.model_validate_json(send.value)
    assert letter.reason.startswith("article 2 of the file: line 2: invalid JSON")
    assert base64.b64decode(letter.original_base64 or "") == b'{"title": oops}'
    assert len(producer.on("enriched")) == 1


def test_each_partition_is_committed_one_past_its_last_record() -> None:
    batch = [article_record(7, "A\n\nB."), article_record(3, "C\n\nD.", partition=1)]
    batch.append(article_record(8, "E\n\nF."))
    consumer, _, _ = run_service([batch])
    assert consumer.committed == {("raw", 0): 9, ("raw", 1): 4}


def test_metrics_count_committed_messages_enriched_articles_and_dead_letters() -> None:
    metrics = EnrichMetrics()
    batch = [article_record(0, "One\n\nBody."), record(1, b"not json")]
    run_service([batch, [article_record(2, "Two\n\nBody.")]], metrics=metrics)

    def value(name: str, **labels: str) -> float | None:
        return metrics.registry.get_sample_value(name, labels)

    assert value("newswire_enrich_messages_total") == 3
    assert value("newswire_enrich_articles_enriched_total") == 2
    assert value("newswire_enrich_dead_letters_total", error_type="invalid_raw_message") == 1
    assert value("newswire_enrich_batch_seconds_count") == 2


def test_a_batch_slower_than_the_keep_alive_interval_tells_the_group_it_is_alive() -> None:
    batch = [article_record(n, f"Story {n}\n\nBody.") for n in range(3)]
    consumer, _, _ = run_service([batch], keep_alive_every_s=0.0)
    assert consumer.kept_alive >= 3  # after each document, and after its NER pass
    quick, _, _ = run_service([batch])
    assert quick.kept_alive == 0  # a poll can start a rebalance: only when it must


def test_a_message_in_flight_when_the_replica_stopped_is_started_alone_then_set_aside() -> None:
    raws = [article_record(n, f"Story {n}\n\nBody.") for n in range(3)]
    poison = InFlight(2, 2).encode()  # offset 0, with the rest, was started twice already
    consumer, producer, _ = run_service([raws], committed={("raw", 0): Committed(0, poison)})
    (send,) = producer.on("dlq")
    letter = DeadLetter.model_validate_json(send.value)
    assert (letter.error_type, letter.source) == ("enrich_crashed", "kafka:raw/0/0")
    assert consumer.sought == [(("raw", 0), 1)]  # the rest of the batch comes again
    assert consumer.committed == {("raw", 0): 1}
    assert consumer.notes == {("raw", 0): InFlight(0, 2).encode()}
