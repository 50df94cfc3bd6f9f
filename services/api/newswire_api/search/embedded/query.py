"""The SQL of the embedded index's reads: each function asks one question of a connection and
returns plain rows. Only this module and `filters` know the tables of
`newswire.embedded.search_index`; values are always bound parameters.

What differs from Elasticsearch, and why:
- Ranking is FTS5's BM25 with the search model's field boosts; Elasticsearch's BM25 is per field
  and sums, so scores and the order of close results differ.
- The body highlight is one best passage (FTS5 `snippet`), not up to two.
- `similar` takes the article's most distinctive words (tf-idf, from the index's own document
  frequencies) plus its top entities, like `more_like_this`, but without its
  minimum-should-match.
"""

import json
import math
import secrets
import sqlite3
from collections import Counter
from collections.abc import Sequence, Sized
from datetime import date
from typing import Any, NamedTuple

from newswire.embedded.search_index import PARAGRAPH_SEPARATOR, TEXT_COLUMNS
from newswire_api.search.cost import IndexStatistics
from newswire_api.search.embedded.text_query import TextQuery
from newswire_api.search.model import (
    SEARCHED_FIELDS,
    SIMILAR_BY_DISTINCTIVE_TERMS,
    SIMILAR_BY_TOP_ENTITIES,
    SIMILAR_FIELDS,
    STOP_WORDS,
    TRACKED_TOTAL,
    WORD,
    page_size_to_fetch,
)
from newswire_api.search_request import MISSING_DATE, Interval, SearchParams

# The search model's boosts as BM25 weights, in the order of the FTS5 table's columns.
BM25 = f"bm25(articles_text, {', '.join(str(SEARCHED_FIELDS[c]) for c in TEXT_COLUMNS)})"
SIMILAR_CANDIDATES = 100
BODY_SNIPPET_TOKENS = 30
# Around matches in highlights; `results` escapes the text, then makes these `<mark>` tags. A
# random token of this process's, so no text can hold one (a control character, say, could).
_MARK_TOKEN = secrets.token_hex(16)
MARK_START, MARK_END = f"[mark:{_MARK_TOKEN}]", f"[/mark:{_MARK_TOKEN}]"
_TIMELINE_KEYS: dict[Interval, str] = {
    "day": "publication_date",
    "week": "date(publication_date, '-' || ((strftime('%w', publication_date) + 6) % 7) "
    "|| ' days')",
    "month": "substr(publication_date, 1, 7) || '-01'",
}


class Condition(NamedTuple):
    """A condition on the `articles` table (as `a`) and the values of its `?`s."""

    sql: str
    arguments: list[Any]


class ArticleSet(NamedTuple):
    """Some articles, as SQL: a `WITH …` prefix (or ""), a SELECT of their rowids (None: every
    article), and the arguments of both, in order."""

    with_sql: str
    rowids: str | None
    arguments: list[Any]

    @classmethod
    def where(cls, conditions: Sequence[Condition]) -> "ArticleSet":
        if not conditions:
            return cls("", None, [])
        where = " AND ".join(condition.sql for condition in conditions)
        arguments = [argument for condition in conditions for argument in condition.arguments]
        return cls("", f"SELECT rowid FROM articles a WHERE {where}", arguments)


class Matches:
    """The articles a search keeps, as SQL: `WITH hits AS (…)` and its arguments, or, once
    `materialize` ran, the temporary table `hits` holding them (scored once per request)."""

    def __init__(self, text: TextQuery, conditions: Sequence[Condition]) -> None:
        where = [condition.sql for condition in conditions]
        args: list[Any] = []
        if text.match is not None:
            source = (
                f"(SELECT rowid, -{BM25} AS score FROM articles_text WHERE articles_text MATCH ?)"
                # CROSS JOIN: SQLite's way to keep the match the outer loop. Left to choose, the
                # planner walked a filter's index (every Sport article) and ran the full-text
                # match once per row: 1.2 s instead of 16 ms on 100k articles.
                " AS m CROSS JOIN articles a ON a.rowid = m.rowid"
            )
            score = "m.score"
            args.append(text.match)
        else:
            source, score = "articles a", "1.0"
        if text.exclude is not None:
            where.append(
                "a.rowid NOT IN (SELECT rowid FROM articles_text WHERE articles_text MATCH ?)"
            )
        if text.matches_nothing:
            where.append("0")
        self.select = (
            f"SELECT a.rowid AS rowid, a.id AS id, {score} AS score, "
            f"coalesce(a.date_sort, {MISSING_DATE}) AS date_sort, a.section AS section, "
            f"a.publication_date AS publication_date FROM {source}"
            + (" WHERE " + " AND ".join(where) if where else "")
        )
        self.select_arguments = [
            *args,
            *(a for condition in conditions for a in condition.arguments),
        ]
        if text.exclude is not None:
            self.select_arguments.append(text.exclude)
        self.sql = f"WITH hits AS ({self.select})"
        self.arguments = self.select_arguments
        self.narrowed = bool(conditions) or text.given

    def materialize(self, connection: sqlite3.Connection) -> None:
        """Run the full-text match and its scoring once, into this connection's temporary
        table `hits`; every later question reads that table instead of matching again."""
        connection.execute(_HITS_TABLE)
        connection.execute("DELETE FROM temp.hits")
        connection.execute(f"INSERT INTO temp.hits {self.select}", self.select_arguments)
        self.sql, self.arguments = "", []

    def articles(self) -> ArticleSet:
        if not self.narrowed:
            return ArticleSet("", None, [])  # every article: counts kept by the index serve
        return ArticleSet(self.sql, "SELECT rowid FROM hits", self.arguments)


