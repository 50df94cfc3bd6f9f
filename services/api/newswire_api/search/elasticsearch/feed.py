"""The live feed's requests on Elasticsearch (`newswire_api.feed`): listings by index generation
and `_seq_no`.

Listings live in indices behind the search alias, `<base>-000001`, `<base>-000002`, … (an index
made before rollover, without that suffix, is generation 0). They are written only into the
newest, the alias's write index: a listing written again is written there and its copy in an
older index deleted, so older indices take only deletes. Each index has one primary shard, so
`_seq_no` orders the writes within it, and (generation, `_seq_no`) orders them all: a position
packs the pair into its sequence (`newswire_api.feed.packed`), and what was written after it is
what came later in its generation plus everything in a later one, sorted by `_index` (the
zero-padded suffix sorts as the generation does, the indices sharing one base) then `_seq_no`.

A position carries a generation's number, a query needs its index's name: each page first reads
which indices hold listings (the lifted request's `global` aggregation), and the written request
leaves out, by name, those of the position's generation and older except the position's own
writes after it (a query on `_index` is decided once per shard, before any document is read). An
index it does not know yet, made by a rollover meanwhile, is read, never skipped. The written
request also reads, from the same refreshed view as its hits, the head: the newest generation and
its highest `_seq_no`. Every write up to it that matches is on the page, so the position moves on
to it. Pure functions, no I/O.
"""

from collections.abc import Iterable, Mapping
from typing import Any

from newswire.article_index import LISTING
from newswire.article_index import generation as generation_of
from newswire_api.feed import FeedEvent, FeedPage, FeedPosition, packed, unpacked
from newswire_api.search.elasticsearch.filters import search_filters
from newswire_api.search.elasticsearch.query import UPDATED, _text_query
from newswire_api.search.elasticsearch.results import _hit
from newswire_api.search.model import SUMMARY_FIELDS
from newswire_api.search_request import SearchParams

VISIBLE_FROM = f"{LISTING}.visible_from"
# Feed requests go to the same copy of each shard each time, so a page never sees an older
# refresh than the one before it (with a replica, two copies refresh at different moments).
PREFERENCE = "newswire-feed"
# Indices behind the alias that a page reads the names of, newest first: far more than years
# of rollovers make (an index older than the 1,000th would be read again after a position).
MAX_INDICES = 1000
_HEAD = {
    "all": {
        "global": {},
        "aggs": {
            "indices": {
                "terms": {"field": "_index", "size": MAX_INDICES, "order": {"_key": "desc"}},
                "aggs": {"head": {"max": {"field": "_seq_no"}}},
            }
        },
    }
}
_ORDER = [{"_index": "asc"}, {"_seq_no": "asc"}]


def written_body(
    params: SearchParams,
    after: FeedPosition,
    now_ms: int,
    limit: int,
    indices: Iterable[str],
) -> dict[str, Any]:
    """Listings matching `params`, visible at `now_ms`, written after `after.sequence`, given
    the `indices` known to hold listings (`index_heads` of an earlier answer)."""
    return {
        "size": limit + 1,
        "seq_no_primary_term": True,
        "query": _matching(params, _written_after(after, indices), now_ms),
        "sort": [*_ORDER],
        "track_total_hits": False,
        "_source": [*SUMMARY_FIELDS, UPDATED],
        "aggs": _HEAD,
    }


def lifted_body(
    params: SearchParams, after: FeedPosition, now_ms: int, limit: int
) -> dict[str, Any]:
    """Listings matching `params` whose embargo passed after `after` and by `now_ms`, and the
    indices holding listings (for `written_body`)."""
    lifted = {"range": {VISIBLE_FROM: {"gt": after.embargoes_until_ms, "lte": now_ms}}}
    return {
        "size": limit,
        "query": _matching(params, lifted, now_ms),
        "sort": [{VISIBLE_FROM: "asc"}, *_ORDER],
        "track_total_hits": False,
        "_source": [*SUMMARY_FIELDS, UPDATED],
        "aggs": _HEAD,
    }


def head_body(now_ms: int) -> dict[str, Any]:
    """The highest `_seq_no` of each index (the newest generation's is the head), and the next
    embargo to pass after `now_ms`."""
    return {
        "size": 0,
        "track_total_hits": False,
        "aggs": {
            **_HEAD,
            "embargoed": {
                "filter": {"range": {VISIBLE_FROM: {"gt": now_ms}}},
                "aggs": {"next": {"min": {"field": VISIBLE_FROM}}},
            },
        },
    }


