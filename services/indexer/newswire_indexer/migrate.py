"""Moving from the embedded mode to Elasticsearch: index every article of the embedded log.

The embedded event log keeps every message of `articles.enriched`, so it is the source of truth
to rebuild any index from, exactly as Kafka's topic is. `newswire reindex --from-embedded` reads
it from the start with a consumer group of its own (the services' offsets are left alone) and
writes it with the same bulk writer as the indexer service: `_id` is the article id, so running
it twice, or while the indexer is running, never duplicates anything. Each batch is committed
once written, like every consumer's (`newswire.checkpoint`), though the group, new on every run,
is never read again.
"""

import logging
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from newswire.adapters.elasticsearch import create_client
from newswire.article_index import ArticleIndex
from newswire.backends import open_event_log
from newswire.checkpoint import Checkpoint
from newswire.settings import Settings
from newswire_indexer.batch import PendingDocument
from newswire_indexer.bulk import BulkWriter
from newswire_indexer.ports import Rejection

log = logging.getLogger(__name__)

POLL_TIMEOUT_S = 1.0


@dataclass
class CopyReport:
    indexed: int = 0
    rejected: list[Rejection] = field(default_factory=list)


def copy_embedded_log_to_elasticsearch(
    settings: Settings, data_dir: Path, batch_size: int = 500
) -> CopyReport:
    """Index every enriched article of the embedded log in `data_dir` into the Elasticsearch
    index behind `settings.index_alias` (created if missing)."""
    source_settings = settings.model_copy(update={"event_log": "embedded", "data_dir": data_dir})
    if not source_settings.event_log_path.is_file():
        raise FileNotFoundError(f"no embedded event log at {source_settings.event_log_path}")
    event_log = open_event_log(source_settings)
    consumer = event_log.consumer(
        f"reindex-{uuid.uuid4().hex}", [settings.enriched_topic], client_id="newswire-reindex"
    )
    client = create_client(settings)
    ArticleIndex(client, settings.index_alias, settings.index_name).ensure()
    writer = BulkWriter(client, settings.index_alias, settings.indexer_max_backoff_s)
    report = CopyReport()
    try:
        while True:
            records = consumer.poll(POLL_TIMEOUT_S, batch_size)
            if not records:
                if consumer.lag() == 0:
                    return report
                continue
            documents = [
                document
                for record in records
                if (document := PendingDocument.from_record(record)) is not None
            ]
            checkpoint = Checkpoint(consumer)
            checkpoint.handled(records)
            outcome = writer.write(documents, wait=time.sleep)
            checkpoint.commit()
            report.indexed += outcome.indexed
            report.rejected.extend(outcome.rejected)
            log.info("copied %d articles so far", report.indexed)
    finally:
        consumer.close()
        writer.close()
