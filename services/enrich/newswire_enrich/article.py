"""What a parser makes of a document: an article's own fields, before any enrichment."""

from dataclasses import dataclass
from datetime import date, datetime

from newswire_enrich.errors import ArticleRejectedError


@dataclass(frozen=True)
class Publication:
    """When an article was published, as precisely as the document says and no more."""

    day: date
    moment: datetime | None = None  # timezone-aware, and only when the document gives a time


@dataclass(frozen=True)
class SourceItem:
    """One article among several in a file (JSON Lines, JSON array)."""

    number: int  # 1-based line or position
    sha256: str  # of the article object's canonical JSON: its id, whatever file carries it


@dataclass(frozen=True)
class ParsedArticle:
    title: str
    body: tuple[str, ...]
    standfirst: str | None = None
    publication: Publication | None = None
    section: str | None = None
    reading_time_minutes: int | None = None
    image_caption: str | None = None
    image_credit: str | None = None
    related_titles: tuple[str, ...] = ()
    authors: tuple[str, ...] = ()
    url: str | None = None
    tags: tuple[str, ...] = ()
    item: SourceItem | None = None


@dataclass(frozen=True)
class RejectedItem:
    """One article of a several-article file that cannot be parsed; its siblings still can."""

    number: int
    text: str  # the item as written, for the dead letter
    error: ArticleRejectedError


ParsedItem = ParsedArticle | RejectedItem
