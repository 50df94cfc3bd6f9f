"""From Elasticsearch responses to the API's response models. Pure functions, no I/O."""

from collections.abc import Mapping
from typing import Any

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
from newswire_api.search_query import ENTITY_FACETS, FACET_SIZE
from newswire_api.search_request import SearchParams, encode_cursor


def search_response(params: SearchParams, result: Mapping[str, Any]) -> SearchResponse:
    hits = result["hits"]["hits"][: params.size]
    total = result["hits"]["total"]
    sort = params.effective_sort()
    # The query asks for one hit more than a page, only to learn whether there is a next page.
    has_next = len(result["hits"]["hits"]) > params.size
    next_cursor = encode_cursor(params, hits[-1]["sort"]) if has_next else None
    aggregations = result.get("aggregations")
    return SearchResponse(
        total=total["value"],
        total_is_exact=total["relation"] == "eq",
        sort=sort,
        hits=[_hit(hit, with_score=sort == "relevance") for hit in hits],
        next_cursor=next_cursor,
        facets=_facets(aggregations) if aggregations is not None else None,
    )


def similar_hits(result: Mapping[str, Any]) -> list[SearchHit]:
    return [_hit(hit, with_score=True) for hit in result["hits"]["hits"]]


def entity_counts(aggregation: Mapping[str, Any]) -> list[EntityCount]:
    """The entities of an aggregation built by `_entity_aggregation`, most mentioned first."""
    counts = [
        EntityCount(name=name["key"], label=label["key"], count=name["doc_count"])
        for label in aggregation["labels"]["buckets"]
        for name in label["names"]["buckets"]
    ]
    counts.sort(key=lambda entity: (-entity.count, entity.name, entity.label))
    return counts


def counts(aggregation: Mapping[str, Any]) -> list[Count]:
    return [Count(value=b["key"], count=b["doc_count"]) for b in aggregation["buckets"]]


def _hit(hit: Mapping[str, Any], with_score: bool) -> SearchHit:
    summary = ArticleSummary.model_validate(hit["_source"])
    highlight = hit.get("highlight", {})
    return SearchHit(
        **summary.model_dump(),
        score=hit["_score"] if with_score else None,
        highlights=Highlights(
            title=_first(highlight.get("title")),
            standfirst=_first(highlight.get("standfirst")),
            body=highlight.get("body", []),
        ),
    )


def _first(fragments: list[str] | None) -> str | None:
    return fragments[0] if fragments else None


def _facets(aggregations: Mapping[str, Any]) -> Facets:
    entities = entity_counts(aggregations["entities"])
    by_group = {
        group: [entity for entity in entities if entity.label in labels][:FACET_SIZE]
        for group, labels in ENTITY_FACETS.items()
    }
    return Facets(
        sections=counts(aggregations["sections"]),
        people=by_group["people"],
        organisations=by_group["organisations"],
        places=by_group["places"],
        timeline=[
            TimelineBucket(start=bucket["key_as_string"], count=bucket["doc_count"])
            for bucket in aggregations["timeline"]["buckets"]
        ],
    )
