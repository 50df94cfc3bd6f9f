"""The live feed's requests on Elasticsearch (`newswire_api.feed`): listings by `_seq_no`.

The index has one shard (`mappings/articles-v3.json`), so `_seq_no` orders every write of the
index: a listing written after another has a higher one, and a range on it is what was written
since a position. Each page also reads, in the same request (so from the same refreshed view),
the highest `_seq_no` of the index (a `global` aggregation): every write up to it that matches is
on the page, so the position moves on to it. Pure functions, no I/O.
"""

from collections.abc import Mapping
from typing import Any

from newswire.article_index import LISTING
from newswire_api.feed import FeedEvent, FeedPage, FeedPosition
from newswire_api.search.elasticsearch.filters import search_filters
from newswire_api.search.elasticsearch.query import UPDATED, _text_query
from newswire_api.search.elasticsearch.results import _hit
from newswire_api.search.model import SUMMARY_FIELDS
from newswire_api.search_request import SearchParams

VISIBLE_FROM = f"{LISTING}.visible_from"
# Feed requests go to the same copy of the shard each time, so a page never sees an older
# refresh than the one before it (with a replica, two copies refresh at different moments).
PREFERENCE = "newswire-feed"
_HEAD = {"all": {"global": {}, "aggs": {"head": {"max": {"field": "_seq_no"}}}}}


def written_body(
    params: SearchParams, after: FeedPosition, now_ms: int, limit: int
) -> dict[str, Any]:
    """Listings matching `params`, visible at `now_ms`, written after `after.sequence`."""
    return {
        "size": limit + 1,
        "seq_no_primary_term": True,
        "query": _matching(params, {"range": {"_seq_no": {"gt": after.sequence}}}, now_ms),
        "sort": [{"_seq_no": "asc"}],
        "track_total_hits": False,
        "_source": [*SUMMARY_FIELDS, UPDATED],
        "aggs": _HEAD,
    }


def lifted_body(
    params: SearchParams, after: FeedPosition, now_ms: int, limit: int
) -> dict[str, Any]:
    """Listings matching `params` whose embargo passed after `after` and by `now_ms`."""
    lifted = {"range": {VISIBLE_FROM: {"gt": after.embargoes_until_ms, "lte": now_ms}}}
    return {
        "size": limit,
        "query": _matching(params, lifted, now_ms),
        "sort": [{VISIBLE_FROM: "asc"}, {"_seq_no": "asc"}],
        "track_total_hits": False,
        "_source": [*SUMMARY_FIELDS, UPDATED],
    }


def head_body(now_ms: int) -> dict[str, Any]:
    """The highest `_seq_no`, and the next embargo to pass after `now_ms`."""
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


def head_of(result: Mapping[str, Any]) -> tuple[int, int | None]:
    """(highest `_seq_no`, -1 when empty; the next embargo's end in ms, or None)."""
    head = result["aggregations"]["all"]["head"]["value"]
    next_embargo = result["aggregations"].get("embargoed", {}).get("next", {}).get("value")
    return (
        -1 if head is None else int(head),
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
    seen: set[str] = set()
    for index, hit in enumerate(lifted_hits):
        last = index == len(lifted_hits) - 1
        position = FeedPosition(
            after.sequence, embargoes_until if last else after.embargoes_until_ms
        )
        events.append(FeedEvent(position, _hit(hit, with_score=False)))
        seen.add(hit["_id"])
    written_hits = written["hits"]["hits"]
    written_full = len(written_hits) > limit
    for hit in written_hits[:limit]:
        if hit["_id"] not in seen:
            position = FeedPosition(int(hit["_seq_no"]), embargoes_until)
            events.append(FeedEvent(position, _hit(hit, with_score=False)))
    if written_full:
        sequence = int(written_hits[limit - 1]["_seq_no"])
    else:
        head, _ = head_of(written)
        sequence = max(after.sequence, head)
    return FeedPage(
        events, FeedPosition(sequence, embargoes_until), more=lifted_full or written_full
    )


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
