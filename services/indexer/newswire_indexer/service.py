"""The indexer's loop: consume `articles.enriched`, write batches to the index, then commit.

The log is Kafka or the embedded one, the index Elasticsearch or the embedded one: the loop is
the same on all (see the ports in `newswire.event_log` and `newswire_indexer.ports`).

An offset is committed only after every message up to it is durably handled: indexed (bulk
acknowledged) or dead-lettered (DLQ send acknowledged); each batch has its checkpoint
(`newswire.checkpoint`) for that. One batch is written in a background thread while the next one
is consumed, so Kafka fetching overlaps Elasticsearch indexing; batches are completed and
committed strictly in order, and at most two are held in memory.

A batch goes as soon as the log has nothing more to give and no write is in flight (a quiet
stream: one file is written at once, not after a wait), or when it is full or its first document
has waited `max_wait_s` (under load: batches fill while the previous one is written). After a
batch that was not full, on a quiet stream (`freshness`: no batch just before it), the writer
makes what it wrote searchable at once (Elasticsearch: a refresh, at most one per
`refresh_min_interval_s`; the embedded index: its commit), so a reader does not wait for the
periodic refresh; batches in quick succession, under load, leave that to the periodic one.

While Elasticsearch fails, the write retries with backoff and the loop waits for it with every
partition paused: poll() keeps the consumer in its group without fetching more (bounded memory,
no busy loop), and consumption resumes by itself when the batch finally goes through.
"""

import logging
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass

from newswire.checkpoint import Checkpoint
from newswire.event_log import EventConsumer, EventLogError, EventProducer, Record
from newswire.messages import DeadLetter
from newswire_indexer.batch import Batch, BatchPolicy, PendingDocument
from newswire_indexer.freshness import RefreshLimiter
from newswire_indexer.metrics import IndexerMetrics
from newswire_indexer.ports import BulkOutcome, DocumentWriter

log = logging.getLogger(__name__)

# How long to wait for a write in flight before pausing the consumer and polling while waiting.
PAUSE_AFTER_S = 1.0
# How often the loop looks whether the write in flight is done, when nothing else is due.
IN_FLIGHT_CHECK_S = 0.05
# How long one poll of an empty batch may wait: a stop is seen within it. Records wake it earlier.
IDLE_POLL_S = 0.5


@dataclass(frozen=True)
class DeadLetterSink:
    """The dead-letter topic: letters are sent at once, and flushed before each commit."""

    producer: EventProducer
    topic: str

    def send(self, key: bytes | None, letter: DeadLetter) -> None:
        self.producer.send(self.topic, key, letter.model_dump_json().encode())

    def flush(self) -> None:
        self.producer.flush()


@dataclass(frozen=True)
class _InFlight:
    batch: Batch
    checkpoint: Checkpoint
    outcome: "Future[BulkOutcome]"
    started: float