_HITS_TABLE = (
    "CREATE TEMP TABLE IF NOT EXISTS hits (rowid INTEGER PRIMARY KEY, id TEXT, score REAL, "
    "date_sort INTEGER, section TEXT, publication_date TEXT)"
)


class PageRow(NamedTuple):
    rowid: int
    id: str
    score: float
    date_sort: int


def marks(values: Sized) -> str:
    """One `?` per value, for an `IN (…)`."""
    return ",".join("?" * len(values))


def page(
    connection: sqlite3.Connection, matches: Matches, params: SearchParams, after: list[Any] | None
) -> list[PageRow]:
    """The matches of one page and one more, in the order of the sort, after the cursor's."""
    key = "score" if params.effective_sort() == "relevance" else "date_sort"
    condition, arguments = "", list(matches.arguments)
    if after is not None:
        condition = f"WHERE {key} < ? OR ({key} = ? AND id > ?)"
        arguments += [after[0], after[0], after[1]]
    rows = connection.execute(
        f"{matches.sql} SELECT rowid, id, score, date_sort FROM hits {condition} "
        f"ORDER BY {key} DESC, id ASC LIMIT ?",
        (*arguments, page_size_to_fetch(params)),
    ).fetchall()
    return [PageRow(int(r[0]), str(r[1]), float(r[2]), int(r[3])) for r in rows]


def keep_best(connection: sqlite3.Connection, count: int) -> None:
    """Keep only the `count` best-scoring rows of the materialized `hits` (ties: by rowid), so
    that what is counted next (the facets) is counted over a sample."""
    connection.execute(
        "DELETE FROM temp.hits WHERE rowid NOT IN "
        "(SELECT rowid FROM temp.hits ORDER BY score DESC, rowid LIMIT ?)",
        (count,),
    )


def word_statistics(connection: sqlite3.Connection, words: list[str]) -> IndexStatistics:
    """The articles indexed, and how many hold each word (FTS5's vocabulary of the text)."""
    (articles,) = connection.execute("SELECT count(*) FROM articles").fetchone()
    frequencies = {
        str(term): int(documents)
        for term, documents in connection.execute(
            f"SELECT term, doc FROM articles_terms WHERE term IN ({marks(words)})", words
        )
    }
    return IndexStatistics(int(articles), frequencies)


def total(connection: sqlite3.Connection, matches: Matches) -> tuple[int, bool]:
    """How many articles match, and whether that is exact (counted up to TRACKED_TOTAL)."""
    (count,) = connection.execute(
        f"{matches.sql} SELECT count(*) FROM (SELECT 1 FROM hits LIMIT ?)",
        (*matches.arguments, TRACKED_TOTAL + 1),
    ).fetchone()
    if count > TRACKED_TOTAL:
        return TRACKED_TOTAL, False
    return int(count), True


def section_counts(
    connection: sqlite3.Connection, limit: int, matches: Matches | None = None
) -> list[tuple[str, int]]:
    """Articles per section, most first, among the matches (None: every article)."""
    with_sql, source, arguments = (
        (matches.sql, "hits", matches.arguments) if matches else ("", "articles", [])
    )
    rows = connection.execute(
        f"{with_sql} SELECT section, count(*) AS n FROM {source} WHERE section IS NOT NULL "
        "GROUP BY section ORDER BY n DESC, section LIMIT ?",
        (*arguments, limit),
    ).fetchall()
    return [(str(section), int(n)) for section, n in rows]


