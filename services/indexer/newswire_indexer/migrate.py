"""Moving stories between indices: from an older index version into a new one (`newswire reindex
--to`, through `ArticleIndex.reindex`), and from the embedded mode to Elasticsearch.

`copy_documents` copies the documents of an older index the way the indexer writes messages:
an article of index version 1 or 2 (a schema-version-1 `EnrichedArticle`, keyed by content) is
read as the version of its story it is; a story document of version 3 or later is merged with
what the target holds (`Story.merged`); listings are not copied but made anew from the stories.
Copying twice, or while the indexer writes the target, changes nothing that is there already.

Index every article of the embedded log (`--from-embedded`):

The embedded event log keeps every message of `articles.enriched`, so it is the source of truth
to rebuild any index from, exactly as Kafka's topic is. `newswire reindex --from-embedded` reads
it from the start with a consumer group of its own (the services' offsets are left alone) and
writes it with the same bulk writer as the indexer service: `_id` is the article id, so running
it twice, or while the indexer is running, never duplicates anything. Each batch is committed
once written, like every consumer's (`newswire.checkpoint`), though the group, new on every run,
is never read again.
"""

import json
import logging
import time
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from elasticsearch import Elasticsearch

from newswire.adapters.elasticsearch import create_client
from newswire.article_index import CLAIMS, LISTING, Copier, IndexLayout, story_of
from newswire.backends import open_event_log
from newswire.checkpoint import Checkpoint
from newswire.enriched import EnrichedArticle, Story
from newswire.settings import Settings
from newswire_indexer.app import article_index
from newswire_indexer.batch import PendingDocument
from newswire_indexer.bulk import BulkWriter
from newswire_indexer.ports import Rejection

log = logging.getLogger(__name__)

POLL_TIMEOUT_S = 1.0
COPY_BATCH = 500


def copy_documents(client: Elasticsearch, max_backoff_s: float) -> Copier:
    """How `ArticleIndex.reindex` writes an older index's documents into the new one."""

    def copy(target: IndexLayout, sources: Iterator[Mapping[str, Any]]) -> int:
        writer = BulkWriter(client, target.write_index, max_backoff_s, layout=target)
        articles: list[PendingDocument] = []
        stories: list[Story] = []
        copied = 0
        for source in sources:
            if LISTING in source or CLAIMS in source:
                continue  # made anew from the stories
            story = story_of(source)
            if story is not None:
                stories.append(story)
            else:
                article = EnrichedArticle.model_validate(source)
                value = json.dumps(dict(source)).encode()
                articles.append(PendingDocument(article.id, value, "reindex", 0, len(articles)))
            if len(articles) + len(stories) >= COPY_BATCH:
                copied += _write(writer, articles, stories)
                articles, stories = [], []
        return copied + _write(writer, articles, stories)

    return copy


def _write(writer: BulkWriter, articles: list[PendingDocument], stories: list[Story]) -> int:
    outcome = writer.write(articles, wait=time.sleep)
    if outcome.rejected:
        raise RuntimeError(
            f"the new index refused {len(outcome.rejected)} articles: {outcome.rejected[0].reason}"
        )
    writer.merge_stories(stories, wait=time.sleep)
    return len(articles) + len(stories)


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
    article_index(client, settings).ensure()
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
