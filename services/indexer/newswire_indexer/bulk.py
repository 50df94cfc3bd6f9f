"""Writing a batch of story versions to Elasticsearch, retrying what is transient.

The indices hold a story document per story, a claims document per listed content (both in the
stories index) and a listing per content (in the listings' write index; `newswire.article_index`).
For a batch, in two requests when its stories are new: one realtime `mget` of its stories and of
the claims of the contents its messages carry (with their sequence numbers), then one `bulk`.
Between them the messages are folded into the stories (`newswire_indexer.stories`: the latest
`version_order` wins, a tombstone kills) and every content those stories claimed or claim is
listed again. A story that changed content needs the claims of its old content too: one more
`mget`, as do stories outside the batch that claim the same content (exact duplicates).

The stories and the claims are written **compare-and-set** (`if_seq_no`/`if_primary_term`, or
`create` when new): a story another writer changed meanwhile (409) is read and folded again, so
an older version arriving late never overwrites a newer one, whoever writes it; a claims document
changed meanwhile makes the batch start again from its reads (exact duplicates on two
partitions). A listing is a function of its claims, written plainly into the write index (and
deleted where it was placed before); a writer that lost a claims race rewrites it when it starts
again. Listings are written for every story of the batch even when it did not change, so a replay
after a crash in the middle of a bulk request redoes them.

What is transient — 429, 5xx, timeouts, connection errors, for the whole request or single
items — is retried without limit, with exponential backoff and jitter; the whole batch is read
and folded again each time, which is harmless. What is not — a document the mapping rejects — is
returned as a rejection (every message of that story) for the dead-letter topic.

The writer also keeps its layout: every `rollover.check_interval_s` it asks for a rollover of the
listings (`ArticleIndex.roll_over`), and it reads the aliases again when a listing lands in an
index other than the one it expected (another indexer rolled over).
"""

import json
import logging
import re
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from elastic_transport import ConnectionError as TransportConnectionError
from elastic_transport import ConnectionTimeout
from elasticsearch import ApiError, Elasticsearch
from tenacity import Retrying

from newswire.article_index import (
    CLAIMS,
    CLAIMS_ID_PREFIX,
    CONTENT_ID_PREFIX,
    ArticleIndex,
    IndexLayout,
    claimants_of,
    claims_document,
    claims_document_id,
    content_document_id,
    listing_json,
    placement_of,
    story_json,
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
    claimants_by_content,
    fold_batch,
    read,
)

log = logging.getLogger(__name__)

TRANSIENT_STATUSES = frozenset({429, 500, 502, 503, 504})
_HEX = re.compile(r"[0-9a-f]{8}")
CONFLICT = 409


class TransientBulkError(Exception):
    """Elasticsearch could not take (part of) the batch now; trying again later may succeed."""


@dataclass(frozen=True)
class _Held:
    """A document as read, with what a compare-and-set write of it needs."""

    source: dict[str, Any] | None
    seq_no: int | None = None
    primary_term: int | None = None

    @property
    def cas(self) -> dict[str, Any]:
        return {"if_seq_no": self.seq_no, "if_primary_term": self.primary_term}


_ABSENT = _Held(None)


@dataclass(frozen=True)
class RolloverPolicy:
    """When the listings' write index rolls over (settings `index_rollover_*`)."""

    max_primary_shard_size: str
    max_docs: int | None
    check_interval_s: float


@dataclass(frozen=True)
class _Item:
    """One bulk item's answer."""

    index: str
    id: str
    status: int
    reason: str
    seq_no: int | None = None
    primary_term: int | None = None


@dataclass
class _ContentPlan:
    """The contents a batch lists again: who else claims them, where they are listed now, and
    (filled as operations are made) the index each listing should land in."""

    contents: set[str]
    others: list[Story]
    placed: dict[str, str]
    predicted: dict[str, str] = field(default_factory=dict)


