"""The topics Newswire creates on a real broker are configured for their use: the raw topic
keeps everything (re-enrichment replays it), the enriched topic is compacted by story (a new
reader gets the latest version of each live story; a tombstone deletes one)."""

import logging
from collections.abc import Callable

import pytest
from kafka.admin import ConfigResource, ConfigResourceType, NewTopic

from newswire.adapters.kafka import ensure_topics, new_admin
from newswire.settings import Settings

pytestmark = pytest.mark.integration


def _configs(bootstrap: str, topic: str) -> dict[str, str]:
    admin = new_admin(Settings(kafka_bootstrap_servers=bootstrap))
    try:
        resource = ConfigResource(ConfigResourceType.TOPIC, topic)
        described = admin.describe_configs([resource], config_filter="all")
    finally:
        admin.close()
    # kafka-python answers {resource type: {topic: {key: {"value": …, …}}}}.
    return {key: str(entry["value"]) for key, entry in described["topic"][topic].items()}


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
