"""The indexer's loop: consume `articles.enriched`, bulk-write to Elasticsearch, then commit.

An offset is committed only after every message up to it is durably handled: indexed (bulk
acknowledged) or dead-lettered (DLQ send acknowledged). While Elasticsearch fails, the loop stays
in its batch, retrying with backoff; between attempts the consumer is paused, so it keeps its
group membership without fetching more (bounded memory, no busy loop).
"""

import logging
import threading
import time
from dataclasses import dataclass

from kafka import KafkaConsumer, KafkaProducer
from kafka.consumer.fetcher import ConsumerRecord
from kafka.errors import CommitFailedError
from kafka.structs import OffsetAndMetadata, TopicPartition

from newswire.messages import DeadLetter
from newswire_indexer.batch import Batch, BatchPolicy, PendingDocument
from newswire_indexer.bulk import BulkWriter
from newswire_indexer.metrics import IndexerMetrics

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DeadLetterSink:
    producer: KafkaProducer
    topic: str
    service_version: str

    def send(self, record: ConsumerRecord, error_type: str, reason: str) -> None:
        letter = DeadLetter(
            stage="indexer",
            reason=reason,
            error_type=error_type,
            service_version=self.service_version,
            source=f"kafka:{record.topic}/{record.partition}/{record.offset}",
            original_key=record.key.decode("utf-8", "replace") if record.key else None,
            original_base64=DeadLetter.encode_original(record.value),
        )
        self.producer.send(self.topic, key=record.key, value=letter.model_dump_json().encode())


class Indexer:
    def __init__(
        self,
        consumer: KafkaConsumer,
        writer: BulkWriter,
        dead_letters: DeadLetterSink,
        policy: BatchPolicy,
        metrics: IndexerMetrics,
    ) -> None:
        self._consumer = consumer
        self._writer = writer
        self._dead_letters = dead_letters
        self._policy = policy
        self._metrics = metrics
        self._records: dict[tuple[str, int, int], ConsumerRecord] = {}

    def run(self, stop: threading.Event) -> None:
        """Index until `stop` is set, then flush what is pending and commit it."""
        batch = Batch(self._policy)
        while not stop.is_set():
            due_in = batch.seconds_until_due()
            polled = self._consumer.poll(
                timeout_ms=int(1000 * (due_in if due_in is not None else self._policy.max_wait_s)),
                max_records=self._policy.max_docs - len(batch),
            )
            for records in polled.values():
                for record in records:
                    self._accept(record, batch)
            if batch.is_due():
                self._flush(batch)
        self._flush(batch)

    def _accept(self, record: ConsumerRecord, batch: Batch) -> None:
        if not record.key or record.value is None:
            self._dead_letter(
                record, "missing_key_or_value", "message has no key (article id) or no value"
            )
            batch.skip(record.topic, record.partition, record.offset)
            return
        self._records[(record.topic, record.partition, record.offset)] = record
        batch.add(
            PendingDocument(
                article_id=record.key.decode("utf-8", "replace"),
                source=record.value,
                topic=record.topic,
                partition=record.partition,
                offset=record.offset,
            )
        )

    def _flush(self, batch: Batch) -> None:
        if batch.is_empty():
            return
        started = time.monotonic()
        outcome = self._writer.write(batch.documents, wait=self._wait_paused)
        for rejection in outcome.rejected:
            document = rejection.document
            record = self._records[(document.topic, document.partition, document.offset)]
            self._dead_letter(
                record,
                rejection.error_type,
                f"Elasticsearch refused the document: {rejection.reason}",
            )
        self._dead_letters.producer.flush()  # dead letters acknowledged before the commit
        self._commit(batch.committable_offsets())
        self._metrics.documents_indexed.inc(outcome.indexed)
        self._metrics.batches.inc()
        self._metrics.batch_seconds.observe(time.monotonic() - started)
        self._update_lag()
        log.info(
            "indexed %d, dead-lettered %d in %.3fs",
            outcome.indexed,
            len(outcome.rejected),
            time.monotonic() - started,
        )
        batch.clear()
        self._records.clear()

    def _dead_letter(self, record: ConsumerRecord, error_type: str, reason: str) -> None:
        self._dead_letters.send(record, error_type, reason)
        self._metrics.dead_letters.labels(error_type=error_type).inc()
        log.warning(
            "dead-lettered %s/%d/%d: %s", record.topic, record.partition, record.offset, reason
        )

    def _commit(self, offsets: dict[tuple[str, int], int]) -> None:
        try:
            self._consumer.commit(
                {
                    TopicPartition(topic, partition): OffsetAndMetadata(offset, "", -1)
                    for (topic, partition), offset in offsets.items()
                }
            )
        except CommitFailedError as error:
            # The partitions moved to another member during a long outage; it re-reads from the
            # last commit, and `_id` = article id makes that replay harmless.
            log.warning("offset commit refused after a rebalance: %s", error)

    def _wait_paused(self, seconds: float) -> None:
        """Spend a backoff interval in poll() with every partition paused.

        poll() keeps the consumer in its group (max.poll.interval.ms) while fetching nothing. A
        partition assigned during the wait is not paused and may return records: seek back to
        them so they are fetched again after the batch is written.
        """
        self._metrics.retries.inc()
        deadline = time.monotonic() + seconds
        while (remaining := deadline - time.monotonic()) > 0:
            self._consumer.pause(*self._consumer.assignment())
            returned = self._consumer.poll(timeout_ms=int(remaining * 1000) + 1)
            for partition, records in returned.items():
                self._consumer.seek(partition, min(record.offset for record in records))
        self._consumer.resume(*self._consumer.paused())

    def _update_lag(self) -> None:
        lag = 0
        for partition in self._consumer.assignment():
            highwater = self._consumer.highwater(partition)
            if highwater is not None:
                lag += max(0, highwater - self._consumer.position(partition))
        self._metrics.consumer_lag.set(lag)
