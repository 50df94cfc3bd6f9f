"""Article fields from a metadata mapping: JSON article objects and Markdown front matter.

Newsrooms name the same field many ways (`title`/`headline`, `date`/`published_at`/
`datePublished`…). Keys are compared without case, `_` or `-`; the first name present wins.
"""

import re
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime

from newswire_enrich.article import ParsedArticle, Publication
from newswire_enrich.dates import parse_timestamp
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

# "and" in the languages agency by-lines come in (EFE's "y", AFP's "et", dpa's "und").
_AUTHOR_SEPARATORS = re.compile(r"\s*(?:;|,|\b(?:and|y|et|und)\b|&)\s*")
_BYLINE_PREFIX = re.compile(r"^(?:by|por|par|von)\s+", re.IGNORECASE)


def normalised_keys(fields: Mapping[str, object]) -> dict[str, object]:
    return {re.sub(r"[\s_\-]", "", str(key)).lower(): value for key, value in fields.items()}


def article_from_fields(
    fields: Mapping[str, object], body: tuple[str, ...] | None = None
) -> ParsedArticle:
    """The article a mapping describes; `body` overrides the mapping's (Markdown's content)."""
    keyed = normalised_keys(fields)
    title = text_of(first_of(keyed, TITLE))
    if not title:
        raise UnparseableArticleError(f"no title: expected one of the fields {', '.join(TITLE)}")
    image = first_of(keyed, IMAGE)
    image_fields = normalised_keys(image) if isinstance(image, Mapping) else {}
    sections = texts_of(first_of(keyed, SECTION))
    return ParsedArticle(
        title=title,
        body=body if body is not None else paragraphs_of(first_of(keyed, BODY)),
        standfirst=text_of(first_of(keyed, STANDFIRST)),
        publication=publication_of(first_of(keyed, DATE)),
        section=normalise_section(sections[0]) if sections else None,
        image_caption=text_of(first_of(keyed, CAPTION) or first_of(image_fields, CAPTION)),
        image_credit=text_of(first_of(keyed, CREDIT) or first_of(image_fields, CREDIT)),
        related_titles=texts_of(first_of(keyed, RELATED)),
        authors=authors_of(first_of(keyed, AUTHORS)),
        url=text_of(first_of(keyed, URL)),
        tags=texts_of(first_of(keyed, TAGS), split_commas=True),
    )


def first_of(fields: Mapping[str, object], names: Iterable[str]) -> object:
    return next((fields[name] for name in names if fields.get(name) not in (None, "", [])), None)


def text_of(value: object) -> str | None:
    """A string, or the `name`/`title`/`text` of an object (schema.org style)."""
    if isinstance(value, Mapping):
        value = first_of(normalised_keys(value), ("name", "title", "text", "url"))
    if isinstance(value, str | int | float) and not isinstance(value, bool):
        return clean(str(value)) or None
    return None


def texts_of(value: object, *, split_commas: bool = False) -> tuple[str, ...]:
    items = value if isinstance(value, list | tuple) else [value]
    found: list[str] = []
    for item in items:
        text = text_of(item)
        if text is None:
            continue
        parts = text.split(",") if split_commas and isinstance(item, str) else [text]
        for part in map(clean, parts):
            if part and part not in found:
                found.append(part)
    return tuple(found)


def paragraphs_of(value: object) -> tuple[str, ...]:
    if isinstance(value, str):
        return paragraphs(value)
    return tuple(p for item in texts_of(value) for p in paragraphs(item))


def authors_of(value: object) -> tuple[str, ...]:
    names: list[str] = []
    for text in texts_of(value):
        for part in _AUTHOR_SEPARATORS.split(_BYLINE_PREFIX.sub("", text)):
            if part and part not in names:
                names.append(part)
    return tuple(names)


def publication_of(value: object) -> Publication | None:
    # YAML front matter gives dates and datetimes already parsed.
    if isinstance(value, datetime):
        if value.tzinfo is None:
            return Publication(day=value.date())
        return Publication(day=value.date(), moment=value.astimezone(UTC))
    if isinstance(value, date):
        return Publication(day=value)
    return parse_timestamp(value) if isinstance(value, str) else None
