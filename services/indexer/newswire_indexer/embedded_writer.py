"""The indexer's writes into the embedded SQLite index: one transaction per batch.

A document that is not an `EnrichedArticle` is rejected with status 400, as Elasticsearch
rejects a document its mapping refuses, and goes to the dead-letter topic; the rest of the batch
is written. The index file is shared with the API process (reading) and possibly another indexer
replica, so "database is locked" is transient: retried with backoff, without limit, like 429s
from Elasticsearch.
"""

import logging
import sqlite3
from collections.abc import Callable, Sequence
from pathlib import Path

from pydantic import ValidationError

from newswire.embedded.search_index import open_for_writing, upsert_articles
from newswire.enriched import EnrichedArticle
from newswire.retries import FailedAttempt, retrying_with_backoff
from newswire_indexer.batch import PendingDocument
from newswire_indexer.ports import BulkOutcome, Rejection

log = logging.getLogger(__name__)

MAX_BACKOFF_S = 5.0


class EmbeddedDocumentWriter:
    def __init__(self, path: Path) -> None:
        self._path = path
        self._connection = open_for_writing(path)

    def write(
        self, documents: Sequence[PendingDocument], wait: Callable[[float], None]
    ) -> BulkOutcome:
        valid: list[tuple[EnrichedArticle, str]] = []
        rejected: list[Rejection] = []
        for document in documents:
            try:
                text = document.source.decode("utf-8")
                article = EnrichedArticle.model_validate_json(text)
            except (UnicodeDecodeError, ValidationError) as error:
                reason = f"not an EnrichedArticle: {error}".replace("\n", " ")
                rejected.append(Rejection(document, 400, "document_parsing_exception", reason))
                continue
            if article.id != document.article_id:
                reason = f"key {document.article_id!r} is not the article's id {article.id!r}"
                rejected.append(Rejection(document, 400, "id_mismatch", reason))
                continue
            valid.append((article, text))
        retrying = retrying_with_backoff(
            sqlite3.OperationalError,
            multiplier=0.05,
            max_backoff_s=MAX_BACKOFF_S,
            on_retry=_log_retry,
            sleep=wait,
        )
        indexed = 0
        for attempt in retrying:
            with attempt:
                indexed = self._write(valid)
        return BulkOutcome(indexed=indexed, rejected=rejected)

    def _write(self, articles: list[tuple[EnrichedArticle, str]]) -> int:
        if not articles:
            return 0
        self._connection.execute("BEGIN IMMEDIATE")
        try:
            written = upsert_articles(self._connection, articles)
        except BaseException:
            self._connection.execute("ROLLBACK")
            raise
        self._connection.execute("COMMIT")
        return written

    def close(self) -> None:
        self._connection.close()


def _log_retry(attempt: FailedAttempt) -> None:
    log.warning("index write failed (%s); retrying in %.1fs", attempt.error, attempt.wait_s)
