"""Enrichment, the heart of the service: raw articles in, enriched articles or rejections out.

A whole batch is parsed first (through a `DocumentReader`: in the service, a child process with
a time and memory budget), then its entities are recognised in `nlp.pipe` calls, which is where
the time goes. Nothing here knows about Kafka; the service and `newswire parse` share it.

Each article is a version of a story (`newswire.enriched.story_key`): the document's identifier,
else its canonical URL, else the path it was dropped at (and its place in a several-article
file), so a correction, an update, a kill or a re-dropped file is a new version of the same story.
"""

import logging
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Literal, Protocol
from urllib.parse import urlsplit

from newswire import __version__
from newswire.enriched import ArticleFormat, EnrichedArticle, Provenance, story_id, story_key
from newswire.messages import RawArticle, utc_now
from newswire_enrich.analysed_text import AnalysedText
from newswire_enrich.article import ParsedArticle, RejectedItem
from newswire_enrich.documents import (
    DocumentInput,
    DocumentReader,
    InProcessReader,
    ReaderUnavailableError,
)
from newswire_enrich.entities import merge_aliases
from newswire_enrich.errors import ArticleRejectedError, ArticleTooLongError, rejection_for
from newswire_enrich.language import detect_language
from newswire_enrich.pipeline import EntitySpan
from newswire_enrich.sections import section_from_inbox_path

log = logging.getLogger(__name__)

_LANGUAGE_CODE = re.compile(r"^[a-z]{2}$")  # ISO 639-1, as the contract's `language` is
# The article's own address is a web page's: `javascript:`, `data:` or `file:` URLs are not
# stored, and never become a story's key.
_WEB_SCHEMES = ("http", "https")


class EntityRecogniser(Protocol):
    """The language model enrichment needs (`NerPipeline` in production)."""

    @property
    def model_id(self) -> str: ...
    @property
    def spacy_version(self) -> str: ...
    @property
    def max_length(self) -> int: ...
    def entities(self, texts: Sequence[str], batch_size: int) -> list[list[EntitySpan]]: ...
    def lead_sentence(self, paragraph: str) -> str: ...


@dataclass(frozen=True)
class Rejection:
    """Why an input, or one article of a several-article input, was not enriched."""

    error_type: str
    reason: str
    item: int | None = None  # the article's line or position in a several-article file
    original: str | None = None  # that article's text; None means the whole input

    @classmethod
    def of(cls, error: Exception, item: RejectedItem | None = None) -> "Rejection":
        # A bug of ours or of a library, met on this input, is reported, never fatal.
        rejected = rejection_for(error)
        error_type, reason = rejected.error_type, str(rejected)
        if item is None:
            return cls(error_type, reason)
        return cls(error_type, reason, item.number, item.text)


@dataclass(frozen=True)
class Enrichment:
    """What became of one raw article: zero or more articles, zero or more rejections."""

    articles: list[EnrichedArticle] = field(default_factory=list)
    rejections: list[Rejection] = field(default_factory=list)


@dataclass(frozen=True)
class _Draft:
    """An article parsed and waiting for its entities."""

    enrichment: Enrichment
    raw: RawArticle
    article_format: ArticleFormat
    article: ParsedArticle
    text: AnalysedText


