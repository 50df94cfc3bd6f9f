"""Feed positions across rolled-over indices: (generation, `_seq_no`) packed into one sequence,
the bounds of a resume across a rollover, and the Elasticsearch requests and pages that span
the indices behind the alias (the requests run for real in
tests/integration/api/test_feed_generations.py)."""

from typing import Any

import pytest

from newswire.article_index import generation as index_generation
from newswire_api.feed import (
    GENERATION_SPAN,
    MAX_SEQUENCE,
    FeedPosition,
    InvalidEventIdError,
    ReplayBounds,
    packed,
    resume_from,
    unpacked,
)
from newswire_api.search.elasticsearch import feed
from newswire_api.search_request import SearchParams

NOW_MS = 1_796_111_148_784
BOUNDS = ReplayBounds(max_age_ms=600_000, max_writes=1000)
BASE = "articles-v3"


def test_a_sequence_packs_the_generation_above_the_seq_no() -> None:
    assert packed(0, 41) == 41  # an index made before rollover: its ids keep their meaning
    assert packed(0, -1) == -1  # nothing written yet
    assert packed(3, 7) == 3 * 2**40 + 7
    assert unpacked(packed(3, 7)) == (3, 7)
    assert unpacked(-1) == (0, -1)
    assert packed(2, GENERATION_SPAN - 1) < packed(3, 0)  # generation first, then seq_no


