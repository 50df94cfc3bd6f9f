"""The indices behind the aliases on a real Elasticsearch node (issue 29): stories apart from
listings, listings rolled over, a listing moved to the write index when its story changes, an
index from before the split adopted in place, and a writer that missed another's rollover.

Each listing must be searchable exactly once through the alias, whatever index holds it.
"""

from pathlib import Path

import pytest
from elasticsearch import Elasticsearch

from benchmarks.corpus import enriched_bbc_articles
from newswire.article_index import (
    LISTING,
    ArticleIndex,
    IndexShape,
    content_document_id,
    index_definition,
    listing_document,
    story_document,
)
from newswire.enriched import EnrichedArticle, Story
from newswire.settings import Settings
from newswire_api.search import open_article_search
from newswire_indexer.batch import PendingDocument
from newswire_indexer.bulk import BulkWriter, RolloverPolicy

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def articles(shared_dir: Path) -> list[EnrichedArticle]:
    return list(enriched_bbc_articles(shared_dir, limit=12))


@pytest.fixture
def alias(index_name: str) -> str:
    return f"{index_name}-alias"


def _documents(articles: list[EnrichedArticle]) -> list[PendingDocument]:
    return [
        PendingDocument(a.id, a.model_dump_json().encode(), "articles.enriched", 0, n)
        for n, a in enumerate(articles)
    ]


def _write(writer: BulkWriter, articles: list[EnrichedArticle]) -> None:
    outcome = writer.write(_documents(articles), wait=lambda _: None)
    assert not outcome.rejected
    writer.make_visible()


def _listings_by_index(client: Elasticsearch, alias: str) -> dict[str, list[str]]:
    client.indices.refresh(index=alias)
    hits = client.search(
        index=alias, query={"exists": {"field": LISTING}}, size=1000, source=False
    )["hits"]["hits"]
    found: dict[str, list[str]] = {}
    for hit in hits:
        found.setdefault(hit["_index"], []).append(hit["_id"])
    return found


def _all_listed(found: dict[str, list[str]]) -> list[str]:
    return sorted(i for ids in found.values() for i in ids)


def _rewritten(article: EnrichedArticle, title: str) -> EnrichedArticle:
    """A later version of the article's story, with other text (so another content)."""
    return article.model_copy(
        update={
            "title": title,
            "content_sha256": f"{article.content_sha256[:-8]}{'f' * 8}",
            "version_order": f"{article.version_order}~later",
        }
    )


def test_stories_live_apart_and_listings_behind_the_alias_one_shard_each(
    elasticsearch: Elasticsearch,
    elasticsearch_url: str,
    index_name: str,
    alias: str,
    articles: list[EnrichedArticle],
) -> None:
    index = ArticleIndex(elasticsearch, alias, index_name)
    index.ensure()
    index.ensure()  # safe to repeat

    layout = index.layout()
    assert layout.stories_index == f"{index_name}-stories"
    assert layout.write_index == f"{index_name}-000001"
    assert not layout.legacy
    shards = elasticsearch.indices.get_settings(index=layout.write_index)
    assert shards[layout.write_index]["settings"]["index"]["number_of_shards"] == "1"

    _write(BulkWriter(elasticsearch, alias, 1.0), articles[:5])

    assert _all_listed(_listings_by_index(elasticsearch, alias)) == sorted(
        content_document_id(a.content_sha256) for a in articles[:5]
    )
    stories = elasticsearch.mget(index=layout.stories_index, ids=[a.id for a in articles[:5]])
    assert all(doc["found"] for doc in stories["docs"])
    # The API reads stories by id through their own alias.
    search = open_article_search(Settings(elasticsearch_url=elasticsearch_url, index_alias=alias))
    try:
        assert search.story(articles[0].id).current == articles[0]
    finally:
        search.close()


