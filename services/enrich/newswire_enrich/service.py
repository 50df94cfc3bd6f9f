"""The enrich loop: poll `articles.raw`, enrich the batch, produce, and only then commit.

Every message of a batch ends up acknowledged on `articles.enriched` or `articles.dlq` before its
offset is committed (at-least-once, see `newswire.checkpoint`), on Kafka and on the embedded log
alike. If a send fails the process stops without committing, and the batch is enriched again on
restart; the story id as key and the version order make that replay harmless.

No message can stall the group: documents are parsed under a time and memory budget (the
enricher's reader, `parser_process`), the consumer is kept in its group while a batch is slow
(heartbeats, and `EventConsumer.keep_alive` when a batch nears the max poll interval), and a
message in flight when its
replica stopped is tried again on its own, then set aside after `max_attempts` starts
(`newswire.delivery_attempts`): dead-lettered as `enrich_crashed`, so its file lands in `failed/`.

A kill (a version whose `pub_status` is `canceled`) is published, then followed by a tombstone
for its story (the key, no value): readers of the compacted topic that know nothing of
`pub_status` delete the story too. With `enriched_v1_topic` set, each article also goes there as
a schema-version-1 message (keyed by its content), for consumers still on version 1.
"""

import logging
import threading
import time
from collections.abc import Sequence
from concurrent.futures import Future

from pydantic import ValidationError

from newswire.checkpoint import Checkpoint
from newswire.delivery_attempts import DeliveryAttempts
from newswire.enriched import EnrichedArticle, EnrichedArticleV1
from newswire.event_log import EventConsumer, EventProducer, Record
from newswire.messages import DeadLetter, RawArticle
from newswire_enrich.enrichment import ArticleEnricher, Rejection
from newswire_enrich.metrics import EnrichMetrics

log = logging.getLogger(__name__)

CRASHED = (
    "enrich stopped {} times while handling this message (a crash, the system running out of "
    "memory, or a kill): it was set aside so the rest of its partition could go on"
)


class EnrichService:
    def __init__(
        self,
        consumer: EventConsumer,
        producer: EventProducer,
        enricher: ArticleEnricher,
        *,
        enriched_topic: str,
        dlq_topic: str,
        batch_size: int,
        poll_timeout_s: float,
        metrics: EnrichMetrics | None = None,
        enriched_v1_topic: str | None = None,
        max_attempts: int = 3,
        keep_alive_every_s: float = 75.0,
    ) -> None:
        self._consumer = consumer
        self._producer = producer
        self._enricher = enricher
        self._enriched_topic = enriched_topic
        self._enriched_v1_topic = enriched_v1_topic
        self._dlq_topic = dlq_topic
        self._batch_size = batch_size
        self._poll_timeout_s = poll_timeout_s
        self.metrics = metrics or EnrichMetrics()
        self._attempts = DeliveryAttempts(consumer, max_attempts)
        self._max_attempts = max_attempts
        self._keep_alive_every_s = keep_alive_every_s
        self._alive_at = time.monotonic()

    def run(self, stop: threading.Event) -> None:
        """Enrich until `stop` is set; the batch in hand is finished and committed first."""
        while not stop.is_set():
            records = self._consumer.poll(self._poll_timeout_s, self._batch_size)
            if records:
                self.process(records)

    def process(self, polled: Sequence[Record]) -> None:
        started = time.monotonic()
        self._alive_at = started
        attempt = self._attempts.begin(polled)
        records = attempt.handle
        checkpoint = Checkpoint(self._consumer, sinks=[self._producer])
        checkpoint.handled([*records, *attempt.exhausted])
        dead_letters = len(attempt.exhausted)
        for record in attempt.exhausted:
            crashed = Rejection("enrich_crashed", CRASHED.format(self._max_attempts))
            checkpoint.wait_for(self._dead_letter(record, crashed))
        raws: list[tuple[Record, RawArticle]] = []
        for record in records:
            try:
                raws.append((record, RawArticle.model_validate_json(record.value or b"")))
            except ValidationError as error:
                reason = f"not a RawArticle message: {error}"
                checkpoint.wait_for(
                    self._dead_letter(record, Rejection("invalid_raw_message", reason))
                )
                dead_letters += 1
        enrichments = self._enricher.enrich([raw for _, raw in raws], self._keep_alive)
        articles = 0
        for (record, _), enrichment in zip(raws, enrichments, strict=True):
            for article in enrichment.articles:
                for sent in self._publish(article):
                    checkpoint.wait_for(sent)
            for rejection in enrichment.rejections:
                checkpoint.wait_for(self._dead_letter(record, rejection))
            articles += len(enrichment.articles)
            dead_letters += len(enrichment.rejections)
        # Raises if the log did not acknowledge a send: then nothing is committed.
        if checkpoint.commit(attempt.notes_when_done):
            self._attempts.done(attempt, checkpoint.next_offsets)
        else:
            self._attempts.forget()
        self.metrics.messages.inc(len(records) + len(attempt.exhausted))
        self.metrics.articles_enriched.inc(articles)
        self.metrics.batch_seconds.observe(time.monotonic() - started)
        log.info(
            "%d messages: %d articles enriched, %d dead letters, in %.2fs",
            len(records) + len(attempt.exhausted),
            articles,
            dead_letters,
            time.monotonic() - started,
        )

    def _keep_alive(self) -> None:
        """Called as a batch progresses: keeps the consumer in its group through a batch slower
        than the group's max poll interval (a fraction of it: `keep_alive_every_s`). Not more
        often: a poll can start a rebalance, and the batch's commit is then refused."""
        now = time.monotonic()
        if now - self._alive_at >= self._keep_alive_every_s:
            self._consumer.keep_alive()
            self._alive_at = now

    def _publish(self, article: EnrichedArticle) -> list["Future[None]"]:
        """Send one version of a story: the article, a tombstone after a kill, and the v1
        message when the legacy topic is configured. In this order, on one partition (the key)."""
        key = article.id.encode()
        sent = [self._producer.send(self._enriched_topic, key, article.model_dump_json().encode())]
        if article.pub_status == "canceled":
            sent.append(self._producer.send(self._enriched_topic, key, None))
        if self._enriched_v1_topic is not None:
            legacy = EnrichedArticleV1.of(article)
            sent.append(
                self._producer.send(
                    self._enriched_v1_topic,
                    legacy.id.encode(),
                    legacy.model_dump_json().encode(),
                )
            )
        return sent

    def _dead_letter(self, record: Record, rejection: Rejection) -> "Future[None]":
        self.metrics.dead_letters.labels(error_type=rejection.error_type).inc()
        if rejection.item is None:
            reason, original = rejection.reason, record.value
        else:
            reason = f"article {rejection.item} of the file: {rejection.reason}"
            original = (rejection.original or "").encode()
        letter = DeadLetter.for_record(
            "enrich", record, rejection.error_type, reason, original=original
        )
        log.warning(
            "dead letter for %s: %s: %s", letter.source, rejection.error_type, rejection.reason
        )
        return self._producer.send(self._dlq_topic, record.key, letter.model_dump_json().encode())
