"""From Elasticsearch's answers (hits with `_source`, aggregations with buckets) to the API's
response models. Pure functions, no I/O."""

from collections.abc import Mapping
from typing import Any

from newswire.article_index import LISTING, story_of
from newswire.enriched import Story
from newswire_api.responses import (
    Count,
    EntityCount,
    Facets,
    Highlights,
    SearchHit,
    SearchResponse,
    TimelineBucket,
)
from newswire_api.search.elasticsearch.query import ENTITY_AGGREGATION_PREFIX, FACET_SAMPLE
from newswire_api.search.model import (
    RankedHit,
    facets,
    most_mentioned,
    one_page,
    search_hit,
    without_control_characters,
)
from newswire_api.search_request import CursorCodec, SearchParams


def search_response(
    params: SearchParams,
    result: Mapping[str, Any],
    cursors: CursorCodec,
    facet_sample: int | None = None,
) -> SearchResponse:
    """The response to a body of `query.search_body` (with the same `facet_sample`)."""
    with_score = params.effective_sort() == "relevance"
    ranked = [RankedHit(_hit(hit, with_score), hit["sort"]) for hit in result["hits"]["hits"]]
    total = result["hits"]["total"]
    aggregations = result.get("aggregations")
    page_facets = None
    if aggregations is not None:
        sampled = aggregations.get(FACET_SAMPLE)
        counted = sampled if sampled is not None else aggregations
        # The sampler took every match when there were no more than its size.
        took_some = sampled is not None and total["value"] > sampled["doc_count"]
        page_facets = _facets(counted, facet_sample if took_some else None)
    return one_page(
        params,
        ranked,
        total=total["value"],
        total_is_exact=total["relation"] == "eq",
        facets=page_facets,
        cursors=cursors,
    )


def similar_hits(result: Mapping[str, Any]) -> list[SearchHit]:
    """The answer to `query.similar_body`."""
    return [_hit(hit, with_score=True) for hit in result["hits"]["hits"]]


def top_entities(result: Mapping[str, Any], size: int) -> list[EntityCount]:
    """The answer to `query.entities_body`."""
    return most_mentioned(_entity_counts(result["aggregations"]))[:size]


def section_counts(result: Mapping[str, Any]) -> list[Count]:
    """The answer to `query.sections_body`."""
    return _counts(result["aggregations"]["sections"])


def stories(result: Mapping[str, Any]) -> list[Story]:
    return [
        story for hit in result["hits"]["hits"] if (story := story_of(hit["_source"])) is not None
    ]


def _hit(hit: Mapping[str, Any], with_score: bool) -> SearchHit:
    highlight = hit.get("highlight", {})
    source = hit["_source"]
    listing = source.get(LISTING)
    return search_hit(
        {**source, "updated": listing.get("updated") if isinstance(listing, Mapping) else None},
        score=hit["_score"] if with_score else None,
        highlights=Highlights(
            title=_first(highlight.get("title")),
            standfirst=_first(highlight.get("standfirst")),
            body=[without_control_characters(f) for f in highlight.get("body", [])],
        ),
    )


def _first(fragments: list[str] | None) -> str | None:
    return without_control_characters(fragments[0]) if fragments else None


def _entity_counts(aggregations: Mapping[str, Any]) -> list[EntityCount]:
    """The entities counted by `query.entity_aggregations`, label by label, on either index
    version."""
    if "entities" in aggregations:
        return [
            EntityCount(name=name["key"], label=label["key"], count=name["doc_count"])
            for label in aggregations["entities"]["labels"]["buckets"]
            for name in label["names"]["buckets"]
        ]
    return [
        EntityCount.model_validate(
            {
                "name": bucket["key"],
                "label": key.removeprefix(ENTITY_AGGREGATION_PREFIX),
                "count": bucket["doc_count"],
            }
        )
        for key, aggregation in aggregations.items()
        if key.startswith(ENTITY_AGGREGATION_PREFIX)
        for bucket in aggregation["buckets"]
    ]


def _counts(aggregation: Mapping[str, Any]) -> list[Count]:
    return [Count(value=b["key"], count=b["doc_count"]) for b in aggregation["buckets"]]


def _facets(aggregations: Mapping[str, Any], sample: int | None) -> Facets:
    return facets(
        sections=_counts(aggregations["sections"]),
        entities=_entity_counts(aggregations),
        timeline=[
            TimelineBucket(start=bucket["key_as_string"], count=bucket["doc_count"])
            for bucket in aggregations["timeline"]["buckets"]
        ],
        sample=sample,
    )
