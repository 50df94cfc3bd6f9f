"""The indexer's writes into the embedded SQLite index: one transaction per batch.

The batch's messages are folded into the stories the index holds (`newswire_indexer.stories`),
the changed stories saved and the contents they claimed or claim listed again, all in one
transaction: a late older version never replaces a newer one, and a replay changes nothing.
A document that is not an `EnrichedArticle` is rejected with status 400, as Elasticsearch
rejects a document its mapping refuses, and goes to the dead-letter topic; the rest of the batch
is written. The index file is shared with the API process (reading) and possibly another indexer
replica, so "database is locked" is transient: retried with backoff, without limit, like 429s
from Elasticsearch.

An index of an older schema keeps its articles in `legacy_articles`
(`newswire.embedded.search_index`); the writer folds them into their stories when it opens, as if
they arrived again, a chunk per transaction, before it takes any message.
"""

import logging
import sqlite3
from collections.abc import Callable, Sequence
from pathlib import Path

from pydantic import ValidationError

from newswire.embedded.search_index import (
    claimants,
    forget_legacy_articles,
    legacy_articles,
    list_story,
    open_for_writing,
    read_stories,
    save_stories,
    unlist,
)
from newswire.enriched import EnrichedArticle
from newswire.retries import FailedAttempt, retrying_with_backoff
from newswire_indexer.batch import PendingDocument
from newswire_indexer.ports import BulkOutcome
from newswire_indexer.stories import Incoming, by_story, claiming, fold_batch, read

log = logging.getLogger(__name__)

MAX_BACKOFF_S = 5.0
LEGACY_ARTICLES_PER_BATCH = 500


class EmbeddedDocumentWriter:
    def __init__(self, path: Path) -> None:
        self._path = path
        self._connection = open_for_writing(path)
        while self._fold_legacy_articles():
            pass

    def write(
        self, documents: Sequence[PendingDocument], wait: Callable[[float], None]
    ) -> BulkOutcome:
        incoming, rejected = read(documents)
        retrying = retrying_with_backoff(
            sqlite3.OperationalError,
            multiplier=0.05,
            max_backoff_s=MAX_BACKOFF_S,
            on_retry=_log_retry,
            sleep=wait,
        )
        superseded = 0
        for attempt in retrying:
            with attempt:
                superseded = self._write(incoming)
        return BulkOutcome(indexed=len(incoming), rejected=rejected, superseded=superseded)

    def _write(self, incoming: list[Incoming]) -> int:
        """Fold and write in one transaction; returns how many versions were superseded."""
        if not incoming:
            return 0
        self._connection.execute("BEGIN IMMEDIATE")
        try:
            superseded = self._fold(incoming)
        except BaseException:
            self._connection.execute("ROLLBACK")
            raise
        self._connection.execute("COMMIT")
        return superseded

    def _fold_legacy_articles(self) -> bool:
        """Fold a chunk of an older schema's articles into stories; False once none is left."""
        self._connection.execute("BEGIN IMMEDIATE")
        try:
            legacy = legacy_articles(self._connection, LEGACY_ARTICLES_PER_BATCH)
            if legacy:
                forget_legacy_articles(self._connection, [rowid for rowid, _ in legacy])
                self._fold(self._legacy_versions(legacy))
        except BaseException:
            self._connection.execute("ROLLBACK")
            raise
        self._connection.execute("COMMIT")
        return bool(legacy)

    def _legacy_versions(self, legacy: list[tuple[int, str]]) -> list[Incoming]:
        articles = []
        for _, source in legacy:
            try:
                article = EnrichedArticle.model_validate_json(source)
            except ValidationError as error:
                log.warning("an article of the older index is not readable, dropped: %s", error)
                continue
            document = PendingDocument(article.id, source.encode(), "legacy", 0, 0)
            articles.append(Incoming(document, article))
        log.info("folding %d articles of the older index into stories", len(articles))
        return articles

    def _fold(self, incoming: list[Incoming]) -> int:
        if not incoming:
            return 0
        groups = by_story(incoming)
        batch = fold_batch(groups, read_stories(self._connection, groups))
        save_stories(self._connection, batch.changed)
        contents = batch.contents(changed_only=True)
        # Every content out first: a story listed under one content may move to another.
        for content in contents:
            unlist(self._connection, content)
        for content in contents:
            ranked = claiming(content, batch.stories, claimants(self._connection, content))
            if ranked:
                list_story(self._connection, ranked[0])
        return batch.superseded

    def make_visible(self) -> None:
        """Nothing to do: a batch is visible to readers once its transaction commits."""

    def close(self) -> None:
        self._connection.close()


def _log_retry(attempt: FailedAttempt) -> None:
    log.warning("index write failed (%s); retrying in %.1fs", attempt.error, attempt.wait_s)
