"""From API parameters to Elasticsearch request bodies. Pure functions, no I/O.

Only what is built here reaches Elasticsearch: user text goes through `query_syntax` into a
`simple_query_string` on fixed fields with safe flags, filters are `term` queries on keyword
fields, and every size is bounded, so no request can run a script, a regex or an unbounded
aggregation.
"""

from datetime import date
from typing import Any

from newswire_api.query_syntax import SAFE_FLAGS, to_simple_query_string
from newswire_api.search_request import (
    ENTITY_LABELS,
    EntitiesParams,
    EntityFilter,
    SearchParams,
    SortOrder,
)

SEARCHED_FIELDS = ["title^3", "standfirst^2", "body", "image_caption", "related_titles^0.5"]
SUMMARY_FIELDS = [
    "id",
    "title",
    "summary",
    "section",
    "publication_date",
    "published_at",
    "language",
    "authors",
    "url",
    "reading_time_minutes",
]
FACET_SIZE = 10
SECTIONS_LIMIT = 500
ENTITY_FACETS = {"people": ("PERSON",), "organisations": ("ORG",), "places": ("GPE", "LOC")}
# Bodies of up to 10 MiB are accepted upstream; highlighting analyses at most this much of one.
HIGHLIGHT_MAX_ANALYZED_OFFSET = 1_000_000

_SORTS: dict[SortOrder, list[dict[str, Any]]] = {
    # `id` breaks ties so that `search_after` never skips or repeats an article.
    "relevance": [{"_score": "desc"}, {"id": "asc"}],
    "date": [{"publication_date": {"order": "desc", "missing": "_last"}}, {"id": "asc"}],
}


def search_body(params: SearchParams, search_after: list[Any] | None) -> dict[str, Any]:
    """The `_search` body for one page of results, with facets on the first page."""
    sort = params.effective_sort()
    text_query = _text_query(params.q)
    body: dict[str, Any] = {
        "size": params.size + 1,  # one more than a page: is there a next page?
        "query": {"bool": {"must": [text_query or {"match_all": {}}], "filter": _filters(params)}},
        "sort": _SORTS[sort],
        "track_scores": sort == "relevance",
        "track_total_hits": 10_000,
        "_source": SUMMARY_FIELDS,
    }
    if text_query is not None:
        body["highlight"] = _highlight()
    if search_after is not None:
        body["search_after"] = search_after
    else:
        body["aggs"] = _facet_aggregations(params)
    return body


def entities_body(params: EntitiesParams) -> dict[str, Any]:
    filters = _any_of("section", params.section) + _date_range(*params.bounds())
    labels = sorted(set(params.label or ENTITY_LABELS))
    return {
        "size": 0,
        "query": {"bool": {"filter": filters}},
        "aggs": {"entities": _entity_aggregation(labels, params.size)},
    }


def sections_body() -> dict[str, Any]:
    return {
        "size": 0,
        "aggs": {"sections": {"terms": {"field": "section", "size": SECTIONS_LIMIT}}},
    }


def similar_body(index: str, article_id: str, entity_names: list[str], size: int) -> dict[str, Any]:
    """Articles sharing distinctive words of the title and body, or the main entities."""
    related: list[dict[str, Any]] = [
        {
            "more_like_this": {
                "fields": ["title", "body"],
                "like": [{"_index": index, "_id": article_id}],
                "min_term_freq": 1,
                "min_doc_freq": 2,
                "max_query_terms": 25,
                # Of the 25 most distinctive terms, a few in common make an article related.
                "minimum_should_match": "10%",
            }
        }
    ]
    if entity_names:
        related.append(
            {
                "nested": {
                    "path": "entities",
                    "score_mode": "sum",
                    "query": {"terms": {"entities.name": entity_names}},
                }
            }
        )
    return {
        "size": size,
        "query": {
            "bool": {
                "should": related,
                "minimum_should_match": 1,
                "must_not": [{"ids": {"values": [article_id]}}],
            }
        },
        "_source": SUMMARY_FIELDS,
    }


def _text_query(q: str | None) -> dict[str, Any] | None:
    rendered = to_simple_query_string(q or "")
    if not rendered:
        return None
    return {
        "simple_query_string": {
            "query": rendered,
            "fields": SEARCHED_FIELDS,
            "default_operator": "and",
            "flags": SAFE_FLAGS,
            "lenient": True,
        }
    }


def _filters(params: SearchParams) -> list[dict[str, Any]]:
    return [
        *_any_of("section", params.section),
        *_any_of("language", params.language),
        *_any_of("authors", params.author),
        *(_mentions(entity) for entity in params.entity_filters()),
        *_date_range(*params.bounds()),
    ]


def _any_of(field: str, values: list[str]) -> list[dict[str, Any]]:
    """A filter matching any of `values` exactly but for case; no filter when there are none."""
    if not values:
        return []
    terms = [_term(field, value) for value in values]
    return [terms[0] if len(terms) == 1 else {"bool": {"should": terms}}]


def _term(field: str, value: str) -> dict[str, Any]:
    return {"term": {field: {"value": value, "case_insensitive": True}}}


def _mentions(entity: EntityFilter) -> dict[str, Any]:
    names = [_term(field, entity.name) for field in ("entities.name", "entities.surface_forms")]
    conditions: list[dict[str, Any]] = [{"bool": {"should": names}}]
    if entity.label is not None:
        conditions.append({"term": {"entities.label": entity.label}})
    return {"nested": {"path": "entities", "query": {"bool": {"filter": conditions}}}}


def _date_range(from_date: date | None, to_date: date | None) -> list[dict[str, Any]]:
    if from_date is None and to_date is None:
        return []
    bounds = {"format": "strict_date"}
    if from_date is not None:
        bounds["gte"] = from_date.isoformat()
    if to_date is not None:
        bounds["lte"] = to_date.isoformat()
    return [{"range": {"publication_date": bounds}}]


def _highlight() -> dict[str, Any]:
    whole_field = {"number_of_fragments": 0}
    return {
        "encoder": "html",
        "pre_tags": ["<mark>"],
        "post_tags": ["</mark>"],
        "max_analyzed_offset": HIGHLIGHT_MAX_ANALYZED_OFFSET,
        "fields": {
            "title": whole_field,
            "standfirst": whole_field,
            "body": {"fragment_size": 180, "number_of_fragments": 2},
        },
    }


def _facet_aggregations(params: SearchParams) -> dict[str, Any]:
    labels = sorted({label for group in ENTITY_FACETS.values() for label in group})
    return {
        "sections": {"terms": {"field": "section", "size": FACET_SIZE}},
        "entities": _entity_aggregation(labels, FACET_SIZE),
        "timeline": {
            "date_histogram": {
                "field": "publication_date",
                "calendar_interval": params.interval,
                "min_doc_count": 1,
                "format": "strict_date",
            }
        },
    }


def _entity_aggregation(labels: list[str], size: int) -> dict[str, Any]:
    """Top entity names per label. The enricher merges an entity's mentions into one entry per
    article, so a name's nested document count is the number of articles mentioning it."""
    return {
        "nested": {"path": "entities"},
        "aggs": {
            "labels": {
                "terms": {"field": "entities.label", "size": len(labels), "include": labels},
                "aggs": {"names": {"terms": {"field": "entities.name", "size": size}}},
            }
        },
    }
