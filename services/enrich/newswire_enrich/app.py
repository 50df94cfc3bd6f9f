"""Wiring enrichment to its inputs and outputs: the event log for the service, files for `parse`."""

import logging
import threading
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

from newswire.backends import open_event_log
from newswire.enriched import EnrichedArticle
from newswire.event_log import EventConsumer
from newswire.settings import Settings
from newswire_enrich.enrichment import ArticleEnricher
from newswire_enrich.language import language_identifier
from newswire_enrich.local_files import raw_article_from_file
from newswire_enrich.metrics import EnrichMetrics
from newswire_enrich.pipeline import NerPipeline
from newswire_enrich.service import EnrichService

log = logging.getLogger(__name__)


def create_enricher(settings: Settings) -> ArticleEnricher:
    language_identifier()
    return ArticleEnricher(
        NerPipeline.load(settings.enrich_spacy_model),
        settings.enrich_words_per_minute,
        settings.enrich_ner_batch_size,
    )


def run_enrich(
    settings: Settings,
    stop: threading.Event,
    metrics: EnrichMetrics | None = None,
    *,
    enricher: ArticleEnricher | None = None,
    group_id: str | None = None,
    client_id: str = "newswire-enrich",
    consumer_view: Callable[[EventConsumer], EventConsumer] = lambda consumer: consumer,
) -> None:
    """Run one enrich replica until `stop` is set; everything it needs comes from `settings`.
    `newswire reenrich` runs the same with a group of its own and a view of the consumer that
    stops it once caught up."""
    # The models load before the consumer joins the group, so no partition waits on them.
    enricher = enricher or create_enricher(settings)
    group_id = group_id or settings.enrich_group_id
    event_log = open_event_log(settings)
    topics = [settings.raw_topic, settings.enriched_topic, settings.dlq_topic]
    if settings.enriched_v1_topic:
        topics.append(settings.enriched_v1_topic)
    event_log.ensure_topics(topics)
    consumer = consumer_view(
        event_log.consumer(group_id, [settings.raw_topic], client_id=client_id)
    )
    producer = event_log.producer(client_id=client_id)
    log.info(
        "enriching %s into %s on %s with %s (group %s)",
        settings.raw_topic,
        settings.enriched_topic,
        event_log.describe(),
        enricher.pipeline.model_id,
        group_id,
    )
    service = EnrichService(
        consumer,
        producer,
        enricher,
        enriched_topic=settings.enriched_topic,
        dlq_topic=settings.dlq_topic,
        batch_size=settings.enrich_batch_size,
        poll_timeout_s=settings.enrich_poll_timeout_s,
        metrics=metrics,
        enriched_v1_topic=settings.enriched_v1_topic or None,
    )
    try:
        service.run(stop)
    finally:
        consumer.close()
        producer.close()


def parse_files(
    settings: Settings, paths: Sequence[Path], inbox: Path | None
) -> Iterator[tuple[Path, EnrichedArticle | str]]:
    """Each file's enriched articles, or for what cannot be enriched, why (`error_type: reason`)."""
    enricher = create_enricher(settings)
    for path in paths:
        try:
            raw = raw_article_from_file(path, inbox)
        except (OSError, ValueError) as error:  # ValueError: not text, or outside the inbox
            yield path, f"unreadable: {error}"
            continue
        (enrichment,) = enricher.enrich([raw])
        for article in enrichment.articles:
            yield path, article
        for rejection in enrichment.rejections:
            where = f"article {rejection.item}: " if rejection.item is not None else ""
            yield path, f"{where}{rejection.error_type}: {rejection.reason}"
