"""From API parameters to Elasticsearch request bodies, checked without a server."""

import json
from typing import Any

from newswire_api.responses import ArticleSummary
from newswire_api.search.elasticsearch.filters import VISIBLE_NOW
from newswire_api.search.elasticsearch.query import (
    FILE_ARTICLES_PAGE,
    entities_body,
    search_body,
    sections_body,
    similar_body,
    stories_from_file_body,
)
from newswire_api.search_request import EntitiesParams, SearchParams


def _params(**fields: Any) -> SearchParams:
    return SearchParams.model_validate(fields)


def _filters(body: dict[str, Any]) -> list[dict[str, Any]]:
    """The body's filters but the visibility rule every search carries."""
    filters: list[dict[str, Any]] = body["query"]["bool"]["filter"]
    return [clause for clause in filters if clause != VISIBLE_NOW]


def test_text_goes_only_into_a_simple_query_string_with_safe_flags() -> None:
    body = search_body(_params(q="gov* OR blair~"), search_after=None)
    (text_query,) = body["query"]["bool"]["must"]
    query = text_query["simple_query_string"]
    assert query["query"] == r"(gov\* | blair\~)"
    assert "PREFIX" not in query["flags"]
    assert "FUZZY" not in query["flags"]
    assert query["default_operator"] == "and"
    assert all(not field.startswith("entities") for field in query["fields"])


def test_text_is_searched_in_the_fields_of_the_search_model_with_their_boosts() -> None:
    body = search_body(_params(q="iraq"), search_after=None)
    fields = body["query"]["bool"]["must"][0]["simple_query_string"]["fields"]
    assert fields == ["title^3", "standfirst^2", "body", "image_caption", "related_titles^0.5"]


def test_hits_fetch_exactly_the_fields_of_the_article_summary() -> None:
    fields = [*ArticleSummary.model_fields, "listing.updated"]
    assert search_body(_params(q="iraq"), search_after=None)["_source"] == fields
    assert similar_body("articles-v1", ARTICLE, [], size=5)["_source"] == fields


def test_no_words_lists_everything_newest_first_without_highlighting() -> None:
    body = search_body(_params(q="  "), search_after=None)
    assert body["query"]["bool"]["must"] == [{"match_all": {}}]
    assert body["sort"][0] == {"publication_date": {"order": "desc", "missing": "_last"}}
    assert "highlight" not in body


def test_every_sort_ends_with_the_article_id_so_pages_never_overlap() -> None:
    for sort in ("relevance", "date"):
        body = search_body(_params(q="iraq", sort=sort), search_after=None)
        assert body["sort"][-1] == {"id": "asc"}


def test_a_page_asks_for_one_hit_more_to_know_whether_another_follows() -> None:
    assert search_body(_params(size=7), search_after=None)["size"] == 8


def test_filters_on_sections_languages_and_authors_match_any_value_ignoring_case() -> None:
    body = search_body(
        _params(section=["business", "Tech"], language=["en"], author=["Jane Doe"]), None
    )
    sections, language, authors = _filters(body)
    assert [clause["term"]["section"]["value"] for clause in sections["bool"]["should"]] == [
        "business",
        "Tech",
    ]
    assert language == {"term": {"language": {"value": "en", "case_insensitive": True}}}
    assert authors["term"]["authors"]["value"] == "Jane Doe"


def test_each_entity_filter_is_a_nested_query_and_all_must_match() -> None:
    body = search_body(_params(entity=["Masoud Pezeshkian", "GPE:Iraq"]), None)
    person, place = _filters(body)
    assert person["nested"]["path"] == "entities"
    person_conditions = person["nested"]["query"]["bool"]["filter"]
    assert len(person_conditions) == 1  # by name or surface form, any label
    names = json.dumps(person_conditions)
    assert "entities.name" in names
    assert "entities.surface_forms" in names
    assert {"term": {"entities.label": "GPE"}} in place["nested"]["query"]["bool"]["filter"]


def test_a_date_range_filters_on_the_publication_day_inclusively() -> None:
    body = search_body(_params(**{"from": "2024-09-01", "to": "2024-09-30"}), None)
    assert _filters(body) == [
        {
            "range": {
                "publication_date": {
                    "format": "strict_date",
                    "gte": "2024-09-01",
                    "lte": "2024-09-30",
                }
            }
        }
    ]


