"""Choosing the event log from settings: Kafka or the embedded SQLite log.

`auto` (the default) picks Kafka when KAFKA_BOOTSTRAP_SERVERS is configured and the embedded log
otherwise, so that `newswire run` works with nothing installed and pointing at a broker is only
configuration. Each adapter is imported only when chosen.
"""

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
        max_poll_interval_s=settings.consumer_max_poll_interval_s,
    )
