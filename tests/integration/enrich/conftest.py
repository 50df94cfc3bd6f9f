"""The enrich integration tests' settings: topics and a consumer group of each test's own."""

from collections.abc import Callable

import pytest

from newswire.adapters.kafka import ensure_topics
from newswire.settings import Settings


@pytest.fixture
def enrich_settings(kafka_bootstrap_servers: str, kafka_topic: Callable[[], str]) -> Settings:
    settings = Settings(
        kafka_bootstrap_servers=kafka_bootstrap_servers,
        raw_topic=kafka_topic(),
        enriched_topic=kafka_topic(),
        dlq_topic=kafka_topic(),
        enrich_group_id=f"enrich-{kafka_topic()}",
        enrich_batch_size=8,
        enrich_poll_timeout_s=0.2,
    )
    ensure_topics(settings, [settings.raw_topic, settings.enriched_topic, settings.dlq_topic])
    return settings
