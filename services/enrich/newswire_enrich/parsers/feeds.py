"""Feeds: RSS (0.9x, 1.0, 2.0 with `content:encoded`), Atom and JSON Feed; one article per item,
with what the feed says of them all (its title is the provider; its language and rights apply to
items that state none).

RSS and Atom are read by feedparser. Each item's id follows the rule for several-article files:
the sha256 of the item's canonical form, so the same item has the same id in whatever feed file,
at whatever position, it comes: for XML the item element's exclusive canonical XML (C14N), for
JSON Feed the item object's canonical JSON. An item without a title (or summary to stand for it)
is rejected on its own.
"""

import calendar
import dataclasses
import hashlib
import io
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from functools import partial
from typing import Any

import feedparser  # type: ignore[import-untyped]
from lxml import etree  # type: ignore[import-untyped]

from newswire_enrich.article import ParsedArticle, ParsedItem, Publication, RejectedItem, SourceItem
from newswire_enrich.dates import parse_moment, parse_timestamp
from newswire_enrich.errors import ArticleRejectedError, UnparseableArticleError
from newswire_enrich.parsers.fields import authors_of, normalised_keys, text_of, texts_of
from newswire_enrich.parsers.json_articles import canonical_json, load_json
from newswire_enrich.parsers.markup import (
    canonical_sha256,
    children,
    html_paragraphs,
    local_name,
    parse_xml,
)
from newswire_enrich.parsers.text import clean

JSON_FEED_VERSION = "jsonfeed.org/version/"


def is_json_feed(document: object) -> bool:
    return (
        isinstance(document, Mapping)
        and JSON_FEED_VERSION in str(document.get("version", ""))
        and isinstance(document.get("items"), list)
    )


def parse_xml_feed(content: str) -> list[ParsedItem]:
    """An RSS or Atom feed's items."""
    elements = _item_elements(parse_xml(content, recover=True))
    parsed = feedparser.parse(
        io.BytesIO(content.lstrip("\ufeff").encode("utf-8")),
        # The text is Unicode already: the bytes are UTF-8 whatever the declaration says.
        response_headers={"content-type": "application/xml; charset=utf-8"},
        resolve_relative_uris=False,
        sanitize_html=True,
    )
    entries = parsed.get("entries", [])
    if not entries:
        problem = parsed.get("bozo_exception")
        raise UnparseableArticleError(
            "the feed has no items" + (f" ({problem})" if problem else "")
        )
    if len(entries) != len(elements):
        raise UnparseableArticleError(
            f"the feed is ambiguous: feedparser reads {len(entries)} items where the XML has "
            f"{len(elements)}"
        )
    feed = parsed.get("feed", {})
    items: list[ParsedItem] = []
    for number, (entry, element) in enumerate(zip(entries, elements, strict=True), start=1):
        canonical, fingerprint = canonical_sha256(element)
        items.append(_item(number, canonical, fingerprint, partial(_entry, entry, feed)))
    return items


def parse_json_feed(content: str) -> list[ParsedItem]:
    document = load_json(content)
    if not is_json_feed(document) or not isinstance(document, Mapping):
        raise UnparseableArticleError("not a JSON Feed: no `version` naming jsonfeed.org")
    feed = normalised_keys(document)
    values = document["items"]
    if not values:
        raise UnparseableArticleError("the JSON Feed has no items")
    items: list[ParsedItem] = []
    for number, value in enumerate(values, start=1):
        canonical = canonical_json(value)
        fingerprint = hashlib.sha256(canonical.encode("utf-8")).hexdigest()
        if not isinstance(value, Mapping):
            error = UnparseableArticleError(f"item {number} is not a JSON object")
            items.append(RejectedItem(number, canonical, error))
            continue
        items.append(_item(number, canonical, fingerprint, partial(_json_feed_item, value, feed)))
    return items


def _item(
    number: int, canonical: str, fingerprint: str, read: Callable[[], ParsedArticle]
) -> ParsedItem:
    try:
        article = read()
    except ArticleRejectedError as error:
        return RejectedItem(number, canonical, error)
    return dataclasses.replace(article, item=SourceItem(number, fingerprint))


def _item_elements(root: etree._Element) -> list[etree._Element]:
    name = local_name(root)
    if name == "feed":  # Atom
        return children(root, "entry")
    if name == "rss":
        return [item for channel in children(root, "channel") for item in children(channel, "item")]
    return children(root, "item")  # RSS 1.0: items beside the channel


def _entry(entry: Any, feed: Any) -> ParsedArticle:
    content = entry.get("content") or []
    summary = entry.get("summary") or ""
    body_source = content[0].get("value", "") if content else summary
    body = html_paragraphs(body_source)
    standfirst = clean(" ".join(html_paragraphs(summary))) if content and summary else None
    if standfirst and body and body[0].startswith(standfirst.removesuffix("...").rstrip("…")):
        standfirst = None  # the teaser is the start of the body, not a standfirst
    title = clean(entry.get("title") or "") or standfirst
    if not title:
        raise UnparseableArticleError("the item has no title")
    authors = tuple(
        name for author in entry.get("authors") or [] for name in authors_of(author.get("name"))
    )
    return ParsedArticle(
        title=title,
        body=body,
        standfirst=standfirst,
        publication=_feed_date(entry, "published") or _feed_date(entry, "updated"),
        authors=authors or authors_of(entry.get("author")),
        url=entry.get("link") or None,
        tags=texts_of([tag.get("term") for tag in entry.get("tags") or []]),
        language=(entry.get("title_detail") or {}).get("language") or feed.get("language"),
        guid=entry.get("id") or None,
        provider=clean(feed.get("title") or "") or None,
        updated_at=updated.moment if (updated := _feed_date(entry, "updated")) else None,
        copyright=clean(entry.get("rights") or feed.get("rights") or "") or None,
    )


def _feed_date(entry: Any, name: str) -> Publication | None:
    """The date as the feed writes it (its day in its own zone), else feedparser's UTC reading.
    Read past feedparser's aliases: its `updated` falls back to `published`."""
    stated = dict.get(entry, name)
    if stated and (publication := parse_timestamp(stated)):
        return publication
    parsed = dict.get(entry, f"{name}_parsed")
    if parsed:
        moment = datetime.fromtimestamp(calendar.timegm(parsed), UTC)
        return Publication(day=moment.date(), moment=moment)
    return None


def _json_feed_item(value: Mapping[str, object], feed: Mapping[str, object]) -> ParsedArticle:
    item = normalised_keys(value)
    content_html, content_text = text_of(item.get("contenthtml")), item.get("contenttext")
    if content_html:
        body = html_paragraphs(str(item["contenthtml"]))
    else:
        body = html_paragraphs(content_text) if isinstance(content_text, str) else ()
    summary = text_of(item.get("summary"))
    title = text_of(item.get("title")) or summary
    if not title:
        raise UnparseableArticleError("the item has no title (nor a summary to stand for one)")
    published = text_of(item.get("datepublished"))
    authors = item.get("authors") or item.get("author") or feed.get("authors") or feed.get("author")
    return ParsedArticle(
        title=title,
        body=body,
        standfirst=summary if summary != title else None,
        publication=parse_timestamp(published) if published else None,
        authors=authors_of(authors),
        url=text_of(item.get("url")) or text_of(item.get("externalurl")),
        tags=texts_of(item.get("tags")),
        language=text_of(item.get("language")) or text_of(feed.get("language")),
        guid=text_of(item.get("id")),
        provider=text_of(feed.get("title")),
        updated_at=parse_moment(text_of(item.get("datemodified"))),
    )