def test_the_last_generation_and_write_still_fit_an_event_id() -> None:
    last = packed(MAX_SEQUENCE // GENERATION_SPAN, GENERATION_SPAN - 1)

    assert last == MAX_SEQUENCE
    assert FeedPosition.from_event_id(f"{last}-0-").sequence == last


@pytest.mark.parametrize(("generation", "seq_no"), [(-1, 0), (2**23, 0), (1, 2**40), (1, -2)])
def test_a_pair_past_what_a_sequence_holds_is_refused(generation: int, seq_no: int) -> None:
    with pytest.raises(ValueError, match="past the last"):
        packed(generation, seq_no)


@pytest.mark.parametrize(
    ("index", "generation"),
    [
        ("articles-v3-000001", 1),
        ("articles-v3-000012", 12),
        ("articles-v3", 0),  # an older install's one index
        ("test-stream-123456789012", 0),  # digits, but no rollover suffix
    ],
)
def test_an_index_generation_is_its_rollover_suffix(index: str, generation: int) -> None:
    # One reading of rollover names serves the indexer and the feed.
    assert index_generation(index) == generation


def test_a_resume_within_the_heads_generation_counts_the_writes_behind() -> None:
    head = FeedPosition(packed(3, 1500), NOW_MS)
    asked = FeedPosition(packed(3, 400), NOW_MS)

    start, reason = resume_from(asked, head, NOW_MS, BOUNDS)

    assert start == head
    assert reason is not None
    assert "1,100 writes behind" in reason
    assert resume_from(FeedPosition(packed(3, 500), NOW_MS), head, NOW_MS, BOUNDS)[1] is None


def test_a_resume_from_the_generation_before_the_heads_counts_its_tail_and_the_heads() -> None:
    head = FeedPosition(packed(3, 99), NOW_MS, previous_generation_end=packed(2, 5000))

    assert resume_from(FeedPosition(packed(2, 4100), NOW_MS), head, NOW_MS, BOUNDS) == (
        FeedPosition(packed(2, 4100), NOW_MS),
        None,
    )
    start, reason = resume_from(FeedPosition(packed(2, 4099), NOW_MS), head, NOW_MS, BOUNDS)
    assert start == head
    assert reason is not None
    assert "1,001 writes behind" in reason  # 901 in generation 2, 100 in generation 3


def test_the_heads_end_of_the_generation_before_is_no_part_of_the_position() -> None:
    head = FeedPosition(packed(3, 99), NOW_MS, previous_generation_end=packed(2, 5000))

    assert head == FeedPosition(packed(3, 99), NOW_MS)
    assert head.event_id == f"{packed(3, 99)}-{NOW_MS}-"


@pytest.mark.parametrize("asked", [packed(1, 2**40 - 1), packed(1, 0), packed(0, 5)])
def test_a_resume_from_further_back_than_the_generation_before_the_heads_resyncs(
    asked: int,
) -> None:
    head = FeedPosition(packed(3, 0), NOW_MS, previous_generation_end=packed(2, 7))
    start, reason = resume_from(FeedPosition(asked, NOW_MS), head, NOW_MS, BOUNDS)

    assert start == head
    assert reason is not None
    assert "more than one rollover behind" in reason
    assert "search again" in reason


def test_a_resume_from_a_later_generation_than_the_heads_is_refused() -> None:
    head = FeedPosition(packed(2, 900), NOW_MS)

    with pytest.raises(InvalidEventIdError, match="ahead of the index"):
        resume_from(FeedPosition(packed(3, 0), NOW_MS), head, NOW_MS, BOUNDS)


def heads_answer(heads: dict[str, int | None], next_embargo: int | None = None) -> dict[str, Any]:
    """An answer with the head aggregation, as Elasticsearch gives it."""
    buckets = [
        {"key": index, "doc_count": 1, "head": {"value": None if seq is None else float(seq)}}
        for index, seq in sorted(heads.items(), reverse=True)
    ]
    return {
        "hits": {"hits": []},
        "aggregations": {
            "all": {"doc_count": len(buckets), "indices": {"buckets": buckets}},
            "embargoed": {"doc_count": 0, "next": {"value": next_embargo}},
        },
    }


def test_the_head_is_the_newest_generations_highest_seq_no() -> None:
    answer = heads_answer({f"{BASE}-000001": 9000, f"{BASE}-000002": 40, f"{BASE}": 77})

    head, next_embargo = feed.head_of(answer, NOW_MS)
    empty, next_in_empty = feed.head_of(heads_answer({}, next_embargo=NOW_MS + 5), NOW_MS)

    assert (head.sequence, head.previous_generation_end, next_embargo) == (
        packed(2, 40),
        packed(1, 9000),
        None,
    )
    assert (empty.sequence, empty.previous_generation_end, next_in_empty) == (-1, None, NOW_MS + 5)


def test_the_head_is_read_per_index_in_the_global_aggregation() -> None:
    body = feed.head_body(NOW_MS)

    indices = body["aggs"]["all"]["aggs"]["indices"]
    assert body["aggs"]["all"]["global"] == {}
    assert indices["terms"]["field"] == "_index"
    assert indices["aggs"]["head"] == {"max": {"field": "_seq_no"}}


def _since(body: dict[str, Any]) -> dict[str, Any]:
    since: dict[str, Any] = body["query"]["bool"]["filter"][-1]
    return since


def test_written_after_a_position_is_later_in_its_index_or_in_any_index_not_older() -> None:
    indices = [f"{BASE}-000001", f"{BASE}-000002", f"{BASE}-000003", BASE]

    body = feed.written_body(SearchParams(), FeedPosition(packed(2, 17), 0), NOW_MS, 10, indices)

    assert body["sort"] == [{"_index": "asc"}, {"_seq_no": "asc"}]
    assert body["seq_no_primary_term"] is True
    assert body["aggs"]["all"]["aggs"]["indices"]["terms"]["field"] == "_index"
    assert _since(body) == {
        "bool": {
            "should": [
                {
                    "bool": {
                        "filter": [
                            {"terms": {"_index": [f"{BASE}-000002"]}},
                            {"range": {"_seq_no": {"gt": 17}}},
                        ]
                    }
                },
                # An index made since the names were read is not among them: it is read.
                {
                    "bool": {
                        "must_not": [
                            {"terms": {"_index": [BASE, f"{BASE}-000001", f"{BASE}-000002"]}}
                        ]
                    }
                },
            ],
            "minimum_should_match": 1,
        }
    }


def test_written_after_an_index_made_before_rollover_is_its_seq_no_range_and_the_newer() -> None:
    body = feed.written_body(SearchParams(), FeedPosition(41, 0), NOW_MS, 10, [BASE])

    should = _since(body)["bool"]["should"]
    assert should[0]["bool"]["filter"] == [
        {"terms": {"_index": [BASE]}},
        {"range": {"_seq_no": {"gt": 41}}},
    ]
    assert should[1] == {"bool": {"must_not": [{"terms": {"_index": [BASE]}}]}}


def test_written_after_a_position_when_no_index_of_it_or_older_holds_listings_is_all() -> None:
    empty = feed.written_body(SearchParams(), FeedPosition(-1, 0), NOW_MS, 10, [])
    newer_only = feed.written_body(
        SearchParams(), FeedPosition(packed(1, 5), 0), NOW_MS, 10, [f"{BASE}-000002"]
    )

    assert _since(empty) == {"match_all": {}}
    assert _since(newer_only) == {"match_all": {}}


def test_lifted_embargoes_read_the_indices_holding_listings_and_order_across_them() -> None:
    body = feed.lifted_body(SearchParams(), FeedPosition(packed(2, 3), NOW_MS - 10), NOW_MS, 10)

    assert body["sort"] == [{feed.VISIBLE_FROM: "asc"}, {"_index": "asc"}, {"_seq_no": "asc"}]
    assert _since(body) == {"range": {feed.VISIBLE_FROM: {"gt": NOW_MS - 10, "lte": NOW_MS}}}
    assert feed.index_heads(heads_answer({f"{BASE}-000002": 3, f"{BASE}-000003": None})) == {
        f"{BASE}-000002": 3
    }


def hit(index: str, seq_no: int, story: str, visible_from: int = 0) -> dict[str, Any]:
    return {
        "_index": index,
        "_id": f"content:{story}",
        "_seq_no": seq_no,
        "_source": {
            "id": story,
            "title": f"Story {story}",
            "listing": {"visible_from": visible_from},
        },
    }


def page_answer(hits: list[dict[str, Any]], heads: dict[str, int | None]) -> dict[str, Any]:
    answer = heads_answer(heads)
    answer["hits"]["hits"] = hits
    return answer


def test_a_page_spanning_a_rollover_gives_each_event_its_generations_position() -> None:
    old, new = f"{BASE}-000001", f"{BASE}-000002"
    written = page_answer([hit(old, 8, "a"), hit(old, 9, "b"), hit(new, 0, "c")], {old: 9, new: 0})

    page = feed.feed_page(FeedPosition(packed(1, 7), 0), NOW_MS, 10, page_answer([], {}), written)

    assert [event.position.sequence for event in page.events] == [
        packed(1, 8),
        packed(1, 9),
        packed(2, 0),
    ]
    assert page.position == FeedPosition(packed(2, 0), NOW_MS)
    assert page.more is False


def test_a_full_page_resumes_after_its_last_write_in_whichever_generation() -> None:
    old, new = f"{BASE}-000001", f"{BASE}-000002"
    written = page_answer([hit(old, 8, "a"), hit(new, 0, "b"), hit(new, 1, "c")], {old: 8, new: 5})

    page = feed.feed_page(FeedPosition(packed(1, 7), 0), NOW_MS, 2, page_answer([], {}), written)

    assert [event.hit.id for event in page.events] == ["a", "b"]
    assert page.position.sequence == packed(2, 0)
    assert page.more is True


def test_a_listing_moved_with_its_old_copy_still_in_view_is_delivered_once_new() -> None:
    old, new = f"{BASE}-000001", f"{BASE}-000002"
    written = page_answer([hit(old, 8, "moved"), hit(new, 3, "moved")], {old: 8, new: 3})

    page = feed.feed_page(FeedPosition(packed(1, 7), 0), NOW_MS, 10, page_answer([], {}), written)

    assert [(event.hit.id, event.position.sequence) for event in page.events] == [
        ("moved", packed(2, 3))
    ]


def test_an_embargo_lifted_on_a_listing_in_two_indices_is_delivered_once() -> None:
    old, new = f"{BASE}-000001", f"{BASE}-000002"
    lifted = page_answer(
        [hit(old, 2, "embargoed", NOW_MS - 5), hit(new, 4, "embargoed", NOW_MS - 5)],
        {old: 2, new: 4},
    )

    page = feed.feed_page(
        FeedPosition(packed(2, 4), NOW_MS - 100),
        NOW_MS,
        10,
        lifted,
        page_answer([], {old: 2, new: 4}),
    )

    assert [event.hit.id for event in page.events] == ["embargoed"]
    assert page.events[0].position == FeedPosition(packed(2, 4), NOW_MS)


@pytest.mark.parametrize("asked", [-1, packed(0, 5), packed(2, 3)])
def test_when_only_the_heads_generation_holds_listings_its_writes_are_all_behind(
    asked: int,
) -> None:
    # A new installation: a stream began on the empty index (-1), the first writes went to
    # `-000001`; or every listing of the older generations has moved to the head's.
    head = FeedPosition(packed(3, 99), NOW_MS)

    assert resume_from(FeedPosition(asked, NOW_MS), head, NOW_MS, BOUNDS) == (
        FeedPosition(asked, NOW_MS),
        None,
    )
    far = FeedPosition(packed(3, 5000), NOW_MS)
    start, reason = resume_from(FeedPosition(asked, NOW_MS), far, NOW_MS, BOUNDS)
    assert start == far
    assert reason is not None
    assert "5,001 writes behind" in reason
