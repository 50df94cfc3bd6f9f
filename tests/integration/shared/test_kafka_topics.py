"""The topics Newswire creates on a real broker are configured for their use: the raw topic
keeps everything (re-enrichment replays it), the enriched topic is compacted by story (a new
reader gets the latest version of each live story; a tombstone deletes one). On one broker they
get one replica and the broker's min.insync.replicas; what would lose acknowledged messages is
named at start (replication factor > 1 needs a cluster: those cases are unit-tested in
tests/unit/shared/test_kafka_durability.py)."""

import logging
import time
from collections.abc import Callable

import pytest
from kafka.admin import ConfigResource, ConfigResourceType, NewTopic

from newswire.adapters.kafka import create_producer, ensure_topics, new_admin
from newswire.adapters.kafka_durability import read_durability_warnings
from newswire.settings import Settings

pytestmark = pytest.mark.integration


def _configs(bootstrap: str, topic: str) -> dict[str, str]:
    """The topic's configuration, once the broker describes it."""
    return {key: str(entry["value"]) for key, entry in _described(bootstrap, topic).items()}


def _described(bootstrap: str, topic: str) -> dict[str, dict[str, object]]:
    """The topic's configuration with each value's source, once the broker describes it (a
    topic created a moment ago may be described as empty at first: seen on a loaded machine)."""
    admin = new_admin(Settings(kafka_bootstrap_servers=bootstrap))
    deadline = time.monotonic() + 15
    try:
        resource = ConfigResource(ConfigResourceType.TOPIC, topic)
        while True:
            described = admin.describe_configs([resource], config_filter="all")
            # kafka-python answers {resource type: {topic: {key: {"value": …, …}}}}.
            configs = described.get("topic", {}).get(topic) or {}
            if configs or time.monotonic() > deadline:
                return dict(configs)
            time.sleep(0.2)
    finally:
        admin.close()


def _replicas(bootstrap: str, topic: str) -> list[int]:
    """How many replicas each partition of the topic has, once the metadata shows them."""
    admin = new_admin(Settings(kafka_bootstrap_servers=bootstrap))
    deadline = time.monotonic() + 15
    try:
        while True:
            [described] = admin.describe_topics([topic])
            partitions = sorted(described["partitions"], key=lambda p: p["partition_index"])
            if partitions or time.monotonic() > deadline:
                return [len(partition["replica_nodes"]) for partition in partitions]
            time.sleep(0.2)
    finally:
        admin.close()


def test_raw_is_kept_whole_enriched_compacted_by_story_and_dead_letters_kept_a_month(
    kafka_bootstrap_servers: str, kafka_topic: Callable[[], str]
) -> None:
    settings = Settings(
        kafka_bootstrap_servers=kafka_bootstrap_servers,
        raw_topic=kafka_topic(),
        enriched_topic=kafka_topic(),
        dlq_topic=kafka_topic(),
    )
    ensure_topics(settings, [settings.raw_topic, settings.enriched_topic, settings.dlq_topic])

    raw, enriched, dlq = (
        _configs(kafka_bootstrap_servers, topic)
        for topic in (settings.raw_topic, settings.enriched_topic, settings.dlq_topic)
    )
    assert raw["retention.ms"] == "-1"
    assert (enriched["cleanup.policy"], enriched["delete.retention.ms"]) == ("compact", "604800000")
    assert (dlq["cleanup.policy"], dlq["retention.ms"]) == ("delete", "2592000000")


def test_an_existing_topic_configured_otherwise_is_left_alone_with_a_warning(
    kafka_bootstrap_servers: str,
    kafka_topic: Callable[[], str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    settings = Settings(
        kafka_bootstrap_servers=kafka_bootstrap_servers, enriched_topic=kafka_topic()
    )
    admin = new_admin(settings)
    try:
        admin.create_topics([NewTopic(settings.enriched_topic, 1, 1)])  # made by an older version
    finally:
        admin.close()

    with caplog.at_level(logging.WARNING, logger="newswire.adapters.kafka"):
        ensure_topics(settings, [settings.enriched_topic])

    assert _configs(kafka_bootstrap_servers, settings.enriched_topic)["cleanup.policy"] == "delete"
    assert f"topic {settings.enriched_topic} exists with" in caplog.text


def test_on_one_broker_topics_get_one_replica_and_the_brokers_min_insync(
    kafka_bootstrap_servers: str,
    kafka_topic: Callable[[], str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    settings = Settings(kafka_bootstrap_servers=kafka_bootstrap_servers, raw_topic=kafka_topic())

    with caplog.at_level(logging.INFO, logger="newswire.adapters.kafka"):
        ensure_topics(settings, [settings.raw_topic])

    assert _replicas(kafka_bootstrap_servers, settings.raw_topic) == [1] * 6
    min_insync = _described(kafka_bootstrap_servers, settings.raw_topic)["min.insync.replicas"]
    assert min_insync["config_source"] not in ("TOPIC_CONFIG", "DYNAMIC_TOPIC_CONFIG")
    assert (
        f"created topic {settings.raw_topic}: 6 partitions, replication factor 1, "
        "min.insync.replicas the broker's default (brokers in the cluster: 1)"
    ) in caplog.text
    assert read_durability_warnings(settings) == []


def test_unclean_leader_election_on_a_topic_is_warned_about_at_start(
    kafka_bootstrap_servers: str, kafka_topic: Callable[[], str]
) -> None:
    settings = Settings(
        kafka_bootstrap_servers=kafka_bootstrap_servers,
        raw_topic=kafka_topic(),
        enriched_topic=kafka_topic(),
        dlq_topic=kafka_topic(),
    )
    admin = new_admin(settings)
    try:
        admin.create_topics(
            [
                NewTopic(
                    settings.raw_topic,
                    1,
                    1,
                    topic_configs={"unclean.leader.election.enable": "true"},
                ),
                # One replica: min.insync.replicas 1 loses nothing more (one broker here).
                NewTopic(settings.dlq_topic, 1, 1, topic_configs={"min.insync.replicas": "1"}),
            ]
        )
    finally:
        admin.close()
    _described(kafka_bootstrap_servers, settings.raw_topic)

    assert read_durability_warnings(settings) == [
        f"topic {settings.raw_topic} has unclean.leader.election.enable=true: a replica that "
        "missed acknowledged messages may become its leader and drop them; run kafka-configs.sh "
        f"--bootstrap-server {kafka_bootstrap_servers} --alter --entity-type topics "
        f"--entity-name {settings.raw_topic} --add-config unclean.leader.election.enable=false"
    ]


def test_a_cluster_that_cannot_be_reached_gives_no_warning_and_no_error() -> None:
    settings = Settings(kafka_bootstrap_servers="127.0.0.1:1")
    assert read_durability_warnings(settings) == []


def test_producers_wait_for_every_in_sync_replica_and_are_idempotent(
    kafka_bootstrap_servers: str,
) -> None:
    producer = create_producer(
        Settings(kafka_bootstrap_servers=kafka_bootstrap_servers), "test-durability"
    )
    try:
        assert producer.config["acks"] in (-1, "all")
        assert producer.config["enable_idempotence"] is True
        assert producer.config["retries"] > 0
    finally:
        producer.close()
