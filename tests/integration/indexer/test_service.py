"""The indexer against a real Kafka broker and a real Elasticsearch node."""

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from elasticsearch import Elasticsearch

from benchmarks.corpus import enriched_bbc_articles
from newswire.adapters.elasticsearch import create_client
from newswire.adapters.kafka import create_producer, ensure_topics, new_consumer
from newswire.article_index import stories_alias, story_of
from newswire.enriched import EnrichedArticle
from newswire.messages import DeadLetter
from newswire.settings import Settings
from newswire_indexer.app import run_indexer
from newswire_indexer.metrics import IndexerMetrics
from newswire_ops.dev_services.elasticsearch_node import ElasticsearchNode
from tests.support.search_corpus import LISTINGS, listed_stories

pytestmark = pytest.mark.integration


@pytest.fixture
def indexer_settings(
    kafka_bootstrap_servers: str,
    elasticsearch_url: str,
    kafka_topic: Callable[[], str],
    index_name: str,
) -> Settings:
    settings = Settings(
        kafka_bootstrap_servers=kafka_bootstrap_servers,
        elasticsearch_url=elasticsearch_url,
        enriched_topic=kafka_topic(),
        dlq_topic=kafka_topic(),
        index_alias=f"{index_name}-alias",
        index_name=index_name,
        indexer_group_id=f"{index_name}-group",
        indexer_batch_max_docs=100,
        indexer_batch_max_wait_s=0.2,
        indexer_max_backoff_s=2.0,
        indexer_metrics_port=0,
    )
    ensure_topics(settings, [settings.enriched_topic, settings.dlq_topic])
    return settings


def _produce(settings: Settings, messages: list[tuple[bytes | None, bytes]]) -> None:
    producer = create_producer(settings, client_id="test-upstream")
    for key, value in messages:
        producer.send(settings.enriched_topic, key=key, value=value)
    producer.flush()
    producer.close()


def _as_messages(articles: list[EnrichedArticle]) -> list[tuple[bytes | None, bytes]]:
    return [(a.id.encode(), a.model_dump_json().encode()) for a in articles]


@contextmanager
def _running_indexer(settings: Settings) -> Iterator[IndexerMetrics]:
    stop, metrics = threading.Event(), IndexerMetrics()
    errors: list[BaseException] = []

    def target() -> None:
        try:
            run_indexer(settings, stop, metrics)
        except BaseException as error:
            errors.append(error)

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    try:
        yield metrics
    finally:
        stop.set()
        thread.join(timeout=60)
    assert not thread.is_alive(), "the indexer did not stop within 60 s of being asked"
    assert not errors, errors


def _count(client: Elasticsearch, index: str) -> int:
    if not client.indices.exists(index=index):  # the indexer creates it when it starts
        return 0
    client.indices.refresh(index=index)
    return int(client.count(index=index, query=LISTINGS)["count"])  # stories listed


def _wait_for_count(client: Elasticsearch, index: str, expected: int, timeout_s: float = 90) -> int:
    deadline = time.monotonic() + timeout_s
    count = -1
    while time.monotonic() < deadline:
        count = _count(client, index)
        if count >= expected:
            return count
        time.sleep(0.3)
    return count


