"""The versioned article indices behind their aliases, on a real Elasticsearch node: made new,
an older installation left in place by `ensure`, and reindexed into the current layout."""

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from elasticsearch import Elasticsearch
from elasticsearch.helpers import bulk

from benchmarks.corpus import enriched_bbc_articles
from newswire.article_index import (
    INDEX_VERSION,
    ArticleIndex,
    index_definition,
    index_document,
    story_of,
)
from newswire.enriched import EnrichedArticle, EnrichedArticleV1
from newswire_indexer.migrate import copy_documents
from newswire_ops.cli import main
from tests.support.search_corpus import reference_sample

pytestmark = pytest.mark.integration


@pytest.fixture
def article_index(elasticsearch: Elasticsearch, index_name: str) -> Iterator[ArticleIndex]:
    """An index made before version 3, as existing installations have it: the v2 mapping, one
    index behind the alias."""
    old = f"{index_name}-v2"
    elasticsearch.indices.create(index=old, **index_definition("articles-v2.json"))
    elasticsearch.indices.put_alias(index=old, name=f"{index_name}-alias", is_write_index=True)
    yield ArticleIndex(elasticsearch, alias=f"{index_name}-alias", index_name=old)
    elasticsearch.options(ignore_status=404).indices.delete(index=f"{index_name}-v*")


def _as_indexed_before(client: Elasticsearch, alias: str, articles: list[EnrichedArticle]) -> None:
    """What the indexer of index version 2 wrote: v1 messages, `_id` their content's sha256."""
    legacy = [EnrichedArticleV1.of(article) for article in articles]
    bulk(
        client,
        (
            {"_index": alias, "_id": a.id, "_source": index_document(a.model_dump(mode="json"))}
            for a in legacy
        ),
        refresh="wait_for",
    )


def _listed(client: Elasticsearch, alias: str) -> int:
    client.indices.refresh(index=alias)
    query = {"exists": {"field": "listing.visible_from"}}
    return int(client.count(index=alias, query=query)["count"])


def test_ensure_creates_the_indices_and_aliases_once(
    elasticsearch: Elasticsearch, index_name: str
) -> None:
    index = ArticleIndex(elasticsearch, alias=f"{index_name}-alias", index_name=index_name)
    index.ensure()
    index.ensure()
    assert index.indices_behind_alias() == [f"{index_name}-000001"]
    assert sorted(elasticsearch.indices.get_alias(name=index.stories_alias)) == [
        f"{index_name}-stories"
    ]
    mappings = elasticsearch.indices.get_mapping(index=f"{index_name}-*")
    assert {m["mappings"]["dynamic"] for m in mappings.values()} == {"false"}


def test_reindex_turns_every_article_into_a_story_and_switches_the_alias_atomically(
    article_index: ArticleIndex,
    index_name: str,
    elasticsearch_url: str,
    shared_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    client = article_index.client
    articles = list(enriched_bbc_articles(shared_dir, limit=150))
    # A correction indexed before stories existed: a second article, same story (inbox path).
    correction = EnrichedArticle.model_validate(
        {
            **articles[0].model_dump(),
            "title": "Corrected title",
            "content_sha256": "c" * 64,
            "provenance": {
                **articles[0].provenance.model_dump(),
                "enriched_at": datetime(2026, 1, 2, tzinfo=UTC),
                "received_at": datetime(2026, 1, 2, tzinfo=UTC),
            },
        }
    )
    _as_indexed_before(client, article_index.alias, [*articles, correction])
    monkeypatch.setenv("ELASTICSEARCH_URL", elasticsearch_url)
    monkeypatch.setenv("NEWSWIRE_INDEX_ALIAS", article_index.alias)
    monkeypatch.setenv("NEWSWIRE_INDEX_NAME", article_index.index_name)

    assert main(["reindex", "--to", f"{index_name}-v3"]) == 0

    assert f"now points at {index_name}-v3-000001 (150 listings)" in capsys.readouterr().out
    assert article_index.indices_behind_alias() == [f"{index_name}-v3-000001"]
    assert _listed(client, article_index.alias) == 150
    mapping = client.indices.get_mapping(index=article_index.alias)[f"{index_name}-v3-000001"]
    assert mapping["mappings"]["_meta"]["index_version"] == INDEX_VERSION == 3
    stories = article_index.stories_alias
    assert sorted(client.indices.get_alias(name=stories)) == [f"{index_name}-v3-stories"]
    story = story_of(client.get(index=stories, id=articles[0].id)["_source"])
    assert story is not None
    assert story.current is not None
    assert story.current.title == "Corrected title"
    assert [v.title for v in story.versions] == ["Corrected title", articles[0].title]
    assert client.indices.exists(index=article_index.index_name), "the old index is kept"


def test_reindex_refuses_an_alias_that_does_not_exist(
    elasticsearch: Elasticsearch, index_name: str
) -> None:
    missing = ArticleIndex(elasticsearch, alias=f"{index_name}-nothing", index_name=index_name)
    with pytest.raises(ValueError, match="does not exist"):
        missing.reindex("anything-v3", copy_documents(elasticsearch, 1.0))


def test_reindexing_derives_the_entity_names_and_keeps_the_articles_as_published(
    article_index: ArticleIndex, index_name: str, shared_dir: Path
) -> None:
    client = article_index.client
    sample = reference_sample(shared_dir)
    _as_indexed_before(client, article_index.alias, [sample])
    article_index.reindex(f"{index_name}-v3", copy_documents(client, 1.0))

    story = story_of(client.get(index=article_index.stories_alias, id=sample.id)["_source"])
    assert story is not None
    assert story.current is not None
    assert story.current.content_sha256 == sample.content_sha256
    assert story.current.title == sample.title
    client.indices.refresh(index=article_index.alias)
    people = client.search(
        index=article_index.alias,
        size=0,
        aggs={"people": {"terms": {"field": "derived.names.PERSON", "size": 50}}},
    )["aggregations"]["people"]["buckets"]
    expected = {e.name for e in sample.entities if e.label == "PERSON"}
    assert {bucket["key"] for bucket in people} == expected
    assert all(bucket["doc_count"] == 1 for bucket in people)


def test_ensure_leaves_an_existing_alias_where_it_is(
    article_index: ArticleIndex, elasticsearch: Elasticsearch, index_name: str
) -> None:
    newer = ArticleIndex(elasticsearch, article_index.alias, f"{index_name}-v3")
    newer.ensure()  # a new indexer on an old installation: reindex moves the alias, not ensure
    assert newer.indices_behind_alias() == [f"{index_name}-v2"]
    # ...but it finds its stories where they are: the same index, under their own alias.
    assert sorted(elasticsearch.indices.get_alias(name=newer.stories_alias)) == [f"{index_name}-v2"]
    assert not elasticsearch.indices.exists(index=f"{index_name}-v3-000001")