def index_heads(result: Mapping[str, Any]) -> dict[str, int]:
    """The indices holding listings in an answer with the head aggregation, each with its
    highest `_seq_no`."""
    buckets = result["aggregations"]["all"]["indices"]["buckets"]
    return {
        bucket["key"]: int(bucket["head"]["value"])
        for bucket in buckets
        if bucket["head"]["value"] is not None
    }


def head_of(result: Mapping[str, Any], now_ms: int) -> tuple[FeedPosition, int | None]:
    """(the head as of `now_ms`: the newest write's sequence, -1 when empty, and the end of the
    generation before it; the next embargo's end in ms, or None)."""
    ends: dict[int, int] = {}  # the newest write of each generation holding listings
    for index, seq_no in index_heads(result).items():
        generation = generation_of(index)
        ends[generation] = max(ends.get(generation, -1), seq_no)
    newest = sorted(ends, reverse=True)[:2]
    head = packed(newest[0], ends[newest[0]]) if newest else -1
    previous = packed(newest[1], ends[newest[1]]) if len(newest) > 1 else None
    next_embargo = result["aggregations"].get("embargoed", {}).get("next", {}).get("value")
    return (
        FeedPosition(head, now_ms, previous_generation_end=previous),
        None if next_embargo is None else int(next_embargo),
    )


def feed_page(
    after: FeedPosition,
    now_ms: int,
    limit: int,
    lifted: Mapping[str, Any],
    written: Mapping[str, Any],
) -> FeedPage:
    """The page for the answers to `lifted_body` and `written_body` (see `newswire_api.feed`
    for what each event's position promises)."""
    events: list[FeedEvent] = []
    lifted_hits = lifted["hits"]["hits"]
    lifted_full = len(lifted_hits) >= limit
    # A full page of lifted embargoes resumes from its last one's time (ties may come again).
    embargoes_until = (
        int(lifted_hits[-1]["_source"].get(LISTING, {}).get("visible_from", 0)) - 1
        if lifted_full
        else now_ms
    )
    embargoes_until = max(embargoes_until, after.embargoes_until_ms)
    lifted_once = _newest_copies(lifted_hits)
    for index, hit in enumerate(lifted_once):
        last = index == len(lifted_once) - 1
        position = FeedPosition(
            after.sequence, embargoes_until if last else after.embargoes_until_ms
        )
        events.append(FeedEvent(position, _hit(hit, with_score=False)))
    seen = {hit["_id"] for hit in lifted_once}
    written_hits = written["hits"]["hits"]
    written_full = len(written_hits) > limit
    for hit in _newest_copies(written_hits[:limit]):
        if hit["_id"] not in seen:
            position = FeedPosition(_sequence(hit), embargoes_until)
            events.append(FeedEvent(position, _hit(hit, with_score=False)))
    if written_full:
        sequence = _sequence(written_hits[limit - 1])
    else:
        head, _ = head_of(written, now_ms)
        sequence = max(after.sequence, head.sequence)
    return FeedPage(
        events, FeedPosition(sequence, embargoes_until), more=lifted_full or written_full
    )


def _newest_copies(hits: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """`hits` without those of a listing found again later on the page (in a newer index): a
    listing moved to the write index, its older copy's delete not in view yet, is delivered once
    on a page, new (on two pages, both: at least once, as the feed promises)."""
    last = {hit["_id"]: index for index, hit in enumerate(hits)}
    return [hit for index, hit in enumerate(hits) if last[hit["_id"]] == index]


def _sequence(hit: Mapping[str, Any]) -> int:
    return packed(generation_of(hit["_index"]), int(hit["_seq_no"]))


def _written_after(after: FeedPosition, indices: Iterable[str]) -> dict[str, Any]:
    """Written after `after`: later in its generation's index, or in any index that is not of
    its generation or an older one (so also in one made since `indices` were read)."""
    generation, seq_no = unpacked(after.sequence)
    up_to = sorted(index for index in indices if generation_of(index) <= generation)
    if not up_to:
        return {"match_all": {}}
    same = [index for index in up_to if generation_of(index) == generation]
    later_in_same = {
        "bool": {"filter": [{"terms": {"_index": same}}, {"range": {"_seq_no": {"gt": seq_no}}}]}
    }
    return {
        "bool": {
            "should": [
                *([later_in_same] if same else []),
                {"bool": {"must_not": [{"terms": {"_index": up_to}}]}},
            ],
            "minimum_should_match": 1,
        }
    }


def _matching(params: SearchParams, since: dict[str, Any], now_ms: int) -> dict[str, Any]:
    return {
        "bool": {
            "must": [_text_query(params.q) or {"match_all": {}}],
            "filter": [
                {"range": {VISIBLE_FROM: {"lte": now_ms}}},
                *search_filters(params),
                since,
            ],
        }
    }
