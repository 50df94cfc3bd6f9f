"""The Elasticsearch writer's retry and compare-and-set rules, with a scripted stand-in for the
`mget` and `bulk` endpoints.

The real endpoints are exercised in tests/integration/indexer/; this covers answers that a
single local node rarely gives on demand (429, 503, a conflicting writer).
"""

import json
from typing import Any

import pytest
from elastic_transport import ApiResponseMeta, ConnectionError, HttpHeaders, NodeConfig
from elasticsearch import ApiError, Elasticsearch

from benchmarks.corpus import SHARED_DIR, enriched_bbc_articles
from newswire.article_index import IndexLayout, story_document
from newswire.enriched import EnrichedArticle, Story, story_id
from newswire_indexer.batch import PendingDocument
from newswire_indexer.bulk import BulkWriter, _parts
from newswire_indexer.stories import by_story, read


def _meta(status: int) -> ApiResponseMeta:
    return ApiResponseMeta(
        status=status,
        http_version="1.1",
        headers=HttpHeaders(),
        duration=0.0,
        node=NodeConfig("http", "localhost", 9200),
    )


class ScriptedElasticsearch:
    """Holds documents like an index; each story write (a bulk request of stories) is answered
    by the next scripted reply: an exception, or statuses by `_id` (default: applied, 201)."""

    def __init__(self, replies: list[Exception | dict[str, int]]) -> None:
        self.replies = replies
        self.documents: dict[str, tuple[dict[str, Any], int]] = {}
        self.story_writes: list[list[str]] = []
        # Documents another writer puts in after this writer read, before its next story write.
        self.rival_writes: list[tuple[str, dict[str, Any]]] = []

    def mget(self, index: str, ids: list[str], realtime: bool) -> dict[str, Any]:
        docs = []
        for document_id in ids:
            if document_id in self.documents:
                source, seq_no = self.documents[document_id]
                docs.append(
                    {
                        "_id": document_id,
                        "found": True,
                        "_source": source,
                        "_seq_no": seq_no,
                        "_primary_term": 1,
                    }
                )
            else:
                docs.append({"_id": document_id, "found": False})
        return {"docs": docs}

    def bulk(self, operations: list[Any]) -> dict[str, Any]:
        actions: list[tuple[dict[str, Any], dict[str, Any]]] = []
        rest = iter(operations)
        for action in rest:  # a delete has no source; the writer sends sources as JSON
            source = {} if "delete" in action else next(rest)
            actions.append((action, json.loads(source) if isinstance(source, bytes) else source))
        reply: dict[str, int] = {}
        if any("story" in source for _, source in actions):
            for document_id, source in self.rival_writes:
                self._put(document_id, source)
            self.rival_writes = []
            self.story_writes.append(
                [next(iter(a.values()))["_id"] for a, s in actions if "story" in s]
            )
            scripted = self.replies.pop(0)
            if isinstance(scripted, Exception):
                raise scripted
            reply = scripted
        items = []
        for action, source in actions:
            op, meta = next(iter(action.items()))
            document_id = meta["_id"]
            status = reply.get(document_id, 201)
            conflict = "if_seq_no" in meta and self.documents[document_id][1] != meta["if_seq_no"]
            if status < 300 and conflict:
                status = 409
            if status < 300 and op == "delete":
                self.documents.pop(document_id, None)
            elif status < 300:
                self._put(document_id, source)
            item: dict[str, Any] = {"_index": meta["_index"], "_id": document_id, "status": status}
            if status >= 300:
                item["error"] = {"type": f"error_{status}", "reason": f"status {status}"}
            items.append({op: item})
        return {"errors": any(i[next(iter(i))]["status"] >= 300 for i in items), "items": items}

    def _put(self, document_id: str, source: dict[str, Any]) -> None:
        _, seq_no = self.documents.get(document_id, ({}, 0))
        self.documents[document_id] = (source, seq_no + 1)


def _articles(count: int) -> list[EnrichedArticle]:
    return list(enriched_bbc_articles(SHARED_DIR, limit=count))