def timeline(
    connection: sqlite3.Connection, matches: Matches, interval: Interval
) -> list[tuple[date, int]]:
    """Dated matches per day, week (from Monday) or month, by first day."""
    rows = connection.execute(
        f"{matches.sql} SELECT {_TIMELINE_KEYS[interval]} AS start, count(*) "
        "FROM hits WHERE publication_date IS NOT NULL GROUP BY start ORDER BY start",
        matches.arguments,
    ).fetchall()
    return [(date.fromisoformat(start), int(n)) for start, n in rows]


def top_entities(
    connection: sqlite3.Connection, among: ArticleSet, labels: list[str], size: int
) -> list[tuple[str, str, int]]:
    """(label, name, articles) of the top `size` names per label among the articles.

    Over every article, the counts kept in `entity_names` are read through their index. Among
    some, their entity ids are reached from the articles (the clustered `article_entity_ids`)
    and grouped as integers; when they are more than half of the index, the articles left out
    are counted instead and taken from the totals, so no search counts more than half of the
    index's entity rows. The articles are the outer loop (CROSS JOIN: left to choose, SQLite
    scanned every entity row and looked its article up, 170 ms for 121 articles). All of it in
    SQL, which runs beside other threads (Python would hold the GIL); grouping the names as text
    took seconds on 100k articles."""
    if among.rowids is None:
        rows = [
            row
            for label in labels
            for row in connection.execute(
                "SELECT label, name, articles FROM entity_names WHERE label = ? AND articles > 0 "
                "ORDER BY articles DESC, name LIMIT ?",
                (label, size),
            )
        ]
        return [(str(label), str(name), int(n)) for label, name, n in rows]
    (chosen,) = connection.execute(
        f"{among.with_sql} SELECT count(*) FROM ({among.rowids})", among.arguments
    ).fetchone()
    (everything,) = connection.execute("SELECT count(*) FROM articles").fetchone()
    if chosen * 2 > everything:
        counted = (
            "SELECT e.label AS label, e.name AS name, e.articles - coalesce(o.n, 0) AS n "
            "FROM entity_names e LEFT JOIN (SELECT x.entity AS entity, count(*) AS n "
            "FROM articles a CROSS JOIN article_entity_ids x ON x.article = a.rowid "
            f"WHERE a.rowid NOT IN ({among.rowids}) GROUP BY x.entity) AS o ON o.entity = e.id "
            f"WHERE e.label IN ({marks(labels)})"
        )
    else:
        counted = (
            "SELECT e.label AS label, e.name AS name, c.n AS n FROM (SELECT x.entity AS entity, "
            f"count(*) AS n FROM ({among.rowids}) AS a CROSS JOIN article_entity_ids x "
            "ON x.article = a.rowid GROUP BY x.entity) AS c JOIN entity_names e ON e.id = c.entity "
            f"WHERE e.label IN ({marks(labels)})"
        )
    rows = connection.execute(
        f"{among.with_sql} SELECT label, name, n FROM (SELECT label, name, n, row_number() OVER "
        f"(PARTITION BY label ORDER BY n DESC, name) AS position FROM ({counted}) WHERE n > 0) "
        "WHERE position <= ? ORDER BY label, position",
        (*among.arguments, *labels, size),
    ).fetchall()
    return [(str(label), str(name), int(n)) for label, name, n in rows]


def highlights(
    connection: sqlite3.Connection, rowids: list[int], text: TextQuery
) -> dict[int, tuple[str | None, str | None, str | None]]:
    """Title, standfirst and best body passage of each article, matches between MARK_START and
    MARK_END; none without words to match."""
    if text.match is None or not rowids:
        return {}
    tags = f"'{MARK_START}', '{MARK_END}'"
    title, standfirst, body = (TEXT_COLUMNS.index(c) for c in ("title", "standfirst", "body"))
    return {
        int(rowid): (title_text, standfirst_text, body_text)
        for rowid, title_text, standfirst_text, body_text in connection.execute(
            f"SELECT rowid, highlight(articles_text, {title}, {tags}), "
            f"highlight(articles_text, {standfirst}, {tags}), "
            f"snippet(articles_text, {body}, {tags}, '…', {BODY_SNIPPET_TOKENS}) "
            f"FROM articles_text WHERE articles_text MATCH ? AND rowid IN ({marks(rowids)})",
            (text.match, *rowids),
        )
    }


