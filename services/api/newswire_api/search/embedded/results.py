"""From the embedded index's rows to the API's response models. Pure functions, no I/O."""

import html
from datetime import date
from typing import Any

from newswire_api.responses import Count, EntityCount, Highlights, SearchHit, TimelineBucket
from newswire_api.search.embedded.query import MARK_END, MARK_START
from newswire_api.search.model import SUMMARY_FIELDS, search_hit, without_control_characters

Marked = tuple[str | None, str | None, str | None]


def hit(source: dict[str, Any], score: float | None, marked: Marked | None = None) -> SearchHit:
    """A hit from its stored article and, when words were searched, `query.highlights`."""
    summary = {field: source[field] for field in SUMMARY_FIELDS if field in source}
    return search_hit(summary, score, _highlights(marked) if marked is not None else None)


def counts(rows: list[tuple[str, int]]) -> list[Count]:
    return [Count(value=value, count=n) for value, n in rows]


def entity_counts(rows: list[tuple[str, str, int]]) -> list[EntityCount]:
    return [
        EntityCount.model_validate({"name": name, "label": label, "count": n})
        for label, name, n in rows
    ]


def timeline(rows: list[tuple[date, int]]) -> list[TimelineBucket]:
    return [TimelineBucket(start=start, count=n) for start, n in rows]


def _highlights(marked: Marked) -> Highlights:
    title, standfirst, body = (_marked(text) for text in marked)
    return Highlights(title=title, standfirst=standfirst, body=[body] if body is not None else [])


def _marked(text: str | None) -> str | None:
    """HTML-escaped text with `<mark>` around matches, as Elasticsearch's html encoder gives;
    None when nothing in it matched."""
    if text is None or MARK_START not in text:
        return None
    escaped = html.escape(without_control_characters(text.replace("\n", " ")), quote=True)
    return escaped.replace(MARK_START, "<mark>").replace(MARK_END, "</mark>")
