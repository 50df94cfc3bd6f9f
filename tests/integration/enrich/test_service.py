"""The enrich service against a real Kafka broker: produce, dead-letter, commit, share, resume."""

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from kafka import TopicPartition

from newswire.adapters.kafka import create_producer, new_admin, new_consumer
from newswire.enriched import EnrichedArticle
from newswire.messages import DeadLetter, RawArticle
from newswire.settings import Settings
from newswire_enrich.app import run_enrich
from newswire_enrich.local_files import raw_article_from_file
from tests.support.enrichers import raw_article

pytestmark = pytest.mark.integration

SAMPLE = "samples/trtworld-2024-09-11-pezeshkian-iraq.txt"


def bbc_raw_articles(shared_dir: Path, count: int, skip: int = 0) -> list[RawArticle]:
    inbox = shared_dir / "corpora" / "bbc"
    paths = sorted(inbox.glob("tech/*.txt"))[skip : skip + count]
    return [raw_article_from_file(path, inbox) for path in paths]


def produce_raw(settings: Settings, messages: list[tuple[bytes, bytes]]) -> None:
    producer = create_producer(settings, client_id="test-ingest")
    for key, value in messages:
        producer.send(settings.raw_topic, key=key, value=value)
    producer.flush()
    producer.close()


def as_messages(raws: list[RawArticle]) -> list[tuple[bytes, bytes]]:
    return [(raw.id.encode(), raw.model_dump_json().encode()) for raw in raws]


def consume(settings: Settings, topic: str, expected: int, timeout_s: float = 60) -> list[Any]:
    consumer = new_consumer(
        settings,
        topic,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    records: list[Any] = []
    deadline = time.monotonic() + timeout_s
    try:
        while len(records) < expected and time.monotonic() < deadline:
            for batch in consumer.poll(timeout_ms=500).values():
                records.extend(batch)
        # Anything beyond what is expected would be a duplicate: give it a moment to show up.
        for batch in consumer.poll(timeout_ms=1_000).values():
            records.extend(batch)
    finally:
        consumer.close()
    return records


@contextmanager
def running_replicas(settings: Settings, count: int = 1) -> Iterator[None]:
    stop = threading.Event()
    errors: list[BaseException] = []

    def replica() -> None:
        try:
            run_enrich(settings, stop)
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=replica, daemon=True) for _ in range(count)]
    for thread in threads:
        thread.start()
    try:
        yield
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=30)
    assert errors == []


def committed_offsets(settings: Settings, group_id: str | None = None) -> dict[int, int]:
    """The raw topic's committed offsets of `group_id`, by default the enrich service's."""
    group_id = group_id or settings.enrich_group_id
    admin = new_admin(settings)
    try:
        offsets = admin.list_group_offsets({group_id: None})
    finally:
        admin.close()
    found = offsets[group_id]
    return {
        tp.partition: meta.offset for tp, meta in found.items() if tp.topic == settings.raw_topic
    }


def end_offsets(settings: Settings) -> dict[int, int]:
    consumer = new_consumer(settings)
    try:
        partitions = [
            TopicPartition(settings.raw_topic, p)
            for p in consumer.partitions_for_topic(settings.raw_topic)
        ]
        return {tp.partition: offset for tp, offset in consumer.end_offsets(partitions).items()}
    finally:
        consumer.close()


def _contents(records: list[Any]) -> list[str]:
    """The content ids of enriched messages, each checked to be keyed by its story's id."""
    articles = [(r.key, EnrichedArticle.model_validate_json(r.value)) for r in records]
    assert all(key == article.id.encode() for key, article in articles)
    return sorted(article.content_sha256 for _, article in articles)


def test_raw_articles_are_enriched_poison_is_dead_lettered_and_all_offsets_committed(
    enrich_settings: Settings, shared_dir: Path
) -> None:
    sample = raw_article_from_file(shared_dir / SAMPLE)
    pdf = raw_article("%PDF-1.7", "report.pdf", media_type="application/pdf")
    messages = [*as_messages([sample, pdf]), (b"broken", b"{not json")]
    produce_raw(enrich_settings, messages)

    with running_replicas(enrich_settings):
        enriched = consume(enrich_settings, enrich_settings.enriched_topic, expected=1)
        dead = consume(enrich_settings, enrich_settings.dlq_topic, expected=2)

    (record,) = enriched
    article = EnrichedArticle.model_validate_json(record.value)
    assert record.key == article.id.encode()  # the story's id
    assert article.content_sha256 == sample.id
    assert article.title.startswith("Iran's Pezeshkian visits Iraq")
    assert "Masoud Pezeshkian" in {entity.name for entity in article.entities}
    letters = {r.key: DeadLetter.model_validate_json(r.value) for r in dead}
    assert letters[pdf.id.encode()].error_type == "unknown_format"
    assert letters[b"broken"].error_type == "invalid_raw_message"
    written = {p: end for p, end in end_offsets(enrich_settings).items() if end > 0}
    assert committed_offsets(enrich_settings) == written


def test_two_replicas_share_the_partitions_and_enrich_each_article_once(
    enrich_settings: Settings, shared_dir: Path
) -> None:
    raws = bbc_raw_articles(shared_dir, 24)
    with running_replicas(enrich_settings, count=2):
        members = wait_for_group_members(enrich_settings, count=2)
        produce_raw(enrich_settings, as_messages(raws))
        enriched = consume(enrich_settings, enrich_settings.enriched_topic, expected=len(raws))
    assert _contents(enriched) == sorted(raw.id for raw in raws)
    assigned = [set(member) for member in members]
    assert all(assigned)
    assert not assigned[0] & assigned[1]
    assert assigned[0] | assigned[1] == set(range(enrich_settings.topic_partitions))


def test_a_restarted_replica_resumes_after_the_last_committed_article(
    enrich_settings: Settings, shared_dir: Path
) -> None:
    first, second = bbc_raw_articles(shared_dir, 5), bbc_raw_articles(shared_dir, 5, skip=5)
    produce_raw(enrich_settings, as_messages(first))
    with running_replicas(enrich_settings):
        consume(enrich_settings, enrich_settings.enriched_topic, expected=len(first))
    produce_raw(enrich_settings, as_messages(second))
    with running_replicas(enrich_settings):
        enriched = consume(enrich_settings, enrich_settings.enriched_topic, expected=10)
    assert _contents(enriched) == sorted(raw.id for raw in first + second)


def wait_for_group_members(
    settings: Settings, count: int, timeout_s: float = 60
) -> list[list[int]]:
    """The partitions of the raw topic each member of the group holds, once `count` hold some."""
    admin = new_admin(settings)
    deadline = time.monotonic() + timeout_s
    try:
        while time.monotonic() < deadline:
            (group,) = admin.describe_groups([settings.enrich_group_id]).values()
            members = [_assigned_partitions(m, settings.raw_topic) for m in group["members"]]
            if group["group_state"] == "Stable" and len(members) == count and all(members):
                return members
            time.sleep(0.5)
    finally:
        admin.close()
    raise AssertionError(f"the group never had {count} members with partitions")


def _assigned_partitions(member: dict[str, Any], topic: str) -> list[int]:
    assignment = member["member_assignment"]
    if not isinstance(assignment, dict):  # empty while the group is still rebalancing
        return []
    assigned = assignment["assigned_partitions"]
    return [p for entry in assigned if entry["topic"] == topic for p in entry["partitions"]]
