"""Writing a batch of story versions to Elasticsearch, retrying what is transient.

The index holds a story document per story and a listing per content (`newswire.article_index`).
For a batch: read the batch's stories by id (a realtime `mget`, with their sequence numbers), fold
the messages into them (`newswire_indexer.stories`: the latest `version_order` wins, a tombstone
kills), list again every content those stories claimed or claim, then write the stories
**compare-and-set** (`if_seq_no`/`if_primary_term`, or `create` for a new story). A story another
writer changed meanwhile (409) is read and folded again; so an older version arriving late never
overwrites a newer one, whoever writes it. Listings are written before their stories, and for
every story of the batch even when it did not change, so a replay after a crash between the two
redoes them (a listing is a function of the stories claiming its content).

What is transient — 429, 5xx, timeouts, connection errors, for the whole request or single
items — is retried without limit, with exponential backoff and jitter; the whole batch is read
and folded again each time, which is harmless. What is not — a document the mapping rejects — is
returned as a rejection (every message of that story) for the dead-letter topic.
"""

import json
import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from elastic_transport import ConnectionError as TransportConnectionError
from elastic_transport import ConnectionTimeout
from elasticsearch import ApiError, Elasticsearch
from tenacity import Retrying

from newswire.article_index import (
    claimants_of,
    content_document_id,
    listing_document,
    story_document,
    story_of,
)
from newswire.enriched import Story
from newswire.retries import FailedAttempt, retrying_with_backoff
from newswire_indexer.batch import PendingDocument
from newswire_indexer.ports import BulkOutcome, Rejection
from newswire_indexer.stories import (
    FoldedBatch,
    Incoming,
    by_story,
    claiming,
    fold_batch,
    read,
)

log = logging.getLogger(__name__)

TRANSIENT_STATUSES = frozenset({429, 500, 502, 503, 504})
CONFLICT = 409


class TransientBulkError(Exception):
    """Elasticsearch could not take (part of) the batch now; trying again later may succeed."""


@dataclass(frozen=True)
class _Held:
    """A story document as read, with what a compare-and-set write of it needs."""

    story: Story | None
    seq_no: int | None = None
    primary_term: int | None = None


