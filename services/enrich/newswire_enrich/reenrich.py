"""`newswire reenrich`: every raw article enriched again, after a change of model or parser.

`articles.raw` keeps every message (Newswire creates it on Kafka with unlimited retention; the
embedded log keeps everything), so re-enrichment is a replay: an enrich service with a consumer
group of its own, new on every run, reads the raw topic from its first message and publishes to
`articles.enriched` as the running service does. The services' own offsets are left alone, so it
runs beside a live pipeline; the indexer takes the new messages like any others. Each article
comes out as the same version of the same story (same id, same content) enriched later: its
`version_order` is greater (`provenance.enriched_at` breaks the tie), so it replaces the story's
current version in the index, with the entities of the model now configured, unless a newer
version of the story has arrived since; the story's list of versions does not grow.

It stops once it has read everything the raw topic held when it caught up: files dropped meanwhile
are enriched by the running service anyway.
"""

import logging
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from newswire.event_log import Committed, EventConsumer, EventLogError, PartitionKey, Record
from newswire.settings import Settings
from newswire_enrich.app import create_enricher, run_enrich
from newswire_enrich.metrics import ARTICLES_ENRICHED, DEAD_LETTERS, EnrichMetrics

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ReenrichReport:
    group_id: str
    model: str
    messages: int
    articles: int
    dead_letters: int
    seconds: float
    caught_up: bool


class _UntilCaughtUp:
    """The consumer, as the service sees it, that sets `stop` the first time a poll finds
    nothing left to read (lag known and 0): the service then finishes, its last batch committed.
    """

    def __init__(self, consumer: EventConsumer, stop: threading.Event) -> None:
        self._consumer = consumer
        self._stop = stop
        self.messages = 0
        self.caught_up = False

    def poll(self, timeout_s: float, max_records: int) -> Sequence[Record]:
        records = self._consumer.poll(timeout_s, max_records)
        self.messages += len(records)
        if not records and self._caught_up():
            self.caught_up = True
            self._stop.set()
        return records

    def _caught_up(self) -> bool:
        if not self._consumer.assignment():  # still joining the group
            return False
        try:
            return self._consumer.lag() == 0
        except EventLogError as error:  # a rebalance, a timeout: ask again
            log.debug("lag unknown for now: %s", error)
            return False

    def commit(
        self,
        next_offsets: Mapping[PartitionKey, int],
        notes: Mapping[PartitionKey, str] | None = None,
    ) -> None:
        self._consumer.commit(next_offsets, notes)

    def committed_notes(self, partitions: Iterable[PartitionKey]) -> dict[PartitionKey, Committed]:
        return self._consumer.committed_notes(partitions)

    def keep_alive(self) -> None:
        self._consumer.keep_alive()

    def assignment(self) -> set[PartitionKey]:
        return self._consumer.assignment()

    def pause_all(self) -> None:
        self._consumer.pause_all()

    def resume_all(self) -> None:
        self._consumer.resume_all()

    def seek(self, topic: str, partition: int, offset: int) -> None:
        self._consumer.seek(topic, partition, offset)

    def lag(self) -> int:
        return self._consumer.lag()

    def close(self) -> None:
        self._consumer.close()


def reenrich(settings: Settings, stop: threading.Event | None = None) -> ReenrichReport:
    """Enrich every message of the raw topic again into the enriched topic; returns once it has
    caught up with the raw topic (or `stop` is set: a later run starts over, harmlessly)."""
    stop = stop or threading.Event()
    started = time.monotonic()
    enricher = create_enricher(settings)
    group_id = f"{settings.enrich_group_id}-reenrich-{datetime.now(UTC):%Y%m%dT%H%M%S%fZ}"
    metrics = EnrichMetrics()
    watched: list[_UntilCaughtUp] = []

    def until_caught_up(consumer: EventConsumer) -> EventConsumer:
        watched.append(_UntilCaughtUp(consumer, stop))
        return watched[-1]

    try:
        run_enrich(
            settings,
            stop,
            metrics,
            enricher=enricher,
            group_id=group_id,
            client_id="newswire-reenrich",
            consumer_view=until_caught_up,
        )
    finally:
        enricher.reader.close()
    (consumer,) = watched
    registry = metrics.registry
    return ReenrichReport(
        group_id=group_id,
        model=enricher.pipeline.model_id,
        messages=consumer.messages,
        articles=int(registry.get_sample_value(f"{ARTICLES_ENRICHED}_total") or 0),
        dead_letters=int(
            sum(
                sample.value
                for metric in registry.collect()
                for sample in metric.samples
                if sample.name == f"{DEAD_LETTERS}_total"
            )
        ),
        seconds=time.monotonic() - started,
        caught_up=consumer.caught_up,
    )
