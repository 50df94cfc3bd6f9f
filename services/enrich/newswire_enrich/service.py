"""The enrich loop: poll `articles.raw`, enrich the batch, produce, and only then commit.

Every message of a batch ends up acknowledged on `articles.enriched` or `articles.dlq` before its
offset is committed (at-least-once, see `newswire.checkpoint`), on Kafka and on the embedded log
alike. If a send fails the process stops without committing, and the batch is enriched again on
restart; the story id as key and the version order make that replay harmless.

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
from newswire.enriched import EnrichedArticle, EnrichedArticleV1
from newswire.event_log import EventConsumer, EventProducer, Record
from newswire.messages import DeadLetter, RawArticle
from newswire_enrich.enrichment import ArticleEnricher, Rejection
from newswire_enrich.metrics import EnrichMetrics

log = logging.getLogger(__name__)


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

    def run(self, stop: threading.Event) -> None:
        """Enrich until `stop` is set; the batch in hand is finished and committed first."""
        while not stop.is_set():
            records = self._consumer.poll(self._poll_timeout_s, self._batch_size)
            if records:
                self.process(records)

    def process(self, records: Sequence[Record]) -> None:
        started = time.monotonic()
        checkpoint = Checkpoint(self._consumer, sinks=[self._producer])
        checkpoint.handled(records)
        dead_letters = 0
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
        enrichments = self._enricher.enrich([raw for _, raw in raws])
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
        checkpoint.commit()
        self.metrics.messages.inc(len(records))
        self.metrics.articles_enriched.inc(articles)
        self.metrics.batch_seconds.observe(time.monotonic() - started)
        log.info(
            "%d messages: %d articles enriched, %d dead letters, in %.2fs",
            len(records),
            articles,
            dead_letters,
            time.monotonic() - started,
        )

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