class Indexer:
    def __init__(
        self,
        consumer: EventConsumer,
        writer: DocumentWriter,
        dead_letters: DeadLetterSink,
        policy: BatchPolicy,
        metrics: IndexerMetrics,
        *,
        refreshes: RefreshLimiter | None = None,
    ) -> None:
        self._consumer = consumer
        self._writer = writer
        self._dead_letters = dead_letters
        self._policy = policy
        self._metrics = metrics
        self._refreshes = refreshes  # None: visibility is left to the index's periodic refresh
        self._in_flight: _InFlight | None = None

    def run(self, stop: threading.Event) -> None:
        """Index until `stop` is set, then write what is pending, commit it and return."""
        batch, checkpoint = self._open_batch()
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="bulk") as executor:
            while not stop.is_set():
                due_in = batch.seconds_until_due()
                wait_s = due_in if due_in is not None else IDLE_POLL_S
                if self._in_flight is not None:  # come back soon to commit it when it is done
                    wait_s = min(wait_s, IN_FLIGHT_CHECK_S)
                asked = self._policy.max_docs - len(batch)
                records = self._consumer.poll(wait_s, asked)
                for record in records:
                    self._accept(record, batch, checkpoint)
                quiet = len(records) < asked and self._writer_idle()
                if batch.is_due() or (quiet and not batch.is_empty()):
                    self._hand_over(batch, checkpoint, executor)
                    batch, checkpoint = self._open_batch()
                elif self._in_flight is not None and self._in_flight.outcome.done():
                    self._complete_in_flight()
            self._hand_over(batch, checkpoint, executor)
            self._complete_in_flight()

    def _open_batch(self) -> tuple[Batch, Checkpoint]:
        """A new batch, and its checkpoint: dead letters flushed, then the offsets committed."""
        return Batch(self._policy), Checkpoint(self._consumer, sinks=[self._dead_letters])

    def _accept(self, record: Record, batch: Batch, checkpoint: Checkpoint) -> None:
        checkpoint.handled([record])
        document = PendingDocument.from_record(record)
        if document is None:
            reason = "message has no key (story id)"
            self._dead_letter(record, "missing_key", reason, original=record.value or b"")
            batch.skip()
            return
        batch.add(document)

    def _hand_over(
        self, batch: Batch, checkpoint: Checkpoint, executor: ThreadPoolExecutor
    ) -> None:
        """Complete the batch in flight, then start writing `batch` in the background."""
        self._complete_in_flight()
        if batch.is_empty():
            return
        visible_now = (
            self._refreshes is not None and self._refreshes.batch_is_quiet() and not batch.is_full()
        )
        outcome = executor.submit(self._write, batch.documents, visible_now)
        self._in_flight = _InFlight(batch, checkpoint, outcome, time.monotonic())

    def _writer_idle(self) -> bool:
        return self._in_flight is None or self._in_flight.outcome.done()

    def _write(self, documents: list[PendingDocument], visible_now: bool) -> BulkOutcome:
        """The write task: the batch, then (a batch that was not full) a refresh when the
        limiter allows one; the batch is committed after both, so the rate limit paces batches
        on a quiet stream the way a full batch paces them under load."""
        outcome = self._writer.write(documents, time.sleep)
        if visible_now and self._refreshes is not None:
            time.sleep(self._refreshes.wait_before_next())
            self._writer.make_visible()
            self._refreshes.refreshed()
            self._metrics.refreshes.inc()
        return outcome

    def _complete_in_flight(self) -> None:
        if self._in_flight is None:
            return
        in_flight, self._in_flight = self._in_flight, None
        outcome = self._await(in_flight.outcome)
        for rejection in outcome.rejected:
            reason = f"the search index refused the document: {rejection.reason}"
            self._dead_letter(rejection.document, rejection.error_type, reason)
        in_flight.checkpoint.commit()  # every dead letter acknowledged before the commit
        elapsed = time.monotonic() - in_flight.started
        self._metrics.documents_indexed.inc(outcome.indexed)
        self._metrics.superseded.inc(outcome.superseded)
        self._metrics.batches.inc()
        self._metrics.batch_seconds.observe(elapsed)
        self._update_lag()
        log.info(
            "indexed %d (%d late versions kept in their story's history only), dead-lettered %d "
            "in %.3fs",
            outcome.indexed,
            outcome.superseded,
            len(outcome.rejected),
            elapsed,
        )

    def _await(self, outcome: "Future[BulkOutcome]") -> BulkOutcome:
        """The write's outcome; a long wait is spent in poll() with every partition paused.

        poll() keeps group membership (max.poll.interval.ms) while fetching nothing. A partition
        assigned during the wait is not paused and may return records: seek back to them so they
        are fetched again once writing resumes.
        """
        try:
            return outcome.result(timeout=PAUSE_AFTER_S)
        except FutureTimeout:
            pass
        log.warning("Elasticsearch is not taking the batch; consumption paused until it does")
        while not outcome.done():
            self._consumer.pause_all()
            returned: dict[tuple[str, int], int] = {}
            for record in self._consumer.poll(0.5, self._policy.max_docs):
                where = (record.topic, record.partition)
                returned[where] = min(returned.get(where, record.offset), record.offset)
            for (topic, partition), offset in returned.items():
                self._consumer.seek(topic, partition, offset)
        self._consumer.resume_all()
        log.info("Elasticsearch took the batch; consumption resumed")
        return outcome.result()

    def _dead_letter(
        self, record: Record, error_type: str, reason: str, original: bytes | None = None
    ) -> None:
        letter = DeadLetter.for_record("indexer", record, error_type, reason, original=original)
        self._dead_letters.send(record.key, letter)
        self._metrics.dead_letters.labels(error_type=error_type).inc()
        log.warning(
            "dead-lettered %s/%d/%d: %s", record.topic, record.partition, record.offset, reason
        )

    def _update_lag(self) -> None:
        # Only a metric: a log that can't tell (a rebalance, a slow broker) must not stop indexing.
        try:
            self._metrics.consumer_lag.set(self._consumer.lag())
        except EventLogError as error:
            log.debug("consumer lag unknown for now: %s", error)