class ArticleEnricher:
    def __init__(
        self,
        pipeline: EntityRecogniser,
        words_per_minute: int,
        ner_batch_size: int = 16,
        clock: Callable[[], datetime] = utc_now,
        reader: DocumentReader | None = None,
    ) -> None:
        self.pipeline = pipeline
        self.words_per_minute = words_per_minute
        self.ner_batch_size = ner_batch_size
        self.clock = clock
        self.reader = reader or InProcessReader()

    def enrich(
        self, raws: Sequence[RawArticle], progress: Callable[[], None] = lambda: None
    ) -> list[Enrichment]:
        """One `Enrichment` per raw article, in order; never raises for a bad input.
        `progress` is called after each document parsed and each NER pass, so a caller can
        show it is alive (a consumer keeping its group membership through a slow batch)."""
        enrichments = [Enrichment() for _ in raws]
        drafts: list[_Draft] = []
        for raw, enrichment in zip(raws, enrichments, strict=True):
            try:
                drafts.extend(self._parse(raw, enrichment))
            except ReaderUnavailableError:
                raise  # nothing could be read: not this input's fault
            except Exception as error:
                self._reject(raw, enrichment, error)
            progress()
        spans: list[list[EntitySpan]] = []
        texts = [draft.text.text for draft in drafts]
        for start in range(0, len(texts), self.ner_batch_size):
            spans.extend(
                self.pipeline.entities(
                    texts[start : start + self.ner_batch_size], self.ner_batch_size
                )
            )
            progress()
        enriched_at = self.clock()
        for draft, article_spans in zip(drafts, spans, strict=True):
            try:
                draft.enrichment.articles.append(self._assemble(draft, article_spans, enriched_at))
            except Exception as error:
                self._reject(draft.raw, draft.enrichment, error)
        return enrichments

    def _parse(self, raw: RawArticle, enrichment: Enrichment) -> list[_Draft]:
        document = self.reader.read(DocumentInput.of(raw))
        article_format = document.article_format
        drafts = []
        for item in document.items:
            if isinstance(item, RejectedItem):
                enrichment.rejections.append(Rejection.of(item.error, item))
                continue
            text = AnalysedText(item)
            if len(text.text) > self.pipeline.max_length:
                raise ArticleTooLongError(
                    f"{len(text.text)} characters of text; the limit is {self.pipeline.max_length}"
                )
            drafts.append(_Draft(enrichment, raw, article_format, item, text))
        return drafts

    @staticmethod
    def _reject(raw: RawArticle, enrichment: Enrichment, error: Exception) -> None:
        rejection = Rejection.of(error)
        if not isinstance(error, ArticleRejectedError):  # a parser process logged its own
            log.exception("unexpected error enriching %s", raw.relative_path)
        enrichment.rejections.append(rejection)

    def _assemble(
        self, draft: _Draft, spans: list[EntitySpan], enriched_at: datetime
    ) -> EnrichedArticle:
        raw, article = draft.raw, draft.article
        word_count = sum(len(paragraph.split()) for paragraph in article.body)
        section, section_source = _section(article, raw)
        reading_time, reading_time_source = self._reading_time(article, word_count)
        lead_sentence = self.pipeline.lead_sentence(article.body[0]) if article.body else None
        item = article.item.number if article.item else None
        url = _web_url(article.url)
        key = story_key(article.guid, url, raw.relative_path, item)
        received_at = raw.received_at
        if received_at.tzinfo is None:  # ingest writes UTC; a hand-made message may not say so
            received_at = received_at.replace(tzinfo=UTC)
        return EnrichedArticle(
            id=story_id(key),
            story_key=key,
            content_sha256=article.item.sha256 if article.item else raw.id,
            title=article.title,
            standfirst=article.standfirst,
            summary=article.standfirst or lead_sentence,
            body=list(article.body),
            publication_date=article.publication.day if article.publication else None,
            published_at=article.publication.moment if article.publication else None,
            section=section,
            section_source=section_source,
            reading_time_minutes=reading_time,
            reading_time_source=reading_time_source,
            word_count=word_count,
            language=_language(article),
            image_caption=article.image_caption,
            image_credit=article.image_credit,
            related_titles=list(article.related_titles),
            authors=list(article.authors),
            url=url,
            tags=list(article.tags),
            entities=merge_aliases(draft.text.mentions(spans)),
            provenance=Provenance(
                raw_article_id=raw.id,
                source_file=raw.relative_path,
                sha256=raw.sha256,
                item=item,
                format=draft.article_format,
                parser_version=__version__,
                ner_model=self.pipeline.model_id,
                spacy_version=self.pipeline.spacy_version,
                enriched_at=enriched_at,
                received_at=received_at,
            ),
            guid=article.guid,
            version=article.version,
            provider=article.provider,
            updated_at=article.updated_at,
            content_created=article.content_created,
            embargoed=article.embargo is not None,
            embargoed_until=article.embargo.until if article.embargo else None,
            pub_status=article.pub_status,
            signals=list(article.signals),
            urgency=article.urgency,
            slugline=article.slugline,
            dateline=article.dateline,
            located=article.located,
            subjects=list(article.subjects),
            genres=list(article.genres),
            copyright=article.copyright,
            usage_terms=article.usage_terms,
            editorial_note=article.editorial_note,
        )

    def _reading_time(
        self, article: ParsedArticle, word_count: int
    ) -> tuple[int, Literal["document", "word_count"]]:
        if article.reading_time_minutes is not None:
            return article.reading_time_minutes, "document"
        return math.ceil(word_count / self.words_per_minute), "word_count"


def _web_url(url: str | None) -> str | None:
    """`url` if it is the address of a web page (http or https, with a host), else None."""
    if not url:
        return None
    try:
        parts = urlsplit(url.strip())
    except ValueError:  # e.g. an invalid IPv6 host
        return None
    return url.strip() if parts.scheme.lower() in _WEB_SCHEMES and parts.hostname else None


def _language(article: ParsedArticle) -> str | None:
    """The language the document declares (wire formats, feeds, news-please: their primary
    subtag, `en-GB` → `en`), else the one detected in title and body."""
    declared = (article.language or "").replace("_", "-").split("-")[0].strip().lower()
    if _LANGUAGE_CODE.match(declared):
        return declared
    return detect_language(" ".join((article.title, *article.body)))


def _section(
    article: ParsedArticle, raw: RawArticle
) -> tuple[str | None, Literal["document", "inbox_folder"] | None]:
    if article.section:
        return article.section, "document"
    from_folder = section_from_inbox_path(raw.relative_path)
    return from_folder, "inbox_folder" if from_folder else None