@dataclass
class _Reads:
    """What a batch read: documents of the stories index by `_id` (absent ones included)."""

    documents: dict[str, _Held] = field(default_factory=dict)

    def story(self, story_id: str) -> Story | None:
        held = self.documents.get(story_id, _ABSENT)
        return story_of(held.source) if held.source is not None else None


def _parts(stories: dict[str, list[Incoming]], count: int) -> list[dict[str, list[Incoming]]]:
    """The batch's stories in up to `count` parts written side by side. Stories whose first
    message carries the same content go together: exact duplicates race for one claims document
    only within a part (a race between parts is still safe: compare-and-set, then again)."""
    if count <= 1 or len(stories) < 2 * count:
        return [stories]
    parts: list[dict[str, list[Incoming]]] = [{} for _ in range(count)]
    for story_id, messages in stories.items():
        first = messages[0].article
        content = first.content_sha256 if first is not None else story_id
        parts[int(content[:8], 16) % count if _HEX.fullmatch(content[:8]) else 0][story_id] = (
            messages
        )
    return [part for part in parts if part]


class BulkWriter:
    def __init__(
        self,
        client: Elasticsearch,
        alias: str,
        max_backoff_s: float,
        on_retry: Callable[[str], None] = lambda reason: None,
        *,
        layout: IndexLayout | None = None,
        rollover: RolloverPolicy | None = None,
        clock: Callable[[], float] = time.monotonic,
        concurrency: int = 1,
    ) -> None:
        """Write to the indices behind `alias` (and its stories alias), or to `layout` when
        given (a reindex writing indices no alias points at yet)."""
        self._client = client
        self._index = ArticleIndex(client, alias, alias)
        self._fixed_layout = layout is not None
        self._layout = layout
        self._max_backoff_s = max_backoff_s
        self._on_retry = on_retry
        self._rollover = rollover
        self._clock = clock
        self._next_rollover_check = clock()
        self._touched: set[str] = set()  # indices written since the last refresh
        self._concurrency = concurrency
        self._pool = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="bulk-part")

    def write(
        self, documents: Sequence[PendingDocument], wait: Callable[[float], None]
    ) -> BulkOutcome:
        """Index `documents`; `wait(seconds)` is how to pass the time between retries."""
        incoming, rejected = read(documents)
        if not incoming:
            return BulkOutcome(indexed=0, rejected=rejected)
        self._roll_over_when_due()
        unreadable = len(rejected)
        parts = _parts(by_story(incoming), self._concurrency)
        if len(parts) == 1:
            superseded = self._write_part(parts[0], rejected, wait)
        else:
            # Each part's Python work runs while another part's request is in Elasticsearch.
            refusals: list[list[Rejection]] = [[] for _ in parts]
            futures = [
                self._pool.submit(self._write_part, part, refused, wait)
                for part, refused in zip(parts, refusals, strict=True)
            ]
            superseded = sum(future.result() for future in futures)
            rejected += [rejection for refused in refusals for rejection in refused]
        refused_count = len(rejected) - unreadable
        return BulkOutcome(
            indexed=len(incoming) - refused_count, rejected=rejected, superseded=superseded
        )

    def _write_part(
        self,
        pending: dict[str, list[Incoming]],
        rejected: list[Rejection],
        wait: Callable[[float], None],
    ) -> int:
        superseded = 0
        for attempt in self._retrying(wait):
            with attempt:
                # Stories written are removed from `pending`, so a retry redoes the rest only.
                superseded += self._write_stories(pending, rejected)
        return superseded

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
                    reads = self._read(list(pending), set())
                    known = {i: s for i in pending if (s := reads.story(i)) is not None}
                    merged = {
                        i: known[i].merged(story) if i in known else story
                        for i, story in pending.items()
                    }
                    outcome = self._save(FoldedBatch(known, merged, {}), reads)
                    for story_id, (status, reason) in outcome.items():
                        if status >= 300 and status != CONFLICT:
                            raise RuntimeError(f"story {story_id} refused: {reason}")
                    pending = {
                        i: s for i, s in pending.items() if outcome.get(i, (200, ""))[0] == CONFLICT
                    }

    def make_visible(self) -> None:
        """Refresh what the batches since the last call wrote, so searches see them now. Best
        effort: on failure the periodic refresh (each second) shows them a little later."""
        touched, self._touched = self._touched, set()
        if not touched:
            return
        try:
            self._client.indices.refresh(index=",".join(sorted(touched)))
        except (TransportConnectionError, ConnectionTimeout, ApiError) as error:
            log.warning("refresh refused (%s); the periodic refresh will show the batch", error)

    def close(self) -> None:
        self._pool.shutdown()
        self._client.close()

    def _log_retry(self, attempt: FailedAttempt) -> None:
        reason = str(attempt.error)
        log.warning(
            "bulk attempt %d failed (%s); retrying in %.1fs", attempt.number, reason, attempt.wait_s
        )
        self._on_retry(reason)

    def _current_layout(self) -> IndexLayout:
        if self._layout is None:
            try:
                self._layout = self._index.layout()
            except (TransportConnectionError, ConnectionTimeout) as error:
                raise TransientBulkError(f"Elasticsearch unreachable: {error}") from error
        return self._layout

    def _roll_over_when_due(self) -> None:
        """Ask for a rollover every check interval; never a reason not to write."""
        if (
            self._rollover is None
            or self._fixed_layout
            or self._clock() < self._next_rollover_check
        ):
            return
        self._next_rollover_check = self._clock() + self._rollover.check_interval_s
        try:
            rolled = self._index.roll_over(
                self._rollover.max_primary_shard_size, self._rollover.max_docs
            )
        except (TransportConnectionError, ConnectionTimeout, ApiError) as error:
            log.warning(
                "rollover check failed (%s); trying again in %.0f s",
                error,
                self._rollover.check_interval_s,
            )
            return
        if rolled is not None:
            self._layout = None  # read again

    def _write_stories(self, pending: dict[str, list[Incoming]], rejected: list[Rejection]) -> int:
        """Fold and write until every pending story is written or rejected (conflicts: again)."""
        superseded = 0
        while pending:
            carried = {
                m.article.content_sha256 for msgs in pending.values() for m in msgs if m.article
            }
            reads = self._read(list(pending), carried)
            held = {i: s for i in pending if (s := reads.story(i)) is not None}
            batch = fold_batch(pending, held)
            outcome = self._save(batch, reads)
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

    def _read(self, story_ids: list[str], contents: set[str]) -> _Reads:
        """The stories and the claims of `contents`, in one realtime `mget`."""
        layout = self._current_layout()
        ids = [*story_ids, *sorted(map(claims_document_id, contents))]
        reads = _Reads()
        self._read_into(reads, layout.stories_index, ids)
        return reads

    def _read_into(self, reads: _Reads, index: str, ids: Iterable[str]) -> None:
        wanted = [i for i in dict.fromkeys(ids) if i not in reads.documents]
        for doc in self._mget(index, wanted):
            if doc.get("found"):
                reads.documents[doc["_id"]] = _Held(
                    doc["_source"], doc["_seq_no"], doc["_primary_term"]
                )
            else:
                reads.documents[doc["_id"]] = _ABSENT

    def _save(self, batch: FoldedBatch, reads: _Reads) -> dict[str, tuple[int, str]]:
        """Write the batch's changed stories, the claims and listings of the contents they
        touch, in one bulk request; (status, reason) of each story written."""
        layout = self._current_layout()
        contents = batch.contents(changed_only=False)
        self._read_into(reads, layout.stories_index, map(claims_document_id, contents))
        placed, claimants = self._claims(contents, reads, layout)
        others_ids = {i for ranks in claimants.values() for _, i in ranks if i not in batch.stories}
        self._read_into(reads, layout.stories_index, others_ids)
        others = [s for i in others_ids if (s := reads.story(i)) is not None]
        plan = _ContentPlan(contents, others, placed)
        operations = [
            *self._listing_operations(batch, plan, reads, layout),
            *self._story_operations(batch, reads, layout),
        ]
        items = self._bulk(operations)
        self._touched.add(layout.stories_index)
        listings = [i for i in items if i.id.startswith(CONTENT_ID_PREFIX)]
        self._touched.update(i.index for i in listings if i.status < 300)
        moved = {
            content: i.index
            for i in listings
            if i.status < 300
            and i.index
            != plan.predicted.get(content := i.id.removeprefix(CONTENT_ID_PREFIX), i.index)
        }
        if moved:
            self._follow_rollover(moved, plan.predicted, items)
        claims = [i for i in items if i.id.startswith(CLAIMS_ID_PREFIX)]
        if any(i.status == CONFLICT for i in claims):
            raise TransientBulkError("a listing's claims changed meanwhile; reading them again")
        for item in [*claims, *listings]:
            if item.status >= 300 and item.status != 404:
                # A listing refused for good: its story cannot be shown; the story is kept.
                log.error("listing refused by the index (%d): %s", item.status, item.reason)
        return {
            i.id: (i.status, i.reason)
            for i in items
            if not i.id.startswith((CONTENT_ID_PREFIX, CLAIMS_ID_PREFIX))
        }

    def _listing_operations(
        self, batch: FoldedBatch, plan: "_ContentPlan", reads: _Reads, layout: IndexLayout
    ) -> list[Any]:
        """Each content's claims (compare-and-set) and listing: in the write index under the
        first ranked story claiming it, deleted where it was before; or neither, unclaimed."""
        operations: list[Any] = []
        # Through the alias: Elasticsearch puts a listing in whatever the write index is now.
        listings_to = layout.write_index if self._fixed_layout else self._index.alias
        claimed = claimants_by_content(batch.stories, plan.others)
        for content in sorted(plan.contents):
            ranked = claimed.get(content, [])
            claims_id, listing_id = claims_document_id(content), content_document_id(content)
            known = reads.documents.get(claims_id, _ABSENT)
            claims_target = {"_index": layout.stories_index, "_id": claims_id}
            previous = plan.placed.get(content)
            if ranked:
                ranks = [story.rank for story in ranked]
                write = {"index": claims_target | known.cas} if known.source else None
                operations += [
                    write or {"create": claims_target},
                    claims_document(ranks, layout.write_index),
                    {"index": {"_index": listings_to, "_id": listing_id}},
                    listing_json(ranked[0], ranks),
                ]
                plan.predicted[content] = layout.write_index
            elif known.source is not None:
                operations.append({"delete": claims_target | known.cas})
            if previous is not None and previous != plan.predicted.get(content):
                operations.append({"delete": {"_index": previous, "_id": listing_id}})
                self._touched.add(previous)
        return operations

    @staticmethod
    def _story_operations(batch: FoldedBatch, reads: _Reads, layout: IndexLayout) -> list[Any]:
        operations: list[Any] = []
        for story in batch.changed:
            known = reads.documents.get(story.id, _ABSENT)
            target = {"_index": layout.stories_index, "_id": story.id}
            write = {"index": target | known.cas} if known.source is not None else None
            operations += [write or {"create": target}, story_json(story)]
        return operations

    def _claims(
        self, contents: set[str], reads: _Reads, layout: IndexLayout
    ) -> tuple[dict[str, str], dict[str, list[tuple[Any, str]]]]:
        """Where each content is listed now, and who claims it, from its claims document (or,
        in a layout from before claims documents, from its listing in the stories index)."""
        placed: dict[str, str] = {}
        claimants: dict[str, list[tuple[Any, str]]] = {}
        legacy: list[str] = []
        for content in contents:
            source = reads.documents.get(claims_document_id(content), _ABSENT).source
            if source is not None:
                placed_in = placement_of(source)
                if placed_in is not None:
                    placed[content] = placed_in
                claimants[content] = claimants_of(source)
            elif layout.legacy:
                legacy.append(content)
        if legacy:
            listings = self._mget(layout.stories_index, [content_document_id(c) for c in legacy])
            for content, doc in zip(legacy, listings, strict=True):
                if doc.get("found"):
                    placed[content] = layout.stories_index
                    claimants[content] = claimants_of(doc["_source"])
        return placed, claimants

    def _follow_rollover(
        self, moved: dict[str, str], predicted: dict[str, str], items: list[_Item]
    ) -> None:
        """Listings that landed in a newer write index than this writer knew (another indexer
        rolled over): their claims say so, and copies in the index expected are deleted."""
        self._layout = None
        layout = self._current_layout()
        written = {
            i.id for i in items if i.id.startswith(CLAIMS_ID_PREFIX) and i.status < 300
        }  # the others: the batch starts again from its reads anyway
        contents = [c for c in sorted(moved) if claims_document_id(c) in written]
        reads = _Reads()
        self._read_into(reads, layout.stories_index, map(claims_document_id, contents))
        operations: list[Any] = []
        for content in contents:
            held = reads.documents[claims_document_id(content)]
            if held.source is None:
                continue
            fixed = dict(held.source)
            fixed[CLAIMS] = {**fixed[CLAIMS], "index": moved[content]}
            target = {"_index": layout.stories_index, "_id": claims_document_id(content)}
            operations += [{"index": target | held.cas}, fixed]
            stale = predicted[content]
            operations.append({"delete": {"_index": stale, "_id": content_document_id(content)}})
            self._touched.add(stale)
        if operations:
            for item in self._bulk(operations):
                if item.status == CONFLICT:
                    raise TransientBulkError("a listing's claims changed meanwhile")
        # Listings this writer put into the old write index just before the rollover: searchable
        # now, before the live feed, seeing the new index's writes, moves past them.
        before = sorted(set(predicted.values()) - set(moved.values()))
        if before:
            try:
                self._client.indices.refresh(index=",".join(before))
            except (TransportConnectionError, ConnectionTimeout, ApiError) as error:
                log.warning("refresh of %s after a rollover refused (%s)", before, error)

    def _mget(self, index: str, ids: list[str]) -> list[dict[str, Any]]:
        if not ids:
            return []
        try:
            response = self._client.mget(index=index, ids=ids, realtime=True)
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

    def _bulk(self, operations: list[Any]) -> list[_Item]:
        """Send `operations`; each item's answer, in order. A transient refusal of the request
        or of any item raises TransientBulkError."""
        if not operations:
            return []
        try:
            response = self._client.bulk(operations=operations)
        except (TransportConnectionError, ConnectionTimeout) as error:
            raise TransientBulkError(f"Elasticsearch unreachable: {error}") from error
        except ApiError as error:
            if error.status_code in TRANSIENT_STATUSES:
                raise TransientBulkError(f"bulk request refused: {error}") from error
            raise
        items: list[_Item] = []
        for item in response["items"]:
            result = next(iter(item.values()))
            failure = result.get("error", {})
            reason = (
                failure.get("reason", json.dumps(failure)) if isinstance(failure, dict) else failure
            )
            items.append(
                _Item(
                    index=str(result.get("_index", "")),
                    id=str(result["_id"]),
                    status=int(result["status"]),
                    reason=str(reason),
                    seq_no=result.get("_seq_no"),
                    primary_term=result.get("_primary_term"),
                )
            )
        transient = sum(i.status in TRANSIENT_STATUSES for i in items)
        if transient:
            raise TransientBulkError(f"{transient} writes were refused for now")
        return items
