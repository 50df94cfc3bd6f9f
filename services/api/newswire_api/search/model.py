"""The search both back-ends run, defined once: which fields are searched and how much each
counts, what a result shows of an article, which facets a first page carries and how many of
each, how far totals are counted, how `similar` picks related articles.

Each back-end renders these in its own terms (Elasticsearch's `title^3`, FTS5's `bm25()` weights)
and builds the API's responses with the helpers below, so the two cannot drift apart on what they
search or how they page. No I/O, and nothing of either back-end.
"""

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, NamedTuple

from newswire_api.responses import (
    ArticleSummary,
    Count,
    EntityCount,
    Facets,
    Highlights,
    SearchHit,
    SearchResponse,
    TimelineBucket,
)
from newswire_api.search_request import CursorCodec, SearchParams

# The text fields `q` searches, with their boosts: a match in the title counts three body matches.
SEARCHED_FIELDS: Mapping[str, float] = {
    "title": 3.0,
    "standfirst": 2.0,
    "body": 1.0,
    "image_caption": 1.0,
    "related_titles": 0.5,
}
# What a hit shows of its article: the fields of the response model, nothing more to fetch.
SUMMARY_FIELDS: tuple[str, ...] = tuple(ArticleSummary.model_fields)
# Elasticsearch's `_english_` stop words, which its analyzer leaves out of queries (and the
# embedded back-end does likewise): never searched, so they cost nothing.
_ENGLISH_STOP_WORDS = """a an and are as at be but by for if in into is it no not of on or such
that the their then there these they this to was will with"""
STOP_WORDS = frozenset(_ENGLISH_STOP_WORDS.split())
# A word as both back-ends' tokenizers split text (Elasticsearch's standard, FTS5's unicode61).
WORD = re.compile(r"\w+")
# Matches are counted exactly up to this many, then reported as "at least" (`total_is_exact`).
TRACKED_TOTAL = 10_000
FACET_SIZE = 10
SECTIONS_LIMIT = 500
# The entity facets of a first page, each the top FACET_SIZE names of these labels.
ENTITY_FACETS: Mapping[str, tuple[str, ...]] = {
    "people": ("PERSON",),
    "organisations": ("ORG",),
    "places": ("GPE", "LOC"),
}
FACET_LABELS: list[str] = sorted({label for labels in ENTITY_FACETS.values() for label in labels})
# `similar`: articles sharing the most distinctive words of these fields, or the first entities.
SIMILAR_FIELDS = ("title", "body")
SIMILAR_BY_DISTINCTIVE_TERMS = 25
SIMILAR_BY_TOP_ENTITIES = 5
# Control characters shown nowhere and, in highlights, never mistaken for markup or markers.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


class RankedHit(NamedTuple):
    """A hit and its sort values (score or day, then article id): where the next page starts."""

    hit: SearchHit
    sort_values: list[Any]


def page_size_to_fetch(params: SearchParams) -> int:
    """One result more than a page: only to learn whether a next page exists."""
    return params.size + 1


def one_page(
    params: SearchParams,
    ranked: Sequence[RankedHit],
    total: int,
    total_is_exact: bool,
    facets: Facets | None,
    *,
    cursors: CursorCodec,
) -> SearchResponse:
    """The response for the `page_size_to_fetch` best hits a back-end found, in order."""
    page = ranked[: params.size]
    has_next = len(ranked) > params.size
    return SearchResponse(
        total=total,
        total_is_exact=total_is_exact,
        sort=params.effective_sort(),
        hits=[found.hit for found in page],
        next_cursor=cursors.encode(params, page[-1].sort_values) if has_next else None,
        facets=facets,
    )


def search_hit(
    summary: Mapping[str, Any], score: float | None, highlights: Highlights | None = None
) -> SearchHit:
    """A hit from its article's SUMMARY_FIELDS (as stored: JSON values)."""
    return SearchHit.model_validate(
        {**summary, "score": score, "highlights": highlights or Highlights()}
    )


def most_mentioned(entities: Iterable[EntityCount]) -> list[EntityCount]:
    """Most mentioned first; ties by name, then label, so both back-ends list them alike."""
    return sorted(entities, key=lambda entity: (-entity.count, entity.name, entity.label))


def facets(
    sections: list[Count],
    entities: Iterable[EntityCount],
    timeline: list[TimelineBucket],
    sample: int | None = None,
) -> Facets:
    """A first page's facets; `entities` are the top FACET_SIZE names of each FACET_LABELS;
    `sample`: how many best matches they were counted over, when not over every match."""
    ranked = most_mentioned(entities)
    by_group = {
        group: [entity for entity in ranked if entity.label in labels][:FACET_SIZE]
        for group, labels in ENTITY_FACETS.items()
    }
    return Facets(
        sections=sections,
        people=by_group["people"],
        organisations=by_group["organisations"],
        places=by_group["places"],
        timeline=timeline,
        sample=sample,
    )


def without_control_characters(text: str) -> str:
    """`text` without control characters (tabs and line breaks stay)."""
    return _CONTROL.sub("", text)
