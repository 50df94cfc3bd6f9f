"""Writing a batch to Elasticsearch with the bulk API, retrying what is transient.

`_id` is the article id, so writing the same article again overwrites it: replays after a crash
or a rebalance never duplicate. The documents' JSON goes to Elasticsearch as consumed, with the
index-only fields derived from it appended (`newswire.article_index.index_document_bytes`: the
entity names per label the search facets count); it is parsed to derive them, not serialised
again.

What is transient — 429, 5xx, timeouts, connection errors, for the whole request or single
items — is retried without limit, with exponential backoff and jitter. What is not — a document
the mapping rejects — is returned as a rejection for the dead-letter topic.
"""

import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from elastic_transport import ConnectionError as TransportConnectionError
from elastic_transport import ConnectionTimeout
from elasticsearch import ApiError, Elasticsearch

from newswire.article_index import index_document_bytes
from newswire.retries import FailedAttempt, retrying_with_backoff
from newswire_indexer.batch import PendingDocument
from newswire_indexer.ports import BulkOutcome, Rejection

log = logging.getLogger(__name__)

TRANSIENT_STATUSES = frozenset({429, 500, 502, 503, 504})


class TransientBulkError(Exception):
    """Elasticsearch could not take (part of) the batch now; trying again later may succeed."""


@dataclass(frozen=True)
class _Attempt:
    indexed: int
    rejected: list[Rejection]
    retryable: list[PendingDocument]


class BulkWriter:
    def __init__(
        self,
        client: Elasticsearch,
        index: str,
        max_backoff_s: float,
        on_retry: Callable[[str], None] = lambda reason: None,
    ) -> None:
        self._client = client
        self._index = index
        self._max_backoff_s = max_backoff_s
        self._on_retry = on_retry

    def write(
        self, documents: Sequence[PendingDocument], wait: Callable[[float], None]
    ) -> BulkOutcome:
        """Index `documents`; `wait(seconds)` is how to pass the time between retries."""
        if not documents:
            return BulkOutcome(indexed=0, rejected=[])
        remaining = list(documents)
        indexed = 0
        rejected: list[Rejection] = []
        retrying = retrying_with_backoff(
            TransientBulkError,
            multiplier=0.2,
            max_backoff_s=self._max_backoff_s,
            on_retry=self._log_retry,
            sleep=wait,
        )
        for attempt in retrying:
            with attempt:
                result = self._send(remaining)
                indexed += result.indexed
                rejected.extend(result.rejected)
                remaining = result.retryable
                if remaining:
                    raise TransientBulkError(f"{len(remaining)} documents were refused for now")
        return BulkOutcome(indexed=indexed, rejected=rejected)

    def close(self) -> None:
        self._client.close()

    def _log_retry(self, attempt: FailedAttempt) -> None:
        reason = str(attempt.error)
        log.warning(
            "bulk attempt %d failed (%s); retrying in %.1fs", attempt.number, reason, attempt.wait_s
        )
        self._on_retry(reason)

    def _send(self, documents: list[PendingDocument]) -> _Attempt:
        operations: list[dict[str, object] | bytes] = []
        for document in documents:
            operations.append({"index": {"_index": self._index, "_id": document.article_id}})
            operations.append(index_document_bytes(document.source))
        try:
            response = self._client.bulk(operations=operations)  # type: ignore[arg-type]
        except (TransportConnectionError, ConnectionTimeout) as error:
            raise TransientBulkError(f"Elasticsearch unreachable: {error}") from error
        except ApiError as error:
            if error.status_code in TRANSIENT_STATUSES:
                raise TransientBulkError(f"bulk request refused: {error}") from error
            raise
        if not response["errors"]:
            return _Attempt(indexed=len(documents), rejected=[], retryable=[])
        indexed, rejected, retryable = 0, [], []
        for document, item in zip(documents, response["items"], strict=True):
            result = item["index"]
            status = result["status"]
            if status < 300:
                indexed += 1
            elif status in TRANSIENT_STATUSES:
                retryable.append(document)
            else:
                item_error = result.get("error", {})
                rejected.append(
                    Rejection(
                        document=document,
                        status=status,
                        error_type=item_error.get("type", "unknown"),
                        reason=item_error.get("reason", json.dumps(item_error)),
                    )
                )
        return _Attempt(indexed=indexed, rejected=rejected, retryable=retryable)
