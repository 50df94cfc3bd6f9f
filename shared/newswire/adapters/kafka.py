"""Kafka clients configured the one way every Newswire service uses them.

Producers wait for all in-sync replicas and are idempotent, so an acknowledged message is durable
and a retried send is not written twice. Consumers never auto-commit: a service commits an offset
only after the next stage has durably taken the result (at-least-once, made explicit).
Producers and the topics Newswire creates share one size limit, so what one sends the other takes.
"""

import contextlib
from collections.abc import Iterable

from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer
from kafka.admin import NewTopic
from kafka.errors import TopicAlreadyExistsError

from newswire.settings import Settings


def create_producer(settings: Settings, client_id: str) -> KafkaProducer:
    return KafkaProducer(
        bootstrap_servers=settings.kafka_bootstrap_servers,
        client_id=client_id,
        acks="all",
        enable_idempotence=True,
        linger_ms=5,
        max_request_size=settings.kafka_max_message_bytes,
    )


def create_consumer(
    settings: Settings, group_id: str, topics: Iterable[str], client_id: str
) -> KafkaConsumer:
    return KafkaConsumer(
        *topics,
        bootstrap_servers=settings.kafka_bootstrap_servers,
        group_id=group_id,
        client_id=client_id,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
    )


def ensure_topics(settings: Settings, names: Iterable[str]) -> None:
    """Create the topics that do not exist yet; existing ones are left as they are."""
    admin = KafkaAdminClient(
        bootstrap_servers=settings.kafka_bootstrap_servers, client_id="newswire-admin"
    )
    try:
        missing = set(names) - set(admin.list_topics())
        for name in sorted(missing):
            # Another replica may create it meanwhile.
            with contextlib.suppress(TopicAlreadyExistsError):
                admin.create_topics(
                    [
                        NewTopic(
                            name,
                            settings.topic_partitions,
                            settings.topic_replication_factor,
                            topic_configs={
                                "max.message.bytes": str(settings.kafka_max_message_bytes)
                            },
                        )
                    ]
                )
    finally:
        admin.close()
