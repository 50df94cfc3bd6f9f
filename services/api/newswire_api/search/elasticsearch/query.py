"""From API parameters to Elasticsearch request bodies. Pure functions, no I/O.

Only what is built here reaches Elasticsearch: user text goes through `text_query` into a
`simple_query_string` on the fields of the search model with safe flags, filters are `term`
queries on keyword fields (`filters`), and every size is bounded, so no request can run a script,
a regex or an unbounded aggregation. Every search carries the API's time budget (`timeout`).

Entities are counted one of two ways, by index version (`_meta.index_version` of the mapping):
from version 2 on, terms aggregations on `derived.names.<LABEL>`, keyword fields the indexer
fills (`newswire.article_index`); on a version-1 index, a nested aggregation over `entities`,
which costs most of a first page's time on a large index. Both count articles.
"""

from collections.abc import Mapping
from typing import Any

from newswire.article_index import DERIVED, INDEX_VERSION, LISTING
from newswire_api.search.cost import IndexStatistics
from newswire_api.search.elasticsearch.filters import VISIBLE_NOW, entities_filters, search_filters
from newswire_api.search.elasticsearch.text_query import SAFE_FLAGS, to_simple_query_string
from newswire_api.search.model import (
    FACET_LABELS,
    FACET_SIZE,
    SEARCHED_FIELDS,
    SECTIONS_LIMIT,
    SIMILAR_BY_DISTINCTIVE_TERMS,
    SIMILAR_FIELDS,
    SUMMARY_FIELDS,
    TRACKED_TOTAL,
    page_size_to_fetch,
)
from newswire_api.search_request import EntitiesParams, SearchParams, SortOrder

# The search model's fields with their boosts, as `simple_query_string` takes them: `title^3`.
BOOSTED_FIELDS = [
    field if boost == 1 else f"{field}^{boost:g}" for field, boost in SEARCHED_FIELDS.items()
]
# Bodies of up to 10 MiB are accepted upstream; highlighting analyses at most this much of one.
HIGHLIGHT_MAX_ANALYZED_OFFSET = 1_000_000
# Pages of ids when listing the articles of one file (the id sorts them and pages them).
FILE_ARTICLES_PAGE = 1000
# When a listed story's current version replaced an earlier one (hits show it as `updated`).
UPDATED = f"{LISTING}.updated"
# The names of the per-label entity aggregations (index version 2): `entities_PERSON`, ...
ENTITY_AGGREGATION_PREFIX = "entities_"
# The `sampler` aggregation holding the facets of a broad search (`search.cost`).
FACET_SAMPLE = "facet_sample"

_SORTS: dict[SortOrder, list[dict[str, Any]]] = {
    # `id` breaks ties so that `search_after` never skips or repeats an article.
    "relevance": [{"_score": "desc"}, {"id": "asc"}],
    "date": [{"publication_date": {"order": "desc", "missing": "_last"}}, {"id": "asc"}],
}


def search_body(
    params: SearchParams,
    search_after: list[Any] | None,
    index_version: int = INDEX_VERSION,
    budget_ms: int | None = None,
    facet_sample: int | None = None,
) -> dict[str, Any]:
    """The `_search` body for one page of results, with facets on the first page (counted over
    the `facet_sample` best matches when given: a `sampler` aggregation, FACET_SAMPLE)."""
    sort = params.effective_sort()
    text_query = _text_query(params.q)
    body: dict[str, Any] = {
        "size": page_size_to_fetch(params),
        "query": {
            "bool": {
                "must": [text_query or {"match_all": {}}],
                "filter": [VISIBLE_NOW, *search_filters(params)],
            }
        },
        "sort": _SORTS[sort],
        "track_scores": sort == "relevance",
        "track_total_hits": TRACKED_TOTAL,
        "_source": [*SUMMARY_FIELDS, UPDATED],
    }
    if text_query is not None:
        body["highlight"] = _highlight()
    if search_after is not None:
        body["search_after"] = search_after
    else:
        aggregations = _facet_aggregations(params, index_version)
        if facet_sample is not None:
            aggregations = {
                FACET_SAMPLE: {"sampler": {"shard_size": facet_sample}, "aggs": aggregations}
            }
        body["aggs"] = aggregations
    if budget_ms is not None:
        body["timeout"] = f"{budget_ms}ms"
    return body


def word_statistics_body(words: list[str]) -> dict[str, Any]:
    """A `_termvectors` request for an artificial document of `words` in every searched field:
    Elasticsearch answers each term's document frequency from its term dictionaries, without
    reading a posting."""
    text = " ".join(words)
    return {
        "doc": dict.fromkeys(SEARCHED_FIELDS, text),
        "fields": list(SEARCHED_FIELDS),
        "term_statistics": True,
        "field_statistics": True,
        "positions": False,
        "offsets": False,
        "payloads": False,
    }


