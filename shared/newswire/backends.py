"""Choosing the back-ends from settings: Kafka or the embedded SQLite log; Elasticsearch or the
embedded SQLite index.

`auto` (the default) picks Kafka when KAFKA_BOOTSTRAP_SERVERS is configured and the embedded log
otherwise, so that `newswire run` works with nothing installed and pointing at a broker is only
configuration. Each adapter is imported only when chosen.
"""

from collections.abc import Callable

from newswire.event_log import EventLog
from newswire.settings import Settings


def open_event_log(settings: Settings) -> EventLog:
    if settings.uses_kafka():
        from newswire.adapters.kafka import KafkaEventLog  # noqa: PLC0415 (see the docstring)

        return KafkaEventLog(settings)
    from newswire.embedded.event_log import SqliteEventLog  # noqa: PLC0415

    return SqliteEventLog(
        settings.event_log_path,
        partitions=settings.topic_partitions,
        max_message_bytes=settings.kafka_max_message_bytes,
    )


def open_article_lookup(settings: Settings) -> Callable[[str], list[str]]:
    """sha256 of a dropped file → ids of the indexed articles made from it, in the index
    `settings` choose (for tools such as `newswire status`)."""
    if settings.uses_elasticsearch():
        from newswire.adapters.elasticsearch import create_client  # noqa: PLC0415

        def in_elasticsearch(sha256: str) -> list[str]:
            client = create_client(settings)
            try:
                if not client.indices.exists_alias(name=settings.index_alias):
                    return []
                found = client.search(
                    index=settings.index_alias,
                    query={"term": {"provenance.sha256": sha256}},
                    source=False,
                    size=1000,
                )
            finally:
                client.close()
            return sorted(hit["_id"] for hit in found["hits"]["hits"])

        return in_elasticsearch

    from newswire.embedded.search_index import articles_from_file  # noqa: PLC0415

    return lambda sha256: articles_from_file(settings.search_index_path, sha256)
