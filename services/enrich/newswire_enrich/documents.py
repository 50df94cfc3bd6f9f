"""Reading a raw article into parsed articles: its format recognised, its parser run, within
enrich's limits. `ArticleEnricher` reads through the `DocumentReader` port, so where a document
is parsed is the wiring's choice: in the enricher's own process (`InProcessReader`, for tests and
tools), or in a child process with a hard time and memory budget (`parser_process`, what the
service and `newswire parse` use), which no document can stall or exhaust.
"""

from dataclasses import dataclass
from typing import Protocol

from newswire.enriched import ArticleFormat
from newswire.messages import RawArticle
from newswire_enrich.article import ParsedItem
from newswire_enrich.document_limits import DocumentLimits
from newswire_enrich.formats import detect_format
from newswire_enrich.parsers import parse_document


@dataclass(frozen=True)
class ReadDocument:
    article_format: ArticleFormat
    items: list[ParsedItem]


@dataclass(frozen=True)
class DocumentInput:
    """What parsing needs of a raw article (and all a child process is sent)."""

    file_name: str
    media_type: str
    content: str
    data: bytes | None  # the bytes of a binary document (Word, PDF)

    @classmethod
    def of(cls, raw: RawArticle) -> "DocumentInput":
        return cls(raw.file_name, raw.media_type, raw.content, raw.binary_content())


class ReaderUnavailableError(RuntimeError):
    """The reader cannot read any document now (its process does not start, say): no document
    is at fault, so enrichment stops rather than dead-lettering every input."""


class DocumentReader(Protocol):
    def read(self, document: DocumentInput) -> ReadDocument:
        """The document's articles; raises `ArticleRejectedError` when it cannot be read, and
        `ReaderUnavailableError` when nothing can be."""
        ...

    def close(self) -> None: ...


def read_document(document: DocumentInput, limits: DocumentLimits) -> ReadDocument:
    article_format = detect_format(
        document.file_name, document.media_type, document.content, document.data
    )
    items = parse_document(article_format, document.content, document.data, limits)
    return ReadDocument(article_format, items)


class InProcessReader:
    """Parses in the caller's process: no budget but the limits (tests, benchmarks of parsers)."""

    def __init__(self, limits: DocumentLimits | None = None) -> None:
        self.limits = limits or DocumentLimits()

    def read(self, document: DocumentInput) -> ReadDocument:
        return read_document(document, self.limits)

    def close(self) -> None:
        pass