def sources(connection: sqlite3.Connection, rowids: list[int]) -> dict[int, dict[str, Any]]:
    """The stored articles (JSON, as indexed) of these rows, with `updated`: when the story's
    current version replaced an earlier one."""
    if not rowids:
        return {}
    return {
        int(rowid): {**json.loads(source), "updated": updated}
        for rowid, source, updated in connection.execute(
            "SELECT c.rowid, c.source, a.updated FROM article_content c "
            f"JOIN articles a ON a.rowid = c.rowid WHERE c.rowid IN ({marks(rowids)})",
            rowids,
        )
    }


def visible_now(connection: sqlite3.Connection, now_ms: int) -> list[Condition]:
    """The condition that keeps only listings visible at `now_ms` (an embargo lifts by itself,
    at its time); none when every listing is visible, so the counts kept by the index serve."""
    hidden = connection.execute(
        "SELECT 1 FROM articles WHERE visible_from > ? LIMIT 1", (now_ms,)
    ).fetchone()
    return [] if hidden is None else [Condition("a.visible_from <= ?", [now_ms])]


def hidden_rowids(connection: sqlite3.Connection, now_ms: int) -> set[int]:
    """The listings not visible yet at `now_ms` (embargoed until later)."""
    return {
        int(rowid)
        for (rowid,) in connection.execute(
            "SELECT rowid FROM articles WHERE visible_from > ?", (now_ms,)
        )
    }


def stories_from_file(connection: sqlite3.Connection, sha256: str) -> list[str]:
    """The stories (JSON) with a version from the file with this sha256, by id (a full scan:
    for tools, not for searches)."""
    rows = connection.execute(
        "SELECT story FROM stories s WHERE EXISTS (SELECT 1 FROM json_each(s.story, "
        "'$.versions') v WHERE json_extract(v.value, '$.file_sha256') = ?) ORDER BY id",
        (sha256,),
    ).fetchall()
    return [str(row[0]) for row in rows]


def similar(
    connection: sqlite3.Connection, content_sha256: str, size: int, now_ms: int
) -> list[tuple[int, float]] | None:
    """(rowid, score) of the `size` visible articles most related to the listing of this
    content, best first; None when it is not listed."""
    fields = ", ".join(f"c.{field}" for field in SIMILAR_FIELDS)
    row = connection.execute(
        f"SELECT a.rowid, c.source, {fields} FROM articles a "
        "JOIN article_content c ON c.rowid = a.rowid WHERE a.content_sha256 = ?",
        (content_sha256,),
    ).fetchone()
    if row is None:
        return None
    rowid, source, *texts = row
    scores: dict[int, float] = {}
    terms = _distinctive_terms(connection, PARAGRAPH_SEPARATOR.join(texts))
    if terms:
        columns = " ".join(SIMILAR_FIELDS)
        match = f"{{{columns}}} : (" + " OR ".join(f'"{term}"' for term in terms) + ")"
        for candidate, score in connection.execute(
            f"SELECT rowid, -{BM25} FROM articles_text WHERE articles_text MATCH ? "
            "AND rowid != ? ORDER BY rank LIMIT ?",
            (match, rowid, SIMILAR_CANDIDATES),
        ):
            scores[candidate] = scores.get(candidate, 0.0) + score
    entities = json.loads(source).get("entities", [])
    names = [entity["name"] for entity in entities][:SIMILAR_BY_TOP_ENTITIES]
    if names:
        for candidate, shared in connection.execute(
            f"SELECT article, count(*) FROM article_entities WHERE name IN ({marks(names)}) "
            "AND article != ? GROUP BY article",
            (*names, rowid),
        ):
            scores[candidate] = scores.get(candidate, 0.0) + float(shared)
    hidden = hidden_rowids(connection, now_ms)
    visible = [(rowid, score) for rowid, score in scores.items() if rowid not in hidden]
    return sorted(visible, key=lambda item: (-item[1], item[0]))[:size]


def _distinctive_terms(connection: sqlite3.Connection, text: str) -> list[str]:
    """The article's words that best tell it apart: tf-idf over the whole index, as
    `more_like_this` picks them (documents with the word: at least 2)."""
    frequencies = Counter(
        word
        for word in (w.lower() for w in WORD.findall(text))
        if word not in STOP_WORDS and not word.isdigit()
    )
    if not frequencies:
        return []
    (documents,) = connection.execute("SELECT count(*) FROM articles").fetchone()
    weights = {
        term: frequencies[term] * math.log(documents / in_documents)
        for term, in_documents in connection.execute(
            f"SELECT term, doc FROM articles_terms WHERE term IN ({marks(frequencies)})",
            list(frequencies),
        )
        if in_documents >= 2
    }
    return sorted(weights, key=lambda term: (-weights[term], term))[:SIMILAR_BY_DISTINCTIVE_TERMS]
