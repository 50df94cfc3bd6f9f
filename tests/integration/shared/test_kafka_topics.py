"""The topics Newswire creates on a real broker are configured for their use: the raw topic
keeps everything (re-enrichment replays it), the enriched topic is compacted by story (a new
reader gets the latest version of each live story; a tombstone deletes one)."""

import logging
import time
from collections.abc import Callable

import pytest
from kafka.admin import ConfigResource, ConfigResourceType, NewTopic

from newswire.adapters.kafka import ensure_topics, new_admin
from newswire.settings import Settings

pytestmark = pytest.mark.integration


def _configs(bootstrap: str, topic: str) -> dict[str, str]:
    """The topic's configuration, once the broker describes it (a topic created a moment ago
    may be described as empty at first: seen on a loaded machine)."""
    admin = new_admin(Settings(kafka_bootstrap_servers=bootstrap))
    deadline = time.monotonic() + 15
    try:
        resource = ConfigResource(ConfigResourceType.TOPIC, topic)
        while True:
            described = admin.describe_configs([resource], config_filter="all")
            # kafka-python answers {resource type: {topic: {key: {"value": …, …}}}}.
            configs = described.get("topic", {}).get(topic) or {}
            if configs or time.monotonic() > deadline:
                return {key: str(entry["value"]) for key, entry in configs.items()}
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