def test_facets_come_with_the_first_page_only() -> None:
    first = search_body(_params(q="iraq"), search_after=None, index_version=1)
    assert set(first["aggs"]) == {"sections", "entities", "timeline"}
    assert first["aggs"]["timeline"]["date_histogram"]["calendar_interval"] == "month"
    later = search_body(_params(q="iraq"), search_after=[1.5, "abc"])
    assert "aggs" not in later
    assert later["search_after"] == [1.5, "abc"]


def test_from_index_version_2_entity_facets_are_terms_on_keyword_fields_not_nested() -> None:
    first = search_body(_params(q="iraq"), search_after=None)
    assert set(first["aggs"]) == {
        "sections",
        "timeline",
        "entities_GPE",
        "entities_LOC",
        "entities_ORG",
        "entities_PERSON",
    }
    assert first["aggs"]["entities_PERSON"] == {
        "terms": {"field": "derived.names.PERSON", "size": 10}
    }
    assert "nested" not in json.dumps(first["aggs"])


def test_every_search_carries_the_time_budget() -> None:
    assert search_body(_params(q="iraq"), None, budget_ms=2000)["timeout"] == "2000ms"
    assert entities_body(EntitiesParams(), budget_ms=1500)["timeout"] == "1500ms"


def test_top_entities_count_every_label_unless_told_otherwise() -> None:
    everything = entities_body(EntitiesParams(), index_version=1)
    labels = everything["aggs"]["entities"]["aggs"]["labels"]["terms"]["include"]
    assert labels == ["EVENT", "GPE", "LOC", "NORP", "ORG", "PERSON"]
    people = entities_body(
        EntitiesParams(label=["PERSON"], section=["World"], size=5), index_version=1
    )
    assert people["aggs"]["entities"]["aggs"]["labels"]["terms"]["include"] == ["PERSON"]
    names = people["aggs"]["entities"]["aggs"]["labels"]["aggs"]["names"]["terms"]
    assert names["size"] == 5
    assert _filters(people)[0]["term"]["section"]["value"] == "World"
    flat = entities_body(EntitiesParams(label=["PERSON"], size=5))
    assert flat["aggs"] == {
        "entities_PERSON": {"terms": {"field": "derived.names.PERSON", "size": 5}}
    }
    assert set(entities_body(EntitiesParams())["aggs"]) == {
        f"entities_{label}" for label in ["EVENT", "GPE", "LOC", "NORP", "ORG", "PERSON"]
    }


ARTICLE = {"id": "abc", "content_sha256": "c0", "title": "Iraq visit", "body": ["In Baghdad."]}


def test_similar_articles_exclude_the_story_and_its_content_and_use_its_text_and_entities() -> None:
    body = similar_body("articles-v1", ARTICLE, ["Masoud Pezeshkian", "Iraq"], size=5)
    assert body["query"]["bool"]["must_not"] == [
        {"ids": {"values": ["abc"]}},
        {"term": {"id": "abc"}},
        {"term": {"content_sha256": "c0"}},
    ]
    assert body["query"]["bool"]["filter"] == [VISIBLE_NOW]
    more_like_this, shared_entities = body["query"]["bool"]["should"]
    assert more_like_this["more_like_this"]["like"] == [
        {"_index": "articles-v1", "doc": {"title": "Iraq visit", "body": ["In Baghdad."]}}
    ]
    assert shared_entities["nested"]["query"] == {
        "terms": {"entities.name": ["Masoud Pezeshkian", "Iraq"]}
    }
    assert len(similar_body("articles-v1", ARTICLE, [], size=5)["query"]["bool"]["should"]) == 1


def test_every_search_and_facet_keeps_only_what_is_visible_now() -> None:
    assert VISIBLE_NOW in search_body(_params(), search_after=None)["query"]["bool"]["filter"]
    assert VISIBLE_NOW in entities_body(EntitiesParams())["query"]["bool"]["filter"]
    assert sections_body()["query"] == {"bool": {"filter": [VISIBLE_NOW]}}


def test_the_stories_of_a_file_are_asked_by_sha256_in_pages_sorted_by_id() -> None:
    first = stories_from_file_body("ab" * 32, after_id=None)
    assert first["query"] == {"term": {"story.versions.file_sha256": "ab" * 32}}
    assert first["sort"] == [{"story.id": "asc"}]
    assert first["size"] == FILE_ARTICLES_PAGE
    assert "search_after" not in first
    assert stories_from_file_body("ab" * 32, after_id="c1")["search_after"] == ["c1"]
