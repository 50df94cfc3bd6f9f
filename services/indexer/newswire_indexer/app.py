"""Wiring the indexer to the event log (Kafka or embedded) and the search index (Elasticsearch or
embedded), as settings choose."""

import logging
import threading

from elasticsearch import Elasticsearch

from newswire.adapters.elasticsearch import create_client
from newswire.article_index import ArticleIndex, IndexShape
from newswire.backends import open_event_log
from newswire.settings import Settings
from newswire_indexer.batch import BatchPolicy
from newswire_indexer.bulk import BulkWriter, RolloverPolicy
from newswire_indexer.freshness import RefreshLimiter
from newswire_indexer.metrics import IndexerMetrics
from newswire_indexer.ports import DocumentWriter
from newswire_indexer.service import DeadLetterSink, Indexer

log = logging.getLogger(__name__)


def open_document_writer(settings: Settings, metrics: IndexerMetrics) -> DocumentWriter:
    """The index `settings` choose: Elasticsearch (index and alias created if missing), or the
    embedded SQLite index in the data directory."""
    if not settings.uses_elasticsearch():
        from newswire_indexer.embedded_writer import (  # noqa: PLC0415 (only the one in use)
            EmbeddedDocumentWriter,
        )

        return EmbeddedDocumentWriter(settings.search_index_path)
    client = create_client(settings)
    article_index(client, settings).ensure()
    return BulkWriter(
        client,
        settings.index_alias,
        settings.indexer_max_backoff_s,
        on_retry=lambda _: metrics.retries.inc(),
        concurrency=settings.indexer_write_parts,
        rollover=RolloverPolicy(
            max_primary_shard_size=settings.index_rollover_max_primary_shard_size,
            max_docs=settings.index_rollover_max_docs,
            check_interval_s=settings.index_rollover_check_interval_s,
        ),
    )


def article_index(client: Elasticsearch, settings: Settings) -> ArticleIndex:
    """The indices behind `settings.index_alias`, shaped as the settings say."""
    shape = IndexShape(story_shards=settings.index_primary_shards, replicas=settings.index_replicas)
    return ArticleIndex(client, settings.index_alias, settings.index_name, shape=shape)


def run_indexer(settings: Settings, stop: threading.Event, metrics: IndexerMetrics) -> None:
    """Run one indexer until `stop` is set; everything it needs comes from `settings`."""
    writer = open_document_writer(settings, metrics)
    event_log = open_event_log(settings)
    event_log.ensure_topics([settings.enriched_topic, settings.dlq_topic])
    consumer = event_log.consumer(
        settings.indexer_group_id, [settings.enriched_topic], client_id="newswire-indexer"
    )
    producer = event_log.producer(client_id="newswire-indexer")
    policy = BatchPolicy(
        max_docs=settings.indexer_batch_max_docs,
        max_bytes=settings.indexer_batch_max_bytes,
        max_wait_s=settings.indexer_batch_max_wait_s,
    )
    sink = DeadLetterSink(producer, settings.dlq_topic)
    refreshes = (
        RefreshLimiter(
            settings.indexer_refresh_min_interval_s, settings.indexer_refresh_quiet_gap_s
        )
        if settings.indexer_refresh_when_quiet
        else None
    )
    try:
        Indexer(consumer, writer, sink, policy, metrics, refreshes=refreshes).run(stop)
    finally:
        consumer.close()
        producer.close()
        writer.close()
