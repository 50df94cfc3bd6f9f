"""Bulk batches close on count, bytes or time; consumed messages become documents to index."""

import pytest

from newswire.embedded.event_log import LogRecord
from newswire_indexer.batch import Batch, BatchPolicy, PendingDocument


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def _document(offset: int, partition: int = 0, size: int = 10) -> PendingDocument:
    return PendingDocument(
        article_id=f"a{offset}", source=b"x" * size, topic="t", partition=partition, offset=offset
    )


def test_a_batch_is_due_when_it_holds_max_docs() -> None:
    batch = Batch(BatchPolicy(max_docs=3, max_bytes=10_000, max_wait_s=60))
    for offset in range(2):
        batch.add(_document(offset))
    assert not batch.is_due()
    batch.add(_document(2))
    assert batch.is_due()


def test_a_batch_is_due_when_its_documents_reach_max_bytes() -> None:
    batch = Batch(BatchPolicy(max_docs=100, max_bytes=25, max_wait_s=60))
    batch.add(_document(0, size=20))
    assert not batch.is_due()
    batch.add(_document(1, size=5))
    assert batch.is_due()


def test_a_batch_is_due_when_its_first_document_waited_max_wait() -> None:
    clock = FakeClock()
    batch = Batch(BatchPolicy(max_docs=100, max_bytes=10_000, max_wait_s=1.0), clock=clock)
    assert batch.seconds_until_due() is None
    batch.add(_document(0))
    clock.now += 0.4
    due_in = batch.seconds_until_due()
    assert due_in is not None
    assert abs(due_in - 0.6) < 1e-9
    assert not batch.is_due()
    clock.now += 0.6
    assert batch.is_due()


def test_a_cleared_batch_is_empty_again() -> None:
    batch = Batch(BatchPolicy(max_docs=100, max_bytes=10_000, max_wait_s=1))
    batch.add(_document(5, partition=0))
    batch.skip()
    batch.clear()
    assert batch.is_empty()
    assert (len(batch), batch.size_bytes) == (0, 0)


def test_a_batch_with_only_skipped_messages_is_not_empty() -> None:
    batch = Batch(BatchPolicy(max_docs=100, max_bytes=10_000, max_wait_s=1))
    batch.skip()
    assert not batch.is_empty()
    assert len(batch) == 0


def test_a_message_becomes_a_document_whose_id_is_its_key() -> None:
    document = PendingDocument.from_record(LogRecord("enriched", 2, 41, b"a1", b'{"id":"a1"}'))
    assert document == PendingDocument("a1", b'{"id":"a1"}', "enriched", 2, 41)


@pytest.mark.parametrize("key", [None, b""])
def test_a_message_without_a_key_is_no_document(key: bytes | None) -> None:
    assert PendingDocument.from_record(LogRecord("enriched", 0, 0, key, b"{}")) is None


def test_a_message_with_a_key_and_no_value_is_a_tombstone_for_its_story() -> None:
    document = PendingDocument.from_record(LogRecord("enriched", 0, 7, b"s1", None))
    assert document is not None
    assert document.is_tombstone
    assert (document.article_id, document.size_bytes) == ("s1", 2)
