"""The search filters as Elasticsearch `filter` clauses: one function per filter parameter,
giving the clauses its values ask for (none when it is not given).

Filters are exact `term` queries on keyword fields (case-insensitive where people type names),
never text queries, so they cost no scoring and cannot be turned into anything expensive.
Adding a filter: a field on `SearchParams`, one function here and one in the embedded back-end's
`filters.py`, each listed in its module's SEARCH_FILTERS.
"""

from collections.abc import Callable
from typing import Any

from newswire_api.search_request import (
    DateRange,
    EntitiesParams,
    EntityFilter,
    SearchParams,
)

Query = dict[str, Any]
SUBJECT_FIELDS = ("subjects.code", "subjects.name")


def section(params: SearchParams | EntitiesParams) -> list[Query]:
    return _any_of("section", params.section)


def language(params: SearchParams) -> list[Query]:
    return _any_of("language", params.language)


def author(params: SearchParams) -> list[Query]:
    return _any_of("authors", params.author)


def provider(params: SearchParams) -> list[Query]:
    return _any_of("provider", params.provider)


def subject(params: SearchParams) -> list[Query]:
    """By code or by name: `subjects` is an object array whose codes and names are keywords."""
    if not params.subject:
        return []
    terms = [_term(field, value) for value in params.subject for field in SUBJECT_FIELDS]
    return [{"bool": {"should": terms}}]


def entity(params: SearchParams) -> list[Query]:
    """Every entity must be mentioned: one nested query each."""
    return [_mentions(entity) for entity in params.entity_filters()]


def published(params: DateRange) -> list[Query]:
    """`from` / `to`: the publication day, inclusive."""
    from_date, to_date = params.bounds()
    if from_date is None and to_date is None:
        return []
    bounds = {"format": "strict_date"}
    if from_date is not None:
        bounds["gte"] = from_date.isoformat()
    if to_date is not None:
        bounds["lte"] = to_date.isoformat()
    return [{"range": {"publication_date": bounds}}]


SEARCH_FILTERS: tuple[Callable[[SearchParams], list[Query]], ...] = (
    section,
    language,
    author,
    provider,
    subject,
    entity,
    published,
)
ENTITIES_FILTERS: tuple[Callable[[EntitiesParams], list[Query]], ...] = (section, published)


# Every search, facet and similar list: listings whose `visible_from` has passed at the time of
# the request (Elasticsearch's `now`, to the millisecond: an embargo lifts without any write),
# or articles of an index older than version 3 (neither a listing nor a story document).
# Story documents never match.
VISIBLE_NOW: Query = {
    "bool": {
        "should": [
            {"range": {"listing.visible_from": {"lte": "now"}}},
            {
                "bool": {
                    "must_not": [
                        {"exists": {"field": "listing.visible_from"}},
                        {"exists": {"field": "story.id"}},
                    ]
                }
            },
        ],
        "minimum_should_match": 1,
    }
}


def search_filters(params: SearchParams) -> list[Query]:
    return [clause for clauses_of in SEARCH_FILTERS for clause in clauses_of(params)]


def entities_filters(params: EntitiesParams) -> list[Query]:
    return [clause for clauses_of in ENTITIES_FILTERS for clause in clauses_of(params)]


def _any_of(field: str, values: list[str]) -> list[Query]:
    """A filter matching any of `values` exactly but for case; no filter when there are none."""
    if not values:
        return []
    terms = [_term(field, value) for value in values]
    return [terms[0] if len(terms) == 1 else {"bool": {"should": terms}}]


def _term(field: str, value: str) -> Query:
    return {"term": {field: {"value": value, "case_insensitive": True}}}


def _mentions(entity: EntityFilter) -> Query:
    names = [_term(field, entity.name) for field in ("entities.name", "entities.surface_forms")]
    conditions: list[Query] = [{"bool": {"should": names}}]
    if entity.label is not None:
        conditions.append({"term": {"entities.label": entity.label}})
    return {"nested": {"path": "entities", "query": {"bool": {"filter": conditions}}}}