def _documents(articles: list[EnrichedArticle]) -> list[PendingDocument]:
    return [
        PendingDocument(a.id, a.model_dump_json().encode(), "t", 0, offset)
        for offset, a in enumerate(articles)
    ]


def _writer(index: ScriptedElasticsearch, retries: list[str]) -> BulkWriter:
    client: Elasticsearch = index  # type: ignore[assignment]
    # One id space stands for both indices: stories, claims and listings have distinct ids.
    layout = IndexLayout(stories_index="articles-stories", write_index="articles-000001")
    return BulkWriter(
        client, "articles", max_backoff_s=0.01, on_retry=retries.append, layout=layout
    )


def _current_title(index: ScriptedElasticsearch, story_id: str) -> str | None:
    story = Story.model_validate(index.documents[story_id][0]["story"])
    return story.current.title if story.current else None


def test_stories_refused_with_429_are_written_again_and_mapping_errors_are_rejected() -> None:
    a, b, c = _articles(3)
    index = ScriptedElasticsearch([{b.id: 429, c.id: 400}, {c.id: 400}])
    retries: list[str] = []
    waited: list[float] = []

    outcome = _writer(index, retries).write(_documents([a, b, c]), wait=waited.append)

    assert index.story_writes == [[a.id, b.id, c.id], [b.id, c.id]]
    assert outcome.indexed == 2
    assert [(r.document.article_id, r.status) for r in outcome.rejected] == [(c.id, 400)]
    assert len(waited) == len(retries) == 1


def test_unreachable_or_overloaded_elasticsearch_is_retried_until_it_answers() -> None:
    index = ScriptedElasticsearch(
        [
            ConnectionError("connection refused"),
            ApiError("unavailable", meta=_meta(503), body={}),
            ApiError("too many requests", meta=_meta(429), body={}),
            {},
        ]
    )
    waited: list[float] = []

    outcome = _writer(index, []).write(_documents(_articles(2)), wait=waited.append)

    assert outcome.indexed == 2
    assert len(index.story_writes) == 4
    assert len(waited) == 3
    assert all(0 <= seconds <= 0.01 for seconds in waited)


def test_a_request_elasticsearch_refuses_for_good_is_not_retried() -> None:
    index = ScriptedElasticsearch([ApiError("bad request", meta=_meta(400), body={})])
    with pytest.raises(ApiError) as raised:
        _writer(index, []).write(_documents(_articles(1)), wait=lambda _: None)
    assert raised.value.status_code == 400
    assert len(index.story_writes) == 1


def test_a_story_another_writer_changed_meanwhile_is_read_again_and_a_late_version_loses() -> None:
    [article] = _articles(1)
    v1, v2, v3 = (
        EnrichedArticle.model_validate({**article.model_dump(), "version": n, "title": f"v{n}"})
        for n in (1, 2, 3)
    )
    index = ScriptedElasticsearch([{}, {}, {}])
    writer = _writer(index, [])
    writer.write(_documents([v1]), wait=lambda _: None)
    held = Story.model_validate(index.documents[v1.id][0]["story"])
    index.rival_writes = [(v1.id, story_document(held.with_version(v3)))]

    outcome = writer.write(_documents([v2]), wait=lambda _: None)

    assert outcome.rejected == []
    assert len(index.story_writes) == 3  # v1; v2 refused (409); v2 folded into v3's story
    assert _current_title(index, v1.id) == "v3"
    versions = Story.model_validate(index.documents[v1.id][0]["story"]).versions
    assert [v.version for v in versions] == [3, 2, 1]


def test_a_batch_is_split_in_parts_keeping_exact_duplicates_together() -> None:
    articles = _articles(40)
    key = "guid:a-copy-from-another-source"
    duplicate = articles[0].model_copy(update={"id": story_id(key), "story_key": key})
    incoming, unreadable = read(_documents([*articles, duplicate]))
    assert not unreadable
    parts = _parts(by_story(incoming), 2)

    assert len(parts) == 2
    assert sorted(i for part in parts for i in part) == sorted(m.story_id for m in incoming)
    together = [part for part in parts if articles[0].id in part]
    assert duplicate.id in together[0]
    assert _parts(by_story(incoming[:3]), 2) == [by_story(incoming[:3])]  # too few to split
