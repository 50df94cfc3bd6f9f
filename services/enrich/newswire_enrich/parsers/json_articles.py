"""JSON article objects, arrays of them, and JSON Lines (one article object per line).

In a several-article file each article's id is the sha256 of its canonical JSON (sorted keys,
compact, UTF-8), so the same article has the same id in whatever feed file it arrives; a broken
item is rejected on its own and the others go through.
"""

import dataclasses
import hashlib
import json

from newswire_enrich.article import ParsedItem, RejectedItem, SourceItem
from newswire_enrich.errors import ArticleRejectedError, UnparseableArticleError
from newswire_enrich.parsers.fields import article_from_fields


def parse_json(content: str) -> list[ParsedItem]:
    try:
        document = json.loads(content)
    except json.JSONDecodeError as error:
        raise UnparseableArticleError(_invalid_json(error)) from error
    if isinstance(document, dict):
        return [article_from_fields(document)]
    if isinstance(document, list):
        if not document:
            raise UnparseableArticleError("the JSON array holds no articles")
        return [_item(value, number) for number, value in enumerate(document, start=1)]
    raise UnparseableArticleError(
        f"JSON article files hold an object or an array of objects, not {type(document).__name__}"
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
    canonical = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    if not isinstance(value, dict):
        error = UnparseableArticleError(f"item {number} is not a JSON object")
        return RejectedItem(number, canonical, error)
    try:
        article = article_from_fields(value)
    except ArticleRejectedError as error:
        return RejectedItem(number, canonical, error)
    fingerprint = hashlib.sha256(canonical.encode("utf-8")).hexdigest()
    return dataclasses.replace(article, item=SourceItem(number, fingerprint))


def _invalid_json(error: json.JSONDecodeError) -> str:
    return f"invalid JSON at line {error.lineno}, column {error.colno}: {error.msg}"
