"""`newswire indexer` runs the indexer until SIGTERM/SIGINT; `newswire reindex --to articles-v4`
copies the Elasticsearch indices behind the aliases into new ones and switches them atomically;
`newswire reindex --from-embedded` indexes the embedded log's articles into Elasticsearch.
"""

import argparse
import logging
import threading
from collections.abc import Sequence
from pathlib import Path

from elastic_transport import TransportError
from elasticsearch import ApiError

from newswire.adapters.elasticsearch import access_problem, create_client
from newswire.adapters.kafka_access import KafkaAccessError
from newswire.adapters.refusals import EXIT_REFUSED
from newswire.article_index import ArticleIndex, stories_alias
from newswire.command_line import run_command
from newswire.event_log import EventLogError
from newswire.service_process import expose_metrics, stop_on_signals
from newswire.settings import Settings
from newswire_indexer.app import article_index, run_indexer
from newswire_indexer.metrics import IndexerMetrics

log = logging.getLogger(__name__)


def add_parsers(subcommands: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    indexer = subcommands.add_parser(
        "indexer",
        help="index articles.enriched into the search index",
        description="Consume articles.enriched in consumer group `indexer` and write the "
        "articles to the search index (Elasticsearch or the embedded one); documents the index "
        "refuses go to articles.dlq. Runs until SIGTERM or SIGINT.",
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
    target.add_argument(
        "--to", metavar="INDEX", help="base name of the new indices, e.g. articles-v4"
    )
    target.add_argument(
        "--from-embedded",
        type=Path,
        nargs="?",
        const=Settings().data_dir,
        metavar="DATA_DIR",
        help="the embedded mode's data directory (default: NEWSWIRE_DATA_DIR, ./data)",
    )
    reindex.set_defaults(handler=_reindex)


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m newswire_indexer`: the indexer's commands alone."""
    return run_command("python -m newswire_indexer", __doc__ or "", [add_parsers], argv)


def _serve(args: argparse.Namespace) -> int:
    settings = Settings()
    metrics = IndexerMetrics()
    expose_metrics(settings.indexer_metrics_port, metrics.registry, settings.metrics_host)
    stop = threading.Event()
    stop_on_signals(stop.set)
    if settings.uses_elasticsearch():
        index = f"{settings.index_name} (alias {settings.index_alias}) at "
        index += settings.elasticsearch_url
    else:
        index = f"the embedded index {settings.search_index_path}"
    log.info("indexing %s into %s", settings.enriched_topic, index)
    try:
        run_indexer(settings, stop, metrics)
    except (EventLogError, ApiError, TransportError) as error:
        return _stopped_by(settings, error)
    log.info("indexer stopped")
    return 0


def _stopped_by(settings: Settings, error: Exception) -> int:
    """Say in one line why Kafka or Elasticsearch stopped the command; its exit status
    (EXIT_REFUSED when trying again cannot help). Any other error is raised as it is."""
    if isinstance(error, KafkaAccessError):
        log.error("%s", error)
        return EXIT_REFUSED
    if isinstance(error, EventLogError):  # Kafka unreachable, or failing: said in one line
        log.error("%s", error)
        return 1
    reason = access_problem(settings, error)
    if reason is None:
        raise error
    log.error("%s", reason)
    return EXIT_REFUSED


def _reindex(args: argparse.Namespace) -> int:
    settings = Settings()
    if args.from_embedded is not None:
        return _copy_embedded(settings, args.from_embedded)
    from newswire_indexer.migrate import copy_documents  # noqa: PLC0415 (only when asked)

    client = create_client(settings)
    try:
        count = article_index(client, settings).reindex(
            args.to, copy_documents(client, settings.indexer_max_backoff_s)
        )
    except ValueError as error:
        print(f"error: {error}")
        return 1
    except (ApiError, TransportError) as error:
        return _stopped_by(settings, error)
    finally:
        client.close()
    print(
        f"alias {settings.index_alias} now points at {args.to}-000001 ({count} listings), "
        f"{stories_alias(settings.index_alias)} at {args.to}-stories"
    )
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
    except (ApiError, TransportError) as error:
        return _stopped_by(settings, error)
    for refused in report.rejected:
        print(f"refused {refused.document.article_id}: {refused.error_type}: {refused.reason}")
    print(
        f"indexed {report.indexed} articles of {data_dir} into {settings.index_alias} at "
        f"{settings.elasticsearch_url}; {len(report.rejected)} refused"
    )
    return 1 if report.rejected else 0
