"""Smoke tests of the Kafka adapter against a real broker: produce, consume, commit."""

from collections.abc import Callable

import pytest
from kafka import TopicPartition

from newswire.adapters.kafka import create_consumer, create_producer, ensure_topics, new_admin
from newswire.settings import Settings

pytestmark = pytest.mark.integration


@pytest.fixture
def kafka_settings(kafka_bootstrap_servers: str) -> Settings:
    return Settings(kafka_bootstrap_servers=kafka_bootstrap_servers)


def test_ensure_topics_creates_missing_topics_with_configured_partitions(
    kafka_settings: Settings, kafka_topic: Callable[[], str], kafka_bootstrap_servers: str
) -> None:
    topic = kafka_topic()
    ensure_topics(kafka_settings, [topic])
    ensure_topics(kafka_settings, [topic])  # a second call finds it and changes nothing

    admin = new_admin(kafka_settings)
    try:
        (description,) = admin.describe_topics([topic])
    finally:
        admin.close()
    assert len(description["partitions"]) == kafka_settings.topic_partitions


def test_acknowledged_messages_are_consumed_in_key_order_and_committed_offsets_resume(
    kafka_settings: Settings, kafka_topic: Callable[[], str]
) -> None:
    topic = kafka_topic()
    ensure_topics(kafka_settings, [topic])
    producer = create_producer(kafka_settings, client_id="smoke-producer")
    sent = [(f"article-{n % 4}".encode(), f"body {n}".encode()) for n in range(40)]
    metadata = [producer.send(topic, key=key, value=value).get(timeout=30) for key, value in sent]
    producer.close()
    partitions_by_key: dict[bytes, set[int]] = {}
    for (key, _), record in zip(sent, metadata, strict=True):
        partitions_by_key.setdefault(key, set()).add(record.partition)
    assert all(len(partitions) == 1 for partitions in partitions_by_key.values())

    consumer = create_consumer(kafka_settings, "smoke-group", [topic], client_id="smoke-1")
    received: list[tuple[bytes, bytes]] = []
    while len(received) < len(sent):
        batches = consumer.poll(timeout_ms=10_000)
        assert batches, f"no message within 10 s after {len(received)} of {len(sent)}"
        received.extend((m.key, m.value) for records in batches.values() for m in records)
    consumer.commit()
    consumer.close()

    assert sorted(received) == sorted(sent)
    for key in partitions_by_key:  # order is kept per key, which is what consumers rely on
        assert [v for k, v in received if k == key] == [v for k, v in sent if k == key]

    # A new member of the same group starts from the committed offsets: nothing is redelivered.
    resumed = create_consumer(kafka_settings, "smoke-group", [topic], client_id="smoke-2")
    redelivered = resumed.poll(timeout_ms=5_000)
    positions = {
        tp.partition: resumed.position(TopicPartition(topic, tp.partition))
        for tp in resumed.assignment()
    }
    resumed.close()
    assert redelivered == {}
    assert sum(positions.values()) == len(sent)