def test_rollover_starts_a_new_write_index_and_a_changed_story_moves_its_listing(
    elasticsearch: Elasticsearch, index_name: str, alias: str, articles: list[EnrichedArticle]
) -> None:
    index = ArticleIndex(elasticsearch, alias, index_name)
    index.ensure()
    policy = RolloverPolicy("50gb", max_docs=4, check_interval_s=0.0)
    writer = BulkWriter(elasticsearch, alias, 1.0, rollover=policy)
    _write(writer, articles[:6])  # into -000001; the next write finds it over 4 documents
    first = f"{index_name}-000001"
    assert set(_listings_by_index(elasticsearch, alias)) == {first}

    _write(writer, articles[6:8])
    second = f"{index_name}-000002"
    assert index.layout().write_index == second
    found = _listings_by_index(elasticsearch, alias)
    assert sorted(found[second]) == sorted(
        content_document_id(a.content_sha256) for a in articles[6:8]
    )

    # A new version of a story listed in the first index: listed once, in the write index.
    later = _rewritten(articles[0], "A later headline")
    _write(writer, [later])
    found = _listings_by_index(elasticsearch, alias)
    assert content_document_id(articles[0].content_sha256) not in _all_listed(found)
    assert content_document_id(later.content_sha256) in found[second]
    assert len(_all_listed(found)) == 8


def test_a_writer_that_missed_another_writers_rollover_lists_in_the_new_write_index(
    elasticsearch: Elasticsearch, index_name: str, alias: str, articles: list[EnrichedArticle]
) -> None:
    index = ArticleIndex(elasticsearch, alias, index_name)
    index.ensure()
    stale = BulkWriter(elasticsearch, alias, 1.0)
    _write(stale, articles[:3])  # it has read the layout: -000001
    rolled = index.roll_over("50gb", max_docs=1)
    assert rolled == f"{index_name}-000002"

    _write(stale, articles[3:5])
    later = _rewritten(articles[0], "Moved after a rollover it did not see")
    _write(stale, [later])

    found = _listings_by_index(elasticsearch, alias)
    assert sorted(found[rolled]) == sorted(
        content_document_id(a.content_sha256) for a in [*articles[3:5], later]
    )
    assert len(_all_listed(found)) == 5  # nothing listed twice
    claims = elasticsearch.get(index=f"{index_name}-stories", id=f"claims:{later.content_sha256}")[
        "_source"
    ]
    assert claims["claims"]["index"] == rolled


def test_an_index_from_before_the_split_is_adopted_in_place(
    elasticsearch: Elasticsearch, index_name: str, alias: str, articles: list[EnrichedArticle]
) -> None:
    old = f"{index_name}-v3"
    elasticsearch.indices.create(index=old, **index_definition())
    elasticsearch.indices.put_alias(index=old, name=alias)  # as made by hand: no write index
    for article in articles[:3]:  # as the indexer wrote them before: story and listing together
        story = Story(id=article.id).with_version(article)
        elasticsearch.index(index=old, id=article.id, document=story_document(story))
        elasticsearch.index(
            index=old,
            id=content_document_id(article.content_sha256),
            document=listing_document(story, [story.rank]),
        )

    index = ArticleIndex(elasticsearch, alias, index_name, shape=IndexShape())
    index.ensure()
    layout = index.layout()
    assert (layout.stories_index, layout.write_index, layout.legacy) == (old, old, True)

    writer = BulkWriter(elasticsearch, alias, 1.0)
    later = _rewritten(articles[0], "A correction after the upgrade")
    _write(writer, [later, *articles[3:5]])
    rolled = index.roll_over("50gb", max_docs=1)
    assert rolled == f"{old}-000001"
    even_later = _rewritten(articles[1], "And one after the rollover")
    _write(BulkWriter(elasticsearch, alias, 1.0), [even_later])

    found = _listings_by_index(elasticsearch, alias)
    expected = [later, even_later, articles[2], *articles[3:5]]
    assert _all_listed(found) == sorted(content_document_id(a.content_sha256) for a in expected)
    assert found[rolled] == [content_document_id(even_later.content_sha256)]
