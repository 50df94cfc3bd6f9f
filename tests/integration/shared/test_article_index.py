"""The versioned article index behind its alias, on a real Elasticsearch node."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from elasticsearch import Elasticsearch
from elasticsearch.helpers import bulk

from benchmarks.corpus import enriched_bbc_articles
from newswire.article_index import INDEX_VERSION, ArticleIndex
from newswire_ops.cli import main
from tests.support.search_corpus import reference_sample

pytestmark = pytest.mark.integration


@pytest.fixture
def article_index(elasticsearch: Elasticsearch, index_name: str) -> Iterator[ArticleIndex]:
    """An index made before version 2: the v1 mapping, as existing installations have it."""
    index = ArticleIndex(
        elasticsearch,
        alias=f"{index_name}-alias",
        index_name=f"{index_name}-v1",
        mapping_file="articles-v1.json",
    )
    yield index
    elasticsearch.options(ignore_status=404).indices.delete(index=f"{index_name}-v*")


def test_ensure_creates_the_index_and_alias_once(article_index: ArticleIndex) -> None:
    article_index.ensure()
    article_index.ensure()
    assert article_index.indices_behind_alias() == [article_index.index_name]
    mapping = article_index.client.indices.get_mapping(index=article_index.alias)
    assert mapping[article_index.index_name]["mappings"]["dynamic"] == "false"


def test_reindex_copies_every_article_and_switches_the_alias_atomically(
    article_index: ArticleIndex,
    index_name: str,
    elasticsearch_url: str,
    shared_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    client = article_index.client
    article_index.ensure()
    articles = list(enriched_bbc_articles(shared_dir, limit=150))
    bulk(
        client,
        (
            {"_index": article_index.alias, "_id": a.id, "_source": a.model_dump(mode="json")}
            for a in articles
        ),
        refresh="wait_for",
    )
    monkeypatch.setenv("ELASTICSEARCH_URL", elasticsearch_url)
    monkeypatch.setenv("NEWSWIRE_INDEX_ALIAS", article_index.alias)
    monkeypatch.setenv("NEWSWIRE_INDEX_NAME", article_index.index_name)

    assert main(["reindex", "--to", f"{index_name}-v2"]) == 0

    assert f"now points at {index_name}-v2 (150 documents)" in capsys.readouterr().out
    assert article_index.indices_behind_alias() == [f"{index_name}-v2"]
    assert client.count(index=article_index.alias)["count"] == 150
    assert client.indices.exists(index=article_index.index_name), "the old index is kept"
    client.index(index=article_index.alias, id="new", document=articles[0].model_dump(mode="json"))
    assert client.get(index=f"{index_name}-v2", id="new")["found"]


def test_reindex_refuses_an_alias_that_does_not_exist(article_index: ArticleIndex) -> None:
    with pytest.raises(ValueError, match="does not exist"):
        article_index.reindex("anything-v2")


def test_reindexing_a_v1_index_into_v2_derives_the_entity_names_and_keeps_sources(
    article_index: ArticleIndex, index_name: str, shared_dir: Path
) -> None:
    client = article_index.client
    article_index.ensure()
    sample = reference_sample(shared_dir)
    client.index(
        index=article_index.alias,
        id=sample.id,
        document=sample.model_dump(mode="json"),
        refresh="wait_for",
    )
    article_index.reindex(f"{index_name}-v2")

    mapping = client.indices.get_mapping(index=article_index.alias)[f"{index_name}-v2"]
    assert mapping["mappings"]["_meta"]["index_version"] == INDEX_VERSION
    stored = client.get(index=article_index.alias, id=sample.id)["_source"]
    assert stored == sample.model_dump(mode="json")  # derived fields live only in the index
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
    article_index.ensure()
    newer = ArticleIndex(elasticsearch, article_index.alias, f"{index_name}-v2")
    newer.ensure()  # a new indexer on an old installation: reindex moves the alias, not ensure
    assert newer.indices_behind_alias() == [f"{index_name}-v1"]
    assert not elasticsearch.indices.exists(index=f"{index_name}-v2")
