"""The bulk writer's retry rules, with a scripted stand-in for Elasticsearch's bulk endpoint.

The real endpoint is exercised in tests/integration/indexer/test_service.py; this covers
answers that a single local node rarely gives on demand (429 and 503).
"""

import json
from typing import Any

import pytest
from elastic_transport import ApiResponseMeta, ConnectionError, HttpHeaders, NodeConfig
from elasticsearch import ApiError, Elasticsearch

from newswire.article_index import index_document_bytes
from newswire_indexer.batch import PendingDocument
from newswire_indexer.bulk import BulkWriter


def _meta(status: int) -> ApiResponseMeta:
    return ApiResponseMeta(
        status=status,
        http_version="1.1",
        headers=HttpHeaders(),
        duration=0.0,
        node=NodeConfig("http", "localhost", 9200),
    )


class ScriptedBulk:
    """Answers each bulk call with the next scripted reply: an exception or per-id statuses."""

    def __init__(self, replies: list[Exception | dict[str, int]]) -> None:
        self.replies = replies
        self.requests: list[list[str]] = []

    def bulk(self, operations: list[Any]) -> dict[str, Any]:
        ids = [op["index"]["_id"] for op in operations[::2]]
        self.requests.append(ids)
        reply = self.replies.pop(0)
        if isinstance(reply, Exception):
            raise reply
        items = []
        for article_id in ids:
            status = reply.get(article_id, 201)
            item: dict[str, Any] = {"_id": article_id, "status": status}
            if status >= 300:
                item["error"] = {"type": f"error_{status}", "reason": f"status {status}"}
            items.append({"index": item})
        return {"errors": any(s >= 300 for s in reply.values()), "items": items}


def _documents(*ids: str) -> list[PendingDocument]:
    return [
        PendingDocument(article_id=i, source=b"{}", topic="t", partition=0, offset=n)
        for n, i in enumerate(ids)
    ]


def _writer(bulk: ScriptedBulk, retries: list[str]) -> BulkWriter:
    client: Elasticsearch = bulk  # type: ignore[assignment]
    return BulkWriter(client, "articles", max_backoff_s=0.01, on_retry=retries.append)


def test_items_refused_with_429_are_resent_alone_and_mapping_errors_are_rejected() -> None:
    bulk = ScriptedBulk([{"b": 429, "c": 400}, {}])
    retries: list[str] = []
    waited: list[float] = []

    outcome = _writer(bulk, retries).write(_documents("a", "b", "c"), wait=waited.append)

    assert bulk.requests == [["a", "b", "c"], ["b"]]
    assert outcome.indexed == 2
    assert [(r.document.article_id, r.status) for r in outcome.rejected] == [("c", 400)]
    assert len(waited) == len(retries) == 1


def test_unreachable_or_overloaded_elasticsearch_is_retried_until_it_answers() -> None:
    bulk = ScriptedBulk(
        [
            ConnectionError("connection refused"),
            ApiError("unavailable", meta=_meta(503), body={}),
            ApiError("too many requests", meta=_meta(429), body={}),
            {},
        ]
    )
    waited: list[float] = []

    outcome = _writer(bulk, []).write(_documents("a", "b"), wait=waited.append)

    assert outcome.indexed == 2
    assert len(bulk.requests) == 4
    assert len(waited) == 3
    assert all(0 <= seconds <= 0.01 for seconds in waited)


def test_a_request_elasticsearch_refuses_for_good_is_not_retried() -> None:
    bulk = ScriptedBulk([ApiError("bad request", meta=_meta(400), body={})])
    with pytest.raises(ApiError) as raised:
        _writer(bulk, []).write(_documents("a"), wait=lambda _: None)
    assert raised.value.status_code == 400
    assert len(bulk.requests) == 1


def test_compact_json_keeps_its_bytes_and_gains_the_entity_names_per_label() -> None:
    compact = (
        b'{"id":"a","entities":[{"label":"PERSON","name":"Ann Lee"},'
        b'{"label":"GPE","name":"Iraq"},{"label":"PERSON","name":"Ann Lee"}]}'
    )
    sent = index_document_bytes(compact)
    assert sent.startswith(compact[:-1] + b",")
    assert json.loads(sent)["derived"] == {"names": {"PERSON": ["Ann Lee"], "GPE": ["Iraq"]}}


def test_pretty_printed_json_is_sent_on_one_line_and_not_json_as_it_is() -> None:
    sent = index_document_bytes(b'{\n  "id": "a",\n  "title": "T"\n}')
    assert json.loads(sent) == {"id": "a", "title": "T", "derived": {"names": {}}}
    assert b"\n" not in sent
    assert index_document_bytes(b"not json\nat all") == b"not json at all"
    assert index_document_bytes(b"[1, 2]") == b"[1,2]"  # Elasticsearch refuses it: a dead letter
