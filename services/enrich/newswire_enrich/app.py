"""Wiring enrichment to its inputs and outputs: the event log for the service, files for `parse`."""

import logging
import threading
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

from newswire.backends import open_event_log
from newswire.enriched import EnrichedArticle
from newswire.event_log import EventConsumer
from newswire.settings import Settings
from newswire_enrich.document_limits import DocumentLimits
from newswire_enrich.enrichment import ArticleEnricher
from newswire_enrich.language import language_identifier
from newswire_enrich.local_files import raw_article_from_file
from newswire_enrich.metrics import EnrichMetrics
from newswire_enrich.parser_process import ParseBudget, ParserProcess
from newswire_enrich.pipeline import NerPipeline
from newswire_enrich.service import EnrichService

log = logging.getLogger(__name__)


def document_limits(settings: Settings) -> DocumentLimits:
    return DocumentLimits(
        max_input_characters=settings.enrich_max_input_characters,
        max_paragraphs=settings.enrich_max_paragraphs,
        max_article_characters=settings.enrich_max_article_characters,
        max_unpacked_bytes=settings.enrich_max_unpacked_bytes,
        max_package_parts=settings.enrich_max_package_parts,
        max_compression_ratio=settings.enrich_max_compression_ratio,
        max_pdf_pages=settings.enrich_max_pdf_pages,
    )


def parser_process(settings: Settings) -> ParserProcess:
    """The child process documents are parsed in, started (see `parser_process`)."""
    budget = ParseBudget(
        timeout_s=settings.enrich_parse_timeout_s,
        memory_bytes=settings.enrich_parse_memory_mb * 1024 * 1024,
        attempts=settings.enrich_parse_attempts,
    )
    parsers = ParserProcess(document_limits(settings), budget)
    parsers.start()
    return parsers


def create_enricher(settings: Settings) -> ArticleEnricher:
    language_identifier()
    return ArticleEnricher(
        NerPipeline.load(settings.enrich_spacy_model),
        settings.enrich_words_per_minute,
        settings.enrich_ner_batch_size,
        reader=parser_process(settings),
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
    owned = enricher is None
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
        max_attempts=settings.enrich_max_attempts,
        keep_alive_every_s=settings.consumer_max_poll_interval_s / 4,
    )
    try:
        service.run(stop)
    finally:
        consumer.close()
        producer.close()
        if owned:
            enricher.reader.close()


def parse_files(
    settings: Settings, paths: Sequence[Path], inbox: Path | None
) -> Iterator[tuple[Path, EnrichedArticle | str]]:
    """Each file's enriched articles, or for what cannot be enriched, why (`error_type: reason`)."""
    enricher = create_enricher(settings)
    try:
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
    finally:
        enricher.reader.close()
