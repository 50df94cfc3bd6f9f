"""The indexer loop on the embedded event log and a scripted index: what is committed, and when."""

import logging
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import pytest

from newswire.embedded.event_log import SqliteEventLog
from newswire.messages import DeadLetter
from newswire_indexer.batch import BatchPolicy, PendingDocument
from newswire_indexer.freshness import RefreshLimiter
from newswire_indexer.metrics import IndexerMetrics
from newswire_indexer.ports import BulkOutcome, Rejection
from newswire_indexer.service import PAUSE_AFTER_S, DeadLetterSink, Indexer

ENRICHED, DLQ, GROUP = "enriched", "dlq", "indexer"
WAIT_S = 10.0


class ScriptedIndex:
    """Takes every document but `refused`; while `open` is clear, a write waits for it."""

    def __init__(self, refused: frozenset[str] = frozenset()) -> None:
        self.refused = refused
        self.open = threading.Event()
        self.open.set()
        self.writes: list[list[str]] = []
        self.made_visible_after: list[int] = []  # for each make_visible: writes done by then

    def write(
        self, documents: Sequence[PendingDocument], wait: Callable[[float], None]
    ) -> BulkOutcome:
        self.writes.append([document.article_id for document in documents])
        assert self.open.wait(WAIT_S), "the test never let the write through"
        rejected = [
            Rejection(document, 400, "mapper_parsing_exception", "word_count is not a number")
            for document in documents
            if document.article_id in self.refused
        ]
        return BulkOutcome(indexed=len(documents) - len(rejected), rejected=rejected)

    def make_visible(self) -> None:
        self.made_visible_after.append(len(self.writes))

    def close(self) -> None:
        pass

    def written(self) -> list[str]:
        return [article_id for write in self.writes for article_id in write]


@pytest.fixture
def event_log(tmp_path: Path) -> SqliteEventLog:
    log = SqliteEventLog(tmp_path / "event-log.sqlite3", partitions=1)
    log.ensure_topics([ENRICHED, DLQ])
    return log


def produce(event_log: SqliteEventLog, messages: list[tuple[bytes | None, bytes]]) -> None:
    producer = event_log.producer(client_id="test-upstream")
    for key, value in messages:
        producer.send(ENRICHED, key, value)
    producer.flush()
    producer.close()


