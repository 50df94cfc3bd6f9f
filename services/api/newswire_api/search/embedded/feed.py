"""The live feed's SQL on the embedded index (`newswire_api.feed`): listings by rowid.

The indexer writes in one transaction at a time and a new `articles` row gets the largest rowid
plus one, so rowids order the writes readers can see; a row that replaces the newest one gets its
rowid again, which the position's tag tells apart (see `newswire_api.feed`). A page reads the
head and the matches in one read transaction, so every match up to the head is on it.
"""

import sqlite3
from typing import NamedTuple

from newswire_api.feed import FeedEvent, FeedPage, FeedPosition, row_tag
from newswire_api.search.embedded import query
from newswire_api.search.embedded.filters import search_conditions
from newswire_api.search.embedded.query import Condition
from newswire_api.search.embedded.results import hit
from newswire_api.search.embedded.text_query import TextQuery
from newswire_api.search_request import SearchParams


class _Row(NamedTuple):
    rowid: int
    tag: str
    visible_from: int


def head(connection: sqlite3.Connection, now_ms: int) -> tuple[FeedPosition, int | None]:
    """The newest row's position, and the next embargo to pass after `now_ms`."""
    newest = connection.execute(
        "SELECT rowid, id, content_sha256, updated FROM articles ORDER BY rowid DESC LIMIT 1"
    ).fetchone()
    (next_embargo,) = connection.execute(
        "SELECT min(visible_from) FROM articles WHERE visible_from > ?", (now_ms,)
    ).fetchone()
    position = (
        FeedPosition(-1, now_ms)
        if newest is None
        else FeedPosition(int(newest[0]), now_ms, row_tag(newest[1], newest[2], newest[3]))
    )
    return position, None if next_embargo is None else int(next_embargo)


def listed_after(
    connection: sqlite3.Connection,
    params: SearchParams,
    after: FeedPosition,
    now_ms: int,
    limit: int,
) -> FeedPage:
    text = TextQuery(params.q)
    filters = search_conditions(params)
    lifted = _rows(
        connection,
        text,
        [
            *filters,
            Condition(
                "a.visible_from > ? AND a.visible_from <= ?", [after.embargoes_until_ms, now_ms]
            ),
        ],
        "a.visible_from, a.rowid",
        limit,
    )
    lifted_full = len(lifted) >= limit
    embargoes_until = lifted[-1].visible_from - 1 if lifted_full else now_ms
    embargoes_until = max(embargoes_until, after.embargoes_until_ms)
    written = [
        row
        for row in _rows(
            connection,
            text,
            [*filters, Condition("a.visible_from <= ? AND a.rowid >= ?", [now_ms, after.sequence])],
            "a.rowid",
            limit + 2,
        )
        if not (row.rowid == after.sequence and row.tag == after.tag)
    ]
    written_full = len(written) > limit
    written = written[:limit]
    newest, _ = head(connection, now_ms)
    sources = query.sources(connection, [row.rowid for row in [*lifted, *written]])
    events = [
        FeedEvent(
            FeedPosition(
                after.sequence,
                embargoes_until if index == len(lifted) - 1 else after.embargoes_until_ms,
                after.tag,
            ),
            hit(sources[row.rowid], None),
        )
        for index, row in enumerate(lifted)
    ]
    delivered = {row.rowid for row in lifted}
    events += [
        FeedEvent(FeedPosition(row.rowid, embargoes_until, row.tag), hit(sources[row.rowid], None))
        for row in written
        if row.rowid not in delivered
    ]
    if written_full:
        position = FeedPosition(written[-1].rowid, embargoes_until, written[-1].tag)
    elif newest.sequence >= after.sequence:
        position = FeedPosition(newest.sequence, embargoes_until, newest.tag)
    else:
        position = FeedPosition(after.sequence, embargoes_until, after.tag)
    return FeedPage(events, position, more=lifted_full or written_full)


def _rows(
    connection: sqlite3.Connection,
    text: TextQuery,
    conditions: list[Condition],
    order: str,
    limit: int,
) -> list[_Row]:
    """The listings meeting `conditions` and the words, in `order`. The conditions narrow the
    rows first (a rowid range, or a range of `visible_from`: a few rows), and the words are
    checked on those rows alone: matching them over the whole index, as a search does, would
    cost every stream read as much as a search."""
    where = [*conditions, *_words(text)]
    rows = connection.execute(
        "SELECT a.rowid, a.id, a.content_sha256, a.updated, a.visible_from FROM articles a "
        f"WHERE {' AND '.join(c.sql for c in where)} ORDER BY {order} LIMIT ?",
        (*(argument for c in where for argument in c.arguments), limit),
    ).fetchall()
    return [_Row(int(r[0]), row_tag(r[1], r[2], r[3]), int(r[4])) for r in rows]


def _words(text: TextQuery) -> list[Condition]:
    """The search box's words as conditions on one row of `articles` (as `a`)."""
    one_row = "SELECT 1 FROM articles_text WHERE articles_text MATCH ? AND rowid = a.rowid"
    conditions = []
    if text.match is not None:
        conditions.append(Condition(f"EXISTS ({one_row})", [text.match]))
    if text.exclude is not None:
        conditions.append(Condition(f"NOT EXISTS ({one_row})", [text.exclude]))
    if text.matches_nothing:
        conditions.append(Condition("0", []))
    return conditions
