"""Smoke tests of the Elasticsearch adapter on a real node: mapping, bulk, search, aggregate."""

from pathlib import Path

import pytest
from elasticsearch import Elasticsearch
from elasticsearch.helpers import bulk

pytestmark = pytest.mark.integration

# Core analyzers only: the local node has no analysis-common module (see README).
MAPPING = {
    "dynamic": "strict",
    "properties": {
        "title": {"type": "text", "analyzer": "standard", "fields": {"raw": {"type": "keyword"}}},
        "body": {"type": "text", "analyzer": "standard"},
        "section": {"type": "keyword"},
    },
}


def _bbc_articles(shared_dir: Path, per_section: int) -> list[dict[str, str]]:
    articles = []
    for section_dir in sorted((shared_dir / "corpora" / "bbc").iterdir()):
        if not section_dir.is_dir():
            continue
        for path in sorted(section_dir.glob("*.txt"))[:per_section]:
            title, _, body = path.read_bytes().decode("utf-8", "replace").partition("\n")
            articles.append(
                {
                    "_id": f"{section_dir.name}-{path.stem}",
                    "title": title.strip(),
                    "body": body.strip(),
                    "section": section_dir.name,
                }
            )
    return articles


def test_bulk_indexed_articles_are_searchable_and_aggregatable(
    elasticsearch: Elasticsearch, index_name: str, shared_dir: Path
) -> None:
    articles = _bbc_articles(shared_dir, per_section=20)
    elasticsearch.indices.create(
        index=index_name, mappings=MAPPING, settings={"number_of_replicas": 0}
    )

    indexed, errors = bulk(elasticsearch, articles, index=index_name, refresh="wait_for")

    assert (indexed, errors) == (len(articles), [])
    target = articles[7]
    found = elasticsearch.search(
        index=index_name, query={"match_phrase": {"title": target["title"]}}, size=3
    )
    assert found["hits"]["hits"][0]["_id"] == target["_id"]
    sections = elasticsearch.search(
        index=index_name, size=0, aggs={"sections": {"terms": {"field": "section"}}}
    )
    counts = {b["key"]: b["doc_count"] for b in sections["aggregations"]["sections"]["buckets"]}
    assert counts == {s: 20 for s in ("business", "entertainment", "politics", "sport", "tech")}


def test_reindexing_the_same_ids_overwrites_instead_of_duplicating(
    elasticsearch: Elasticsearch, index_name: str, shared_dir: Path
) -> None:
    articles = _bbc_articles(shared_dir, per_section=5)
    elasticsearch.indices.create(
        index=index_name, mappings=MAPPING, settings={"number_of_replicas": 0}
    )
    bulk(elasticsearch, articles, index=index_name, refresh="wait_for")
    bulk(elasticsearch, articles, index=index_name, refresh="wait_for")

    assert elasticsearch.count(index=index_name)["count"] == len(articles)


def test_a_document_the_strict_mapping_rejects_fails_alone(
    elasticsearch: Elasticsearch, index_name: str
) -> None:
    elasticsearch.indices.create(
        index=index_name, mappings=MAPPING, settings={"number_of_replicas": 0}
    )
    documents = [
        {"_id": "good", "title": "Fine", "body": "text", "section": "tech"},
        {"_id": "bad", "title": "Unknown field", "surprise": "not in the mapping"},
    ]

    indexed, errors = bulk(
        elasticsearch, documents, index=index_name, raise_on_error=False, refresh="wait_for"
    )

    assert indexed == 1
    assert isinstance(errors, list)
    assert [error["index"]["_id"] for error in errors] == ["bad"]
    assert errors[0]["index"]["error"]["type"] == "strict_dynamic_mapping_exception"
    assert elasticsearch.count(index=index_name)["count"] == 1