def _dead_letters(settings: Settings, expected: int, timeout_s: float = 30) -> list[DeadLetter]:
    consumer = new_consumer(
        settings,
        settings.dlq_topic,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    letters: list[DeadLetter] = []
    deadline = time.monotonic() + timeout_s
    while len(letters) < expected and time.monotonic() < deadline:
        for records in consumer.poll(timeout_ms=500).values():
            letters.extend(DeadLetter.model_validate_json(r.value) for r in records)
    # One more short poll: more dead letters than expected is a failure too.
    for records in consumer.poll(timeout_ms=1000).values():
        letters.extend(DeadLetter.model_validate_json(r.value) for r in records)
    consumer.close()
    return letters


def test_replaying_the_same_messages_leaves_the_same_documents(
    indexer_settings: Settings, elasticsearch: Elasticsearch, shared_dir: Path
) -> None:
    articles = list(enriched_bbc_articles(shared_dir, limit=300))
    _produce(indexer_settings, _as_messages(articles))
    with _running_indexer(indexer_settings) as metrics:
        assert _wait_for_count(elasticsearch, indexer_settings.index_alias, 300) == 300
        _produce(indexer_settings, _as_messages(articles))  # upstream redelivers everything
        deadline = time.monotonic() + 60
        while metrics.documents_indexed._value.get() < 600 and time.monotonic() < deadline:
            time.sleep(0.2)
    assert metrics.documents_indexed._value.get() == 600
    assert _count(elasticsearch, indexer_settings.index_alias) == 300

    # A second consumer group replays the topic from the start: still one document per article.
    replay = indexer_settings.model_copy(update={"indexer_group_id": "replay-group"})
    with _running_indexer(replay) as metrics:
        deadline = time.monotonic() + 60
        while metrics.documents_indexed._value.get() < 600 and time.monotonic() < deadline:
            time.sleep(0.2)
    assert _count(elasticsearch, indexer_settings.index_alias) == 300
    stored = elasticsearch.get(index=stories_alias(indexer_settings.index_alias), id=articles[0].id)
    story = story_of(stored["_source"])
    assert story is not None
    assert story.current == articles[0]
    assert len(story.versions) == 1  # redelivered, the same version


def test_documents_the_mapping_rejects_go_to_the_dlq_and_their_neighbours_are_indexed(
    indexer_settings: Settings, elasticsearch: Elasticsearch, shared_dir: Path
) -> None:
    articles = list(enriched_bbc_articles(shared_dir, limit=20))
    wrong_type = json.loads(articles[0].model_dump_json())
    wrong_type.update(id="wrong-type", word_count="many")
    messages = _as_messages(articles[:10])
    messages.append((b"wrong-type", json.dumps(wrong_type).encode()))
    messages.append((b"not-json", b"this is not JSON {"))
    # A message without a key cannot reach a compacted topic (the broker refuses it); the
    # indexer's answer to one is covered on the embedded log (tests/unit/indexer).
    messages.extend(_as_messages(articles[10:]))
    _produce(indexer_settings, messages)

    with _running_indexer(indexer_settings) as metrics:
        assert _wait_for_count(elasticsearch, indexer_settings.index_alias, 20) == 20
        letters = _dead_letters(indexer_settings, expected=2)

    assert _count(elasticsearch, indexer_settings.index_alias) == 20
    by_key = {letter.original_key: letter for letter in letters}
    assert sorted(by_key, key=str) == ["not-json", "wrong-type"]
    assert by_key["wrong-type"].error_type == "document_parsing_exception"
    assert "word_count" in by_key["wrong-type"].reason
    assert all(letter.stage == "indexer" and letter.original_base64 for letter in letters)
    assert (
        sum(
            s.value
            for m in metrics.dead_letters.collect()
            for s in m.samples
            if s.name.endswith("_total")
        )
        == 2
    )


def test_every_article_is_indexed_once_across_an_elasticsearch_outage(
    indexer_settings: Settings, private_elasticsearch: ElasticsearchNode, shared_dir: Path
) -> None:
    settings = indexer_settings.model_copy(
        update={"elasticsearch_url": private_elasticsearch.address}
    )
    client = create_client(settings)
    articles = list(enriched_bbc_articles(shared_dir, limit=1000))
    _produce(settings, _as_messages(articles[:500]))

    with _running_indexer(settings) as metrics:
        assert _wait_for_count(client, settings.index_alias, 500) == 500
        private_elasticsearch.down()
        _produce(settings, _as_messages(articles[500:]))
        time.sleep(5)  # the indexer meets the outage and backs off
        retries_during_outage = metrics.retries._value.get()
        private_elasticsearch.up()
        assert _wait_for_count(client, settings.index_alias, 1000) == 1000

    assert retries_during_outage > 0
    assert _count(client, settings.index_alias) == 1000
    assert _dead_letters(settings, expected=0, timeout_s=2) == []
    client.close()


def test_a_kill_9_mid_batch_and_a_restart_lose_and_duplicate_nothing(
    indexer_settings: Settings, elasticsearch: Elasticsearch, shared_dir: Path
) -> None:
    articles = list(enriched_bbc_articles(shared_dir, limit=2000))
    _produce(indexer_settings, _as_messages(articles))
    env = {
        **os.environ,
        "KAFKA_BOOTSTRAP_SERVERS": indexer_settings.kafka_bootstrap_servers,
        "ELASTICSEARCH_URL": indexer_settings.elasticsearch_url,
        "NEWSWIRE_ENRICHED_TOPIC": indexer_settings.enriched_topic,
        "NEWSWIRE_DLQ_TOPIC": indexer_settings.dlq_topic,
        "NEWSWIRE_INDEX_ALIAS": indexer_settings.index_alias,
        "NEWSWIRE_INDEX_NAME": indexer_settings.index_name,
        "NEWSWIRE_INDEXER_GROUP_ID": indexer_settings.indexer_group_id,
        "NEWSWIRE_INDEXER_BATCH_MAX_DOCS": "50",
        "NEWSWIRE_INDEXER_METRICS_PORT": "0",
    }
    command = [sys.executable, "-m", "newswire_indexer"]
    first = subprocess.Popen(command, env=env, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if 0 < _count(elasticsearch, indexer_settings.index_alias) < 1500:
            break
        time.sleep(0.05)
    first.send_signal(signal.SIGKILL)
    first.wait()
    killed_at = _count(elasticsearch, indexer_settings.index_alias)
    assert 0 < killed_at < 2000, "the kill should land mid-stream"

    second = subprocess.Popen(command, env=env, stderr=subprocess.DEVNULL)
    try:
        assert _wait_for_count(elasticsearch, indexer_settings.index_alias, 2000) == 2000
    finally:
        second.send_signal(signal.SIGTERM)
        assert second.wait(timeout=60) == 0, "SIGTERM should flush, commit and exit 0"

    assert _count(elasticsearch, indexer_settings.index_alias) == 2000
    listed = listed_stories(elasticsearch, indexer_settings.index_alias)
    assert sorted(listed) == sorted(article.id for article in articles)
