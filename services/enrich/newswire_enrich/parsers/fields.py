"""Article fields from a metadata mapping: JSON article objects and Markdown front matter.

Newsrooms name the same field many ways (`title`/`headline`, `date`/`published_at`/
`datePublished`…). Keys are compared without case, `_` or `-`; the first name present wins.
"""

import re
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime

from newswire_enrich.article import ParsedArticle, Publication
from newswire_enrich.dates import parse_publication
from newswire_enrich.errors import UnparseableArticleError
from newswire_enrich.parsers.text import clean, paragraphs
from newswire_enrich.sections import normalise_section

TITLE = ("title", "headline")
BODY = ("body", "text", "content", "articlebody", "bodytext")
STANDFIRST = ("standfirst", "summary", "description", "dek", "subtitle", "subheadline", "excerpt")
DATE = (
    "published", "publishedat", "datepublished", "publishdate", "publicationdate",
    "publishedtime", "pubdate", "date",
)  # fmt: skip
SECTION = ("section", "articlesection", "category", "categories")
AUTHORS = ("authors", "author", "byline", "creator")
URL = ("url", "canonicalurl", "link", "permalink")
TAGS = ("tags", "keywords")
RELATED = ("related", "relatedarticles", "relatedtitles")
IMAGE = ("image", "photo")
CAPTION = ("imagecaption", "caption")
CREDIT = ("imagecredit", "credit", "photocredit")

_AUTHOR_SEPARATORS = re.compile(r"\s*(?:;|,|\band\b|&)\s*")
_BYLINE_PREFIX = re.compile(r"^by\s+", re.IGNORECASE)


def normalised_keys(fields: Mapping[str, object]) -> dict[str, object]:
    return {re.sub(r"[\s_\-]", "", str(key)).lower(): value for key, value in fields.items()}


def article_from_fields(
    fields: Mapping[str, object], body: tuple[str, ...] | None = None
) -> ParsedArticle:
    """The article a mapping describes; `body` overrides the mapping's (Markdown's content)."""
    keyed = normalised_keys(fields)
    title = _text(_first(keyed, TITLE))
    if not title:
        raise UnparseableArticleError(f"no title: expected one of the fields {', '.join(TITLE)}")
    image = _first(keyed, IMAGE)
    image_fields = normalised_keys(image) if isinstance(image, Mapping) else {}
    sections = _texts(_first(keyed, SECTION))
    return ParsedArticle(
        title=title,
        body=body if body is not None else _paragraphs(_first(keyed, BODY)),
        standfirst=_text(_first(keyed, STANDFIRST)),
        publication=_publication(_first(keyed, DATE)),
        section=normalise_section(sections[0]) if sections else None,
        image_caption=_text(_first(keyed, CAPTION) or _first(image_fields, CAPTION)),
        image_credit=_text(_first(keyed, CREDIT) or _first(image_fields, CREDIT)),
        related_titles=_texts(_first(keyed, RELATED)),
        authors=_authors(_first(keyed, AUTHORS)),
        url=_text(_first(keyed, URL)),
        tags=_texts(_first(keyed, TAGS), split_commas=True),
    )


def _first(fields: Mapping[str, object], names: Iterable[str]) -> object:
    return next((fields[name] for name in names if fields.get(name) not in (None, "", [])), None)


def _text(value: object) -> str | None:
    """A string, or the `name`/`title`/`text` of an object (schema.org style)."""
    if isinstance(value, Mapping):
        value = _first(normalised_keys(value), ("name", "title", "text", "url"))
    if isinstance(value, str | int | float) and not isinstance(value, bool):
        return clean(str(value)) or None
    return None


def _texts(value: object, *, split_commas: bool = False) -> tuple[str, ...]:
    items = value if isinstance(value, list | tuple) else [value]
    found: list[str] = []
    for item in items:
        text = _text(item)
        if text is None:
            continue
        parts = text.split(",") if split_commas and isinstance(item, str) else [text]
        for part in map(clean, parts):
            if part and part not in found:
                found.append(part)
    return tuple(found)


def _paragraphs(value: object) -> tuple[str, ...]:
    if isinstance(value, str):
        return paragraphs(value)
    return tuple(p for item in _texts(value) for p in paragraphs(item))


def _authors(value: object) -> tuple[str, ...]:
    names: list[str] = []
    for text in _texts(value):
        for part in _AUTHOR_SEPARATORS.split(_BYLINE_PREFIX.sub("", text)):
            if part and part not in names:
                names.append(part)
    return tuple(names)


def _publication(value: object) -> Publication | None:
    # YAML front matter gives dates and datetimes already parsed.
    if isinstance(value, datetime):
        if value.tzinfo is None:
            return Publication(day=value.date())
        return Publication(day=value.date(), moment=value.astimezone(UTC))
    if isinstance(value, date):
        return Publication(day=value)
    return parse_publication(value) if isinstance(value, str) else None
