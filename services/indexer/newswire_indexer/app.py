"""Wiring the indexer to real Kafka and Elasticsearch, and its commands.

`newswire indexer` runs the service until SIGTERM/SIGINT; `newswire reindex --to articles-v2`
copies the index behind the alias into a new one and switches the alias atomically.
"""

import argparse
import logging
import threading
from pathlib import Path

from newswire import __version__
from newswire.adapters.elasticsearch import create_client
from newswire.article_index import ArticleIndex
from newswire.backends import open_event_log
from newswire.service_process import expose_metrics, stop_on_signals
from newswire.settings import Settings
from newswire_indexer.batch import BatchPolicy
from newswire_indexer.bulk import BulkWriter
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
    ArticleIndex(client, settings.index_alias, settings.index_name).ensure()
    return BulkWriter(
        client,
        settings.index_alias,
        settings.indexer_max_backoff_s,
        on_retry=lambda _: metrics.retries.inc(),
    )


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
    sink = DeadLetterSink(producer, settings.dlq_topic, __version__)
    try:
        Indexer(consumer, writer, sink, policy, metrics).run(stop)
    finally:
        consumer.close()
        producer.close()
        writer.close()


def _serve(args: argparse.Namespace) -> int:
    settings = Settings()
    metrics = IndexerMetrics()
    expose_metrics(settings.indexer_metrics_port, metrics.registry)
    stop = threading.Event()
    stop_on_signals(stop.set)
    log.info(
        "indexing %s into %s (alias %s) at %s",
        settings.enriched_topic,
        settings.index_name,
        settings.index_alias,
        settings.elasticsearch_url,
    )
    run_indexer(settings, stop, metrics)
    return 0


def _reindex(args: argparse.Namespace) -> int:
    settings = Settings()
    if args.from_embedded is not None:
        return _copy_embedded(settings, args.from_embedded)
    client = create_client(settings)
    try:
        count = ArticleIndex(client, settings.index_alias, settings.index_name).reindex(args.to)
    except ValueError as error:
        print(f"error: {error}")
        return 1
    finally:
        client.close()
    print(f"alias {settings.index_alias} now points at {args.to} ({count} documents)")
    return 0


def _copy_embedded(settings: Settings, data_dir: Path) -> int:
    from newswire_indexer.migrate import (  # noqa: PLC0415 (the embedded log only when asked)
        copy_embedded_log_to_elasticsearch,
    )

    try:
        report = copy_embedded_log_to_elasticsearch(settings, data_dir)
    except FileNotFoundError as error:
        print(f"error: {error}")
        return 1
    for refused in report.rejected:
        print(f"refused {refused.document.article_id}: {refused.error_type}: {refused.reason}")
    print(
        f"indexed {report.indexed} articles of {data_dir} into {settings.index_alias} at "
        f"{settings.elasticsearch_url}; {len(report.rejected)} refused"
    )
    return 1 if report.rejected else 0


def add_parsers(subcommands: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    indexer = subcommands.add_parser(
        "indexer", help="index articles.enriched into Elasticsearch", description=__doc__
    )
    indexer.set_defaults(handler=_serve)
    reindex = subcommands.add_parser(
        "reindex",
        help="copy the articles index into a new one and switch the alias to it, or index the "
        "embedded log into Elasticsearch",
        description=f"--to INDEX: {ArticleIndex.reindex.__doc__}\n\n--from-embedded: "
        "index every article of the embedded event log (the `newswire run` mode) into "
        "Elasticsearch at ELASTICSEARCH_URL, to move a running installation over.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    target = reindex.add_mutually_exclusive_group(required=True)
    target.add_argument("--to", metavar="INDEX", help="new index, e.g. articles-v2")
    target.add_argument(
        "--from-embedded",
        type=Path,
        nargs="?",
        const=Settings().data_dir,
        metavar="DATA_DIR",
        help="the embedded mode's data directory (default: NEWSWIRE_DATA_DIR, ./data)",
    )
    reindex.set_defaults(handler=_reindex)