def word_statistics(answer: Mapping[str, Any]) -> IndexStatistics:
    """The answer to `word_statistics_body`: per word, the articles holding it in the field
    where it is most frequent (`body`, mostly); the articles, those with the fullest field."""
    fields = answer.get("term_vectors", {}).values()
    articles = max((f.get("field_statistics", {}).get("doc_count", 0) for f in fields), default=0)
    frequencies: dict[str, int] = {}
    for field in fields:
        for term, statistics in field.get("terms", {}).items():
            frequencies[term] = max(frequencies.get(term, 0), statistics.get("doc_freq", 0))
    return IndexStatistics(articles, frequencies)


def entities_body(
    params: EntitiesParams, index_version: int = INDEX_VERSION, budget_ms: int | None = None
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "size": 0,
        "query": {"bool": {"filter": [VISIBLE_NOW, *entities_filters(params)]}},
        "aggs": entity_aggregations(params.counted_labels(), params.size, index_version),
    }
    if budget_ms is not None:
        body["timeout"] = f"{budget_ms}ms"
    return body


def sections_body() -> dict[str, Any]:
    return {
        "size": 0,
        "query": {"bool": {"filter": [VISIBLE_NOW]}},
        "aggs": {"sections": {"terms": {"field": "section", "size": SECTIONS_LIMIT}}},
    }


def similar_body(
    index: str, article: Mapping[str, Any], entity_names: list[str], size: int
) -> dict[str, Any]:
    """Visible articles sharing distinctive words of the title and body of `article` (a story's
    current version, given as the document to be like: the story's listing may be another
    story's), or its main entities; not its own content."""
    like = {field: article[field] for field in SIMILAR_FIELDS if article.get(field)}
    related: list[dict[str, Any]] = [
        {
            "more_like_this": {
                "fields": list(SIMILAR_FIELDS),
                "like": [{"_index": index, "doc": like}],
                "min_term_freq": 1,
                "min_doc_freq": 2,
                "max_query_terms": SIMILAR_BY_DISTINCTIVE_TERMS,
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
                "filter": [VISIBLE_NOW],
                "must_not": [
                    {"ids": {"values": [article["id"]]}},
                    {"term": {"id": article["id"]}},
                    {"term": {"content_sha256": article.get("content_sha256") or ""}},
                ],
            }
        },
        "_source": [*SUMMARY_FIELDS, UPDATED],
    }


def stories_from_file_body(sha256: str, after_id: str | None) -> dict[str, Any]:
    """A page of the story documents with a version from the file with this sha256."""
    body: dict[str, Any] = {
        "size": FILE_ARTICLES_PAGE,
        "query": {"term": {"story.versions.file_sha256": sha256}},
        "sort": [{"story.id": "asc"}],
    }
    if after_id is not None:
        body["search_after"] = [after_id]
    return body


def _text_query(q: str | None) -> dict[str, Any] | None:
    rendered = to_simple_query_string(q or "")
    if not rendered:
        return None
    return {
        "simple_query_string": {
            "query": rendered,
            "fields": BOOSTED_FIELDS,
            "default_operator": "and",
            "flags": SAFE_FLAGS,
            "lenient": True,
        }
    }


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


def _facet_aggregations(params: SearchParams, index_version: int) -> dict[str, Any]:
    return {
        "sections": {"terms": {"field": "section", "size": FACET_SIZE}},
        **entity_aggregations(FACET_LABELS, FACET_SIZE, index_version),
        "timeline": {
            "date_histogram": {
                "field": "publication_date",
                "calendar_interval": params.interval,
                "min_doc_count": 1,
                "format": "strict_date",
            }
        },
    }


def entity_aggregations(labels: list[str], size: int, index_version: int) -> dict[str, Any]:
    """The top `size` entity names of each label, counted in articles: one terms aggregation
    per label on `derived.names.<LABEL>` (ENTITY_AGGREGATION_PREFIX + label), or on a
    version-1 index the nested aggregation `entities` (the enricher merges an entity's mentions
    into one entry per article, so a name's nested document count is its number of articles)."""
    if index_version >= 2:
        return {
            f"{ENTITY_AGGREGATION_PREFIX}{label}": {
                "terms": {"field": f"{DERIVED}.names.{label}", "size": size}
            }
            for label in labels
        }
    return {
        "entities": {
            "nested": {"path": "entities"},
            "aggs": {
                "labels": {
                    "terms": {"field": "entities.label", "size": len(labels), "include": labels},
                    "aggs": {"names": {"terms": {"field": "entities.name", "size": size}}},
                }
            },
        }
    }