class BulkWriter:
    def __init__(
        self,
        client: Elasticsearch,
        index: str,
        max_backoff_s: float,
        on_retry: Callable[[str], None] = lambda reason: None,
    ) -> None:
        self._client = client
        self._index = index
        self._max_backoff_s = max_backoff_s
        self._on_retry = on_retry

    def write(
        self, documents: Sequence[PendingDocument], wait: Callable[[float], None]
    ) -> BulkOutcome:
        """Index `documents`; `wait(seconds)` is how to pass the time between retries."""
        incoming, rejected = read(documents)
        if not incoming:
            return BulkOutcome(indexed=0, rejected=rejected)
        pending = by_story(incoming)
        superseded = 0
        retrying = self._retrying(wait)
        unreadable = len(rejected)
        for attempt in retrying:
            with attempt:
                # Stories written are removed from `pending`, so a retry redoes the rest only.
                superseded += self._write_stories(pending, rejected)
        refused = len(rejected) - unreadable
        return BulkOutcome(
            indexed=len(incoming) - refused, rejected=rejected, superseded=superseded
        )

    def _retrying(self, wait: Callable[[float], None]) -> Retrying:
        """Attempts until one raises no TransientBulkError, with backoff between them."""
        return retrying_with_backoff(
            TransientBulkError,
            multiplier=0.2,
            max_backoff_s=self._max_backoff_s,
            on_retry=self._log_retry,
            sleep=wait,
        )

    def merge_stories(self, stories: Sequence[Story], wait: Callable[[float], None]) -> None:
        """Write stories copied from another index, each merged with the story of the same id
        already here (`Story.merged`), compare-and-set like `write` (the reindex)."""
        pending = {story.id: story for story in stories}
        retrying = self._retrying(wait)
        for attempt in retrying:
            with attempt:
                while pending:
                    held = self._read_stories(pending)
                    known = {i: h.story for i, h in held.items() if h.story}
                    merged = {
                        i: known[i].merged(story) if i in known else story
                        for i, story in pending.items()
                    }
                    batch = FoldedBatch(known, merged, {})
                    self._relist(batch.contents(changed_only=False), batch.stories)
                    outcome = self._save(batch.changed, held)
                    for story_id, (status, reason) in outcome.items():
                        if status >= 300 and status != CONFLICT:
                            raise RuntimeError(f"story {story_id} refused: {reason}")
                    pending = {
                        i: s for i, s in pending.items() if outcome.get(i, (200, ""))[0] == CONFLICT
                    }

    def make_visible(self) -> None:
        """Refresh the index, so searches see the batch now. Best effort: on failure the
        periodic refresh (each second) shows it a little later, and the batch stands."""
        try:
            self._client.indices.refresh(index=self._index)
        except (TransportConnectionError, ConnectionTimeout, ApiError) as error:
            log.warning("refresh refused (%s); the periodic refresh will show the batch", error)

    def close(self) -> None:
        self._client.close()

    def _log_retry(self, attempt: FailedAttempt) -> None:
        reason = str(attempt.error)
        log.warning(
            "bulk attempt %d failed (%s); retrying in %.1fs", attempt.number, reason, attempt.wait_s
        )
        self._on_retry(reason)

    def _write_stories(self, pending: dict[str, list[Incoming]], rejected: list[Rejection]) -> int:
        """Fold and write until every pending story is written or rejected (conflicts: again)."""
        superseded = 0
        while pending:
            held = self._read_stories(pending)
            batch = fold_batch(pending, {i: h.story for i, h in held.items() if h.story})
            self._relist(batch.contents(changed_only=False), batch.stories)
            outcome = self._save(batch.changed, held)
            for story_id in list(pending):
                status, reason = outcome.get(story_id, (200, ""))
                if status == CONFLICT:
                    continue  # read and folded again
                if status >= 300:
                    rejected.extend(
                        Rejection(m.document, status, "story_refused", reason)
                        for m in pending[story_id]
                    )
                superseded += batch.superseded_by_story.get(story_id, 0)
                del pending[story_id]
        return superseded

    def _read_stories(self, ids: Iterable[str]) -> dict[str, _Held]:
        held: dict[str, _Held] = {}
        for doc in self._mget(list(ids)):
            story = story_of(doc["_source"]) if doc.get("found") else None
            if story is None:
                held[doc["_id"]] = _Held(None)
            else:
                held[doc["_id"]] = _Held(story, doc["_seq_no"], doc["_primary_term"])
        return held

    def _relist(self, contents: set[str], stories: dict[str, Story]) -> None:
        """Write the listing of each content: the first ranked story claiming it, or none.
        Compare-and-set too: another writer relisting the same content meanwhile (exact
        duplicates on two partitions) makes this attempt start again from its reads."""
        if not contents:
            return
        listings = {
            doc["_id"]: doc
            for doc in self._mget(sorted(map(content_document_id, contents)))
            if doc.get("found")
        }
        others_ids = {
            story_id
            for doc in listings.values()
            for _, story_id in claimants_of(doc["_source"])
            if story_id not in stories
        }
        others = [h.story for h in self._read_stories(others_ids).values() if h.story]
        operations: list[dict[str, Any]] = []
        for content in sorted(contents):
            ranked = claiming(content, stories, others)
            document_id = content_document_id(content)
            known = listings.get(document_id)
            target: dict[str, Any] = {"_index": self._index, "_id": document_id}
            if known is not None:
                target |= {"if_seq_no": known["_seq_no"], "if_primary_term": known["_primary_term"]}
            if ranked:
                claimants = [story.rank for story in ranked]
                operations.append({"index" if known is not None else "create": target})
                operations.append(listing_document(ranked[0], claimants))
            elif known is not None:
                operations.append({"delete": target})
        results = self._bulk(operations)
        if any(status == CONFLICT for status, _ in results.values()):
            raise TransientBulkError("a listing changed meanwhile; reading it again")
        for status, reason in results.values():
            if status >= 300 and status != 404:
                # A listing refused for good: its story cannot be shown; the story is kept.
                log.error("listing refused by the index (%d): %s", status, reason)

    def _save(self, stories: list[Story], held: dict[str, _Held]) -> dict[str, tuple[int, str]]:
        operations: list[dict[str, Any]] = []
        for story in stories:
            known = held.get(story.id, _Held(None))
            if known.story is None:
                action: dict[str, Any] = {"create": {"_index": self._index, "_id": story.id}}
            else:
                action = {
                    "index": {
                        "_index": self._index,
                        "_id": story.id,
                        "if_seq_no": known.seq_no,
                        "if_primary_term": known.primary_term,
                    }
                }
            operations.extend((action, story_document(story)))
        return self._bulk(operations)

    def _mget(self, ids: list[str]) -> list[dict[str, Any]]:
        if not ids:
            return []
        try:
            response = self._client.mget(index=self._index, ids=ids, realtime=True)
        except (TransportConnectionError, ConnectionTimeout) as error:
            raise TransientBulkError(f"Elasticsearch unreachable: {error}") from error
        except ApiError as error:
            if error.status_code in TRANSIENT_STATUSES:
                raise TransientBulkError(f"read refused: {error}") from error
            raise
        docs: list[dict[str, Any]] = response["docs"]
        if any("error" in doc for doc in docs):
            raise TransientBulkError(f"read failed: {[d['error'] for d in docs if 'error' in d]}")
        return docs

    def _bulk(self, operations: list[dict[str, Any]]) -> dict[str, tuple[int, str]]:
        """Send `operations`; (status, reason) by `_id` of every item. A transient refusal of
        the request or of any item raises TransientBulkError."""
        if not operations:
            return {}
        try:
            response = self._client.bulk(operations=operations)
        except (TransportConnectionError, ConnectionTimeout) as error:
            raise TransientBulkError(f"Elasticsearch unreachable: {error}") from error
        except ApiError as error:
            if error.status_code in TRANSIENT_STATUSES:
                raise TransientBulkError(f"bulk request refused: {error}") from error
            raise
        results: dict[str, tuple[int, str]] = {}
        transient = 0
        for item in response["items"]:
            result = next(iter(item.values()))
            status = int(result["status"])
            transient += status in TRANSIENT_STATUSES
            failure = result.get("error", {})
            reason = (
                failure.get("reason", json.dumps(failure)) if isinstance(failure, dict) else failure
            )
            results[str(result["_id"])] = (status, str(reason))
        if transient:
            raise TransientBulkError(f"{transient} writes were refused for now")
        return results
