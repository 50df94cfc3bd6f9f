"""The search model both back-ends share: paging, hits and facets built the same way."""

from typing import Any

from newswire_api.responses import ArticleSummary, EntityCount
from newswire_api.search.model import (
    FACET_SIZE,
    SUMMARY_FIELDS,
    RankedHit,
    facets,
    most_mentioned,
    one_page,
    page_size_to_fetch,
    search_hit,
)
from newswire_api.search_request import CursorCodec, SearchParams

CURSORS = CursorCodec(b"a test's cursor secret")


def _ranked(count: int) -> list[RankedHit]:
    return [
        RankedHit(
            search_hit({"id": f"a{i}", "title": f"Title {i}"}, score=10.0 - i), [10.0 - i, f"a{i}"]
        )
        for i in range(count)
    ]


def test_the_summary_fields_are_those_of_the_article_summary() -> None:
    assert list(SUMMARY_FIELDS) == list(ArticleSummary.model_fields)


def test_a_next_cursor_comes_only_when_more_than_a_page_was_found() -> None:
    params = SearchParams(q="iraq", size=3)
    assert page_size_to_fetch(params) == 4
    last_page = one_page(
        params, _ranked(3), total=3, total_is_exact=True, facets=None, cursors=CURSORS
    )
    assert [hit.id for hit in last_page.hits] == ["a0", "a1", "a2"]
    assert last_page.next_cursor is None
    full = one_page(params, _ranked(4), total=9, total_is_exact=True, facets=None, cursors=CURSORS)
    assert [hit.id for hit in full.hits] == ["a0", "a1", "a2"]
    assert full.next_cursor is not None
    following = params.model_copy(update={"cursor": full.next_cursor})
    assert CURSORS.decode(following) == [8.0, "a2"]  # after the last hit shown, not the extra one


def test_a_hit_without_highlights_has_empty_ones() -> None:
    hit = search_hit({"id": "a", "title": "T", "authors": ["Ann Lee"]}, score=None)
    assert hit.score is None
    assert hit.highlights.model_dump() == {"title": None, "standfirst": None, "body": []}


def test_entity_facets_group_labels_and_keep_the_most_mentioned_of_each() -> None:
    def entity(name: str, label: Any, count: int) -> EntityCount:
        return EntityCount(name=name, label=label, count=count)

    places = [entity(f"Place {i:02}", "GPE" if i % 2 else "LOC", 100 - i) for i in range(15)]
    people = [entity("Bo", "PERSON", 3), entity("Al", "PERSON", 3), entity("Cy", "PERSON", 5)]
    found = facets([], [*places, *people, entity("Acme", "ORG", 1)], [])
    assert [e.name for e in found.people] == ["Cy", "Al", "Bo"]
    assert [e.name for e in found.organisations] == ["Acme"]
    assert len(found.places) == FACET_SIZE
    assert found.places == most_mentioned(places)[:FACET_SIZE]