@contextmanager
def running_indexer(
    event_log: SqliteEventLog,
    index: ScriptedIndex,
    max_wait_s: float = 0.05,
    refreshes: RefreshLimiter | None = None,
) -> Iterator[None]:
    consumer = event_log.consumer(GROUP, [ENRICHED], client_id="test-indexer")
    producer = event_log.producer(client_id="test-indexer")
    policy = BatchPolicy(max_docs=5, max_bytes=1_000_000, max_wait_s=max_wait_s)
    sink = DeadLetterSink(producer, DLQ)
    indexer = Indexer(consumer, index, sink, policy, IndexerMetrics(), refreshes=refreshes)
    stop = threading.Event()
    thread = threading.Thread(target=indexer.run, args=(stop,), daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(WAIT_S)
        consumer.close()
        producer.close()
    assert not thread.is_alive(), "the indexer did not stop"


def committed(event_log: SqliteEventLog) -> int | None:
    return event_log.committed(GROUP, ENRICHED, 0)


def eventually(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + WAIT_S
    while not condition():
        assert time.monotonic() < deadline, f"no {what} within {WAIT_S} s"
        time.sleep(0.02)


def dead_letters(event_log: SqliteEventLog) -> list[DeadLetter]:
    reader = event_log.consumer("test-reader", [DLQ], client_id="test-reader")
    try:
        return [DeadLetter.model_validate_json(r.value or b"") for r in reader.poll(0.5, 100)]
    finally:
        reader.close()


def test_a_batch_is_committed_only_after_its_write_and_its_dead_letters_are_acknowledged(
    event_log: SqliteEventLog,
) -> None:
    produce(event_log, [(b"a1", b"{}"), (None, b"{}"), (b"bad", b"{}"), (b"a2", b"{}")])
    index = ScriptedIndex(refused=frozenset({"bad"}))
    index.open.clear()

    with running_indexer(event_log, index):
        eventually(lambda: index.writes != [], "write")
        time.sleep(0.3)  # time enough for a wrong implementation to commit
        assert committed(event_log) is None
        index.open.set()
        eventually(lambda: committed(event_log) == 4, "commit of all four messages")

    assert index.writes == [["a1", "bad", "a2"]]
    letters = {letter.source: letter for letter in dead_letters(event_log)}
    assert {source: letter.error_type for source, letter in letters.items()} == {
        "kafka:enriched/0/1": "missing_key",
        "kafka:enriched/0/2": "mapper_parsing_exception",
    }
    assert letters["kafka:enriched/0/2"].original_key == "bad"


def test_a_batch_of_dead_letters_alone_is_committed(event_log: SqliteEventLog) -> None:
    produce(event_log, [(None, b"{}"), (b"", b"{}")])

    with running_indexer(event_log, ScriptedIndex()):
        eventually(lambda: committed(event_log) == 2, "commit")

    assert len(dead_letters(event_log)) == 2


def test_while_the_index_hangs_consumption_pauses_at_two_batches_then_resumes_by_itself(
    event_log: SqliteEventLog, caplog: pytest.LogCaptureFixture
) -> None:
    ids = [f"a{number:02}" for number in range(23)]
    produce(event_log, [(article_id.encode(), b"{}") for article_id in ids])
    index = ScriptedIndex()
    index.open.clear()

    with (
        caplog.at_level(logging.INFO, logger="newswire_indexer.service"),
        running_indexer(event_log, index),
    ):
        eventually(lambda: index.writes != [], "first write")
        time.sleep(PAUSE_AFTER_S + 0.5)
        # The first batch is being written and the next one waits for it: no other write starts.
        assert index.writes == [ids[:5]]
        assert "consumption paused" in caplog.text
        assert committed(event_log) is None
        index.open.set()
        eventually(lambda: committed(event_log) == len(ids), "commit of every message")

    assert index.written() == ids  # in order, each once
    assert "consumption resumed" in caplog.text


def test_on_a_quiet_stream_a_message_is_written_and_made_visible_at_once(
    event_log: SqliteEventLog,
) -> None:
    index = ScriptedIndex()
    # A batch wait far longer than the test: only the quiet-stream rule can write in time.
    with running_indexer(event_log, index, max_wait_s=60.0, refreshes=RefreshLimiter(0.0)):
        time.sleep(0.2)  # the indexer is polling an empty log
        started = time.monotonic()
        produce(event_log, [(b"a1", b"{}")])
        eventually(lambda: index.made_visible_after == [1], "write and make_visible")
        assert time.monotonic() - started < 2.0
        eventually(lambda: committed(event_log) == 1, "commit")

    assert index.writes == [["a1"]]


def test_under_load_full_batches_are_left_to_the_periodic_refresh(
    event_log: SqliteEventLog,
) -> None:
    ids = [f"a{number:02}" for number in range(12)]
    produce(event_log, [(article_id.encode(), b"{}") for article_id in ids])
    index = ScriptedIndex()

    with running_indexer(event_log, index, refreshes=RefreshLimiter(0.0)):
        eventually(lambda: committed(event_log) == len(ids), "commit of every message")

    assert index.writes == [ids[:5], ids[5:10], ids[10:]]
    assert index.made_visible_after == [3]  # after the last batch only, the one not full


def test_refreshes_are_spaced_by_the_limiter() -> None:
    now = [100.0]
    limiter = RefreshLimiter(0.25, clock=lambda: now[0])
    assert limiter.wait_before_next() == 0.0
    limiter.refreshed()
    now[0] += 0.1
    assert limiter.wait_before_next() == pytest.approx(0.15)
    now[0] += 0.2
    assert limiter.wait_before_next() == 0.0


def test_without_a_limiter_nothing_is_refreshed(event_log: SqliteEventLog) -> None:
    produce(event_log, [(b"a1", b"{}")])
    index = ScriptedIndex()

    with running_indexer(event_log, index):
        eventually(lambda: committed(event_log) == 1, "commit")

    assert index.made_visible_after == []


def test_a_batch_close_behind_another_is_left_to_the_periodic_refresh(
    event_log: SqliteEventLog,
) -> None:
    index = ScriptedIndex()
    # Any two batches within a minute are "a load": only the first (none before it) is refreshed.
    with running_indexer(
        event_log, index, max_wait_s=60.0, refreshes=RefreshLimiter(0.0, quiet_gap_s=60.0)
    ):
        time.sleep(0.2)
        produce(event_log, [(b"a1", b"{}")])
        eventually(lambda: committed(event_log) == 1, "first commit")
        produce(event_log, [(b"a2", b"{}")])
        eventually(lambda: committed(event_log) == 2, "second commit")

    assert index.writes == [["a1"], ["a2"]]
    assert index.made_visible_after == [1]


def test_the_stream_is_quiet_when_no_batch_came_within_the_gap() -> None:
    now = [100.0]
    limiter = RefreshLimiter(0.0, quiet_gap_s=0.3, clock=lambda: now[0])
    assert limiter.batch_is_quiet()  # the first batch
    now[0] += 0.1
    assert not limiter.batch_is_quiet()  # 0.1 s after the one before
    now[0] += 0.2
    assert not limiter.batch_is_quiet()  # 0.2 s after the one before: still a load
    now[0] += 0.5
    assert limiter.batch_is_quiet()
