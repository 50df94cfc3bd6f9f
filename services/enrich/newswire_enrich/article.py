"""What a parser makes of a document: an article's own fields, before any enrichment."""

from dataclasses import dataclass
from datetime import date, datetime

from newswire.enriched import Concept, Place, PubStatus
from newswire_enrich.errors import ArticleRejectedError


@dataclass(frozen=True)
class Publication:
    """When an article was published, as precisely as the document says and no more."""

    day: date
    moment: datetime | None = None  # timezone-aware, and only when the document gives a time


@dataclass(frozen=True)
class SourceItem:
    """One article among several in a file (JSON Lines, JSON array, a feed, a news message)."""

    number: int  # 1-based line or position
    sha256: str  # of the item's canonical form (JSON or XML): its id, whatever file carries it


@dataclass(frozen=True)
class Embargo:
    """Publication is forbidden until `until`, or until further notice when that is None."""

    until: datetime | None = None


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
    # What wire formats, feeds and structured pages carry beside the story (see the contract).
    language: str | None = None  # as the document declares it (a language tag)
    guid: str | None = None
    version: int | None = None
    provider: str | None = None
    updated_at: datetime | None = None  # timezone-aware
    content_created: datetime | None = None  # timezone-aware
    embargo: Embargo | None = None
    pub_status: PubStatus | None = None
    signals: tuple[str, ...] = ()
    urgency: int | None = None
    slugline: str | None = None
    dateline: str | None = None
    located: Place | None = None
    subjects: tuple[Concept, ...] = ()
    genres: tuple[Concept, ...] = ()
    copyright: str | None = None
    usage_terms: str | None = None
    editorial_note: str | None = None


@dataclass(frozen=True)
class RejectedItem:
    """One article of a several-article file that cannot be parsed; its siblings still can."""

    number: int
    text: str  # the item as written, for the dead letter
    error: ArticleRejectedError


ParsedItem = ParsedArticle | RejectedItem
