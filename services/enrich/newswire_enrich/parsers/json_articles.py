"""JSON article objects, arrays of them, and JSON Lines (one article object per line).

Each object is read by what it is: a ninjs news object, a news-please record, or an article under
the field names newsrooms use. In a several-article file each article's id is the sha256 of its
canonical JSON (sorted keys, compact, UTF-8), so the same article has the same id in whatever feed
file it arrives; a broken item is rejected on its own and the others go through.
"""

import dataclasses
import hashlib
import json
from collections.abc import Mapping

from newswire_enrich.article import ParsedArticle, ParsedItem, RejectedItem, SourceItem
from newswire_enrich.errors import ArticleRejectedError, UnparseableArticleError
from newswire_enrich.parsers.fields import article_from_fields
from newswire_enrich.parsers.news_please import is_news_please, news_please_article
from newswire_enrich.parsers.ninjs import is_ninjs, ninjs_article


def article_from_object(fields: Mapping[str, object]) -> ParsedArticle:
    """The article a JSON object describes, read as ninjs, news-please or common field names."""
    if is_ninjs(fields):
        return ninjs_article(fields)
    if is_news_please(fields):
        return news_please_article(fields)
    article = article_from_fields(fields)
    # The object's own identifier and version number make its story key and version order,
    # so an update sent as a new file replaces the story it updates.
    return dataclasses.replace(article, guid=_identifier(fields), version=_version(fields))


def _identifier(fields: Mapping[str, object]) -> str | None:
    value = next((fields[name] for name in ("guid", "id") if name in fields), None)
    if isinstance(value, bool) or not isinstance(value, str | int):
        return None
    return str(value).strip() or None


def _version(fields: Mapping[str, object]) -> int | None:
    value = fields.get("version")
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


def load_json(content: str) -> object:
    try:
        return json.loads(content)
    except json.JSONDecodeError as error:
        raise UnparseableArticleError(_invalid_json(error)) from error


def canonical_json(value: object) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def parse_json(content: str) -> list[ParsedItem]:
    document = load_json(content)
    if isinstance(document, dict):
        return [article_from_object(document)]
    if isinstance(document, list):
        if not document:
            raise UnparseableArticleError("the JSON array holds no articles")
        return [_item(value, number) for number, value in enumerate(document, start=1)]
    raise UnparseableArticleError(
        f"JSON article files hold an object or an array of objects, not {_json_kind(document)}"
    )


def parse_json_lines(content: str) -> list[ParsedItem]:
    items: list[ParsedItem] = []
    for number, line in enumerate(content.lstrip("\ufeff").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except json.JSONDecodeError as error:
            reason = f"line {number}: invalid JSON at column {error.colno}: {error.msg}"
            items.append(RejectedItem(number, line, UnparseableArticleError(reason)))
            continue
        items.append(_item(value, number))
    if not items:
        raise UnparseableArticleError("the JSON Lines file holds no articles")
    return items


def _item(value: object, number: int) -> ParsedItem:
    canonical = canonical_json(value)
    if not isinstance(value, dict):
        error = UnparseableArticleError(f"item {number} is not a JSON object")
        return RejectedItem(number, canonical, error)
    try:
        article = article_from_object(value)
    except ArticleRejectedError as error:
        return RejectedItem(number, canonical, error)
    fingerprint = hashlib.sha256(canonical.encode("utf-8")).hexdigest()
    return dataclasses.replace(article, item=SourceItem(number, fingerprint))


def _invalid_json(error: json.JSONDecodeError) -> str:
    return f"invalid JSON at line {error.lineno}, column {error.colno}: {error.msg}"


def _json_kind(value: object) -> str:
    """What JSON calls a value's type (Python's names mean nothing to the file's author)."""
    if isinstance(value, bool):
        return "true or false"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    return "null" if value is None else "another kind of value"
