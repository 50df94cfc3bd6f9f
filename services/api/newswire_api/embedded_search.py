"""The search API on the embedded SQLite index (`newswire run`): the same answers, from FTS5.

The results are shaped like Elasticsearch's (hits with `_source`, `_score`, `highlight`, `sort`;
aggregations with buckets), so `search_results` turns them into the API's responses exactly as
for Elasticsearch, and the cursors are the same. Only this module knows SQL.

The user's query goes through the same safe parser as for Elasticsearch (`query_syntax`); every
word and phrase is then written as a quoted FTS5 string, so nothing a person types is FTS5 syntax.
What differs from Elasticsearch, and why:
- Ranking is FTS5's BM25 with the same field boosts; Elasticsearch's BM25 is per field and sums,
  so scores and the order of close results differ.
- English stop words are dropped from queries (Elasticsearch drops them at analysis); a query
  made only of stop words or punctuation matches nothing, as there.
- The body highlight is one best passage (FTS5 `snippet`), not up to two.
- `similar` takes the article's 25 most distinctive words (tf-idf, from the index's own document
  frequencies) plus its top entities, like `more_like_this`, but without its minimum-should-match.
- A negation inside an OR (`a OR -b`) is ignored; top-level negations work as in Elasticsearch.
"""

import html
import json
import math
import re
import sqlite3
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from newswire.embedded.search_index import (
    PARAGRAPH_SEPARATOR,
    is_initialised,
    stored_source,
)
from newswire.embedded.sqlite import connect
from newswire.enriched import EnrichedArticle
from newswire_api.ports import ArticleNotFoundError, SearchUnavailableError
from newswire_api.query_syntax import AllOf, AnyOf, Clause, Not, Phrase, Term, parse
from newswire_api.responses import (
    EntitiesResponse,
    SearchResponse,
    SectionsResponse,
    SimilarResponse,
)
from newswire_api.search_query import (
    ENTITY_FACETS,
    FACET_SIZE,
    SECTIONS_LIMIT,
    SUMMARY_FIELDS,
)
from newswire_api.search_request import (
    ENTITY_LABELS,
    EntitiesParams,
    SearchParams,
    SimilarParams,
    decode_cursor,
)
from newswire_api.search_results import counts, entity_counts, search_response, similar_hits

# Elasticsearch's `_english_` stop words, which its analyzer leaves out of queries.
_ENGLISH_STOP_WORDS = """a an and are as at be but by for if in into is it no not of on or such
that the their then there these they this to was will with"""
STOP_WORDS = frozenset(_ENGLISH_STOP_WORDS.split())
# The boosts of `search_query.SEARCHED_FIELDS`, in the FTS5 table's column order.
BM25 = "bm25(articles_text, 3.0, 2.0, 1.0, 1.0, 0.5)"
TRACKED_TOTAL = 10_000
# Elasticsearch sorts a missing date last in a descending sort with Long.MIN_VALUE.
MISSING_DATE = -(2**63)
SIMILAR_TERMS = 25
SIMILAR_BY_TOP_ENTITIES = 5
SIMILAR_CANDIDATES = 100
BODY_SNIPPET_TOKENS = 30
_MARK_START, _MARK_END = "\x02", "\x03"
_WORD = re.compile(r"\w+")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_TIMELINE_KEYS = {
    "day": "publication_date",
    "week": "date(publication_date, '-' || ((strftime('%w', publication_date) + 6) % 7) "
    "|| ' days')",
    "month": "substr(publication_date, 1, 7) || '-01'",
}


def _quoted(text: str) -> str | None:
    """A quoted FTS5 string (a phrase of its tokens), or None when it has no word in it.

    NUL ends a string inside SQLite's FTS5 parser ("unterminated string", found by the fuzz
    test), and no control character is part of a word anyway: they become spaces."""
    text = _CONTROL.sub(" ", text)
    return '"' + text.replace('"', '""') + '"' if _WORD.search(text) else None


def _expression(clause: Clause) -> str | None:
    """The FTS5 expression matching `clause`; None when it cannot match anything by itself."""
    match clause:
        case Term(text):
            return None if text.casefold() in STOP_WORDS else _quoted(text)
        case Phrase(text):
            return _quoted(text)
        case Not():
            return None  # only meaningful next to something positive: see AllOf
        case AnyOf(clauses):
            parts = [part for c in clauses if (part := _expression(c)) is not None]
            return "(" + " OR ".join(parts) + ")" if parts else None
        case AllOf(clauses):
            positive, negative = _split(clauses)
            if positive is None:
                return None
            return f"({positive} NOT {negative})" if negative else f"({positive})"


def _split(clauses: Sequence[Clause]) -> tuple[str | None, str | None]:
    """(what must match, what must not), each an FTS5 expression or None."""
    positive = [e for c in clauses if not isinstance(c, Not) and (e := _expression(c))]
    negative = [e for c in clauses if isinstance(c, Not) and (e := _expression(c.clause))]
    return (
        " AND ".join(positive) if positive else None,
        "(" + " OR ".join(negative) + ")" if negative else None,
    )


class _TextQuery:
    """What a `q` asks of the full-text index."""

    def __init__(self, q: str | None) -> None:
        parsed = parse(q or "")
        self.given = bool(parsed.clauses)
        self.match, self.exclude = _split(parsed.clauses)
        if self.match is not None and self.exclude is not None:
            self.match, self.exclude = f"({self.match}) NOT {self.exclude}", None
        # Words were typed, but none that can match (stop words, punctuation): no results.
        self.matches_nothing = self.given and self.match is None and self.exclude is None


class _Filtered:
    """The SQL of the articles a search keeps: `WITH hits AS (…)` and its parameters."""

    def __init__(self, text: _TextQuery, conditions: list[str], arguments: list[Any]) -> None:
        where = list(conditions)
        args: list[Any] = []
        if text.match is not None:
            source = (
                f"(SELECT rowid, -{BM25} AS score FROM articles_text WHERE articles_text MATCH ?)"
                " AS m JOIN articles a ON a.rowid = m.rowid"
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
        self.sql = (
            f"WITH hits AS (SELECT a.rowid AS rowid, a.id AS id, {score} AS score, "
            f"coalesce(a.date_sort, {MISSING_DATE}) AS date_sort, a.section AS section, "
            f"a.publication_date AS publication_date FROM {source}"
            + (" WHERE " + " AND ".join(where) if where else "")
            + ")"
        )
        self.arguments = [*args, *arguments]
        if text.exclude is not None:
            self.arguments.append(text.exclude)


def _any_of(column: str, values: Sequence[str]) -> tuple[list[str], list[Any]]:
    if not values:
        return [], []
    marks = ",".join("?" * len(values))
    return [f"{column} IN ({marks})"], [value.casefold() for value in values]


def _date_conditions(params: SearchParams | EntitiesParams) -> tuple[list[str], list[Any]]:
    conditions: list[str] = []
    arguments: list[Any] = []
    from_date, to_date = params.bounds()
    if from_date is not None:
        conditions.append("a.publication_date >= ?")
        arguments.append(from_date.isoformat())
    if to_date is not None:
        conditions.append("a.publication_date <= ?")
        arguments.append(to_date.isoformat())
    return conditions, arguments


def _search_conditions(params: SearchParams) -> tuple[list[str], list[Any]]:
    conditions, arguments = _any_of("a.section_key", params.section)
    for more in (
        _any_of("a.language_key", params.language),
        _date_conditions(params),
    ):
        conditions += more[0]
        arguments += more[1]
    if params.author:
        marks = ",".join("?" * len(params.author))
        conditions.append(
            f"a.rowid IN (SELECT article FROM article_authors WHERE author_key IN ({marks}))"
        )
        arguments += [author.casefold() for author in params.author]
    for entity in params.entity_filters():
        label = " AND label = ?" if entity.label is not None else ""
        conditions.append(
            f"a.rowid IN (SELECT article FROM entity_forms WHERE form_key = ?{label})"
        )
        arguments.append(entity.name.casefold())
        if entity.label is not None:
            arguments.append(entity.label)
    return conditions, arguments


def _marked(text: str | None) -> str | None:
    """HTML-escaped text with `<mark>` around matches, as Elasticsearch's html encoder gives;
    None when nothing in it matched."""
    if text is None or _MARK_START not in text:
        return None
    escaped = html.escape(text.replace("\n", " "), quote=True)
    return escaped.replace(_MARK_START, "<mark>").replace(_MARK_END, "</mark>")


def _summary(source: dict[str, Any]) -> dict[str, Any]:
    return {field: source[field] for field in SUMMARY_FIELDS if field in source}


class EmbeddedArticleSearch:
    def __init__(self, path: Path, timeout_s: float) -> None:
        self._path = path
        self._timeout_s = timeout_s
        self._local = threading.local()

    # --- the port ------------------------------------------------------------------------------

    def search(self, params: SearchParams) -> SearchResponse:
        after = decode_cursor(params)
        text = _TextQuery(params.q)
        filtered = _Filtered(text, *_search_conditions(params))
        with self._connection() as connection:
            page = self._page(connection, filtered, params, after)
            result: dict[str, Any] = {
                "hits": {
                    "hits": self._hits(connection, page, text, params),
                    "total": self._total(connection, filtered),
                }
            }
            if after is None:
                result["aggregations"] = self._facets(connection, filtered, params)
        return search_response(params, result)

    def article(self, article_id: str) -> EnrichedArticle:
        with self._connection() as connection:
            source = stored_source(connection, article_id)
        if source is None:
            raise ArticleNotFoundError(article_id)
        return EnrichedArticle.model_validate(source)

    def similar(self, article_id: str, params: SimilarParams) -> SimilarResponse:
        with self._connection() as connection:
            row = connection.execute(
                "SELECT a.rowid, c.title, c.body, c.source FROM articles a "
                "JOIN article_content c ON c.rowid = a.rowid WHERE a.id = ?",
                (article_id,),
            ).fetchone()
            if row is None:
                raise ArticleNotFoundError(article_id)
            rowid, title, body, source = row
            scores: dict[int, float] = {}
            terms = self._distinctive_terms(connection, f"{title}{PARAGRAPH_SEPARATOR}{body}")
            if terms:
                match = "{title body} : (" + " OR ".join(f'"{term}"' for term in terms) + ")"
                for candidate, score in connection.execute(
                    f"SELECT rowid, -{BM25} FROM articles_text WHERE articles_text MATCH ? "
                    "AND rowid != ? ORDER BY rank LIMIT ?",
                    (match, rowid, SIMILAR_CANDIDATES),
                ):
                    scores[candidate] = scores.get(candidate, 0.0) + score
            names = [entity["name"] for entity in json.loads(source).get("entities", [])]
            if names[:SIMILAR_BY_TOP_ENTITIES]:
                marks = ",".join("?" * len(names[:SIMILAR_BY_TOP_ENTITIES]))
                for candidate, shared in connection.execute(
                    f"SELECT article, count(*) FROM article_entities WHERE name IN ({marks}) "
                    "AND article != ? GROUP BY article",
                    (*names[:SIMILAR_BY_TOP_ENTITIES], rowid),
                ):
                    scores[candidate] = scores.get(candidate, 0.0) + float(shared)
            best = sorted(scores.items(), key=lambda item: (-item[1], item[0]))[: params.size]
            sources = self._sources(connection, [candidate for candidate, _ in best])
        hits = [
            {"_source": _summary(sources[candidate]), "_score": score}
            for candidate, score in best
            if candidate in sources
        ]
        similar = similar_hits({"hits": {"hits": hits}})
        return SimilarResponse(article_id=article_id, similar=similar)

    def entities(self, params: EntitiesParams) -> EntitiesResponse:
        conditions, arguments = _any_of("a.section_key", params.section)
        dates = _date_conditions(params)
        conditions += dates[0]
        arguments += dates[1]
        articles = (
            "SELECT rowid FROM articles a WHERE " + " AND ".join(conditions) if conditions else None
        )
        labels = sorted(set(params.label or ENTITY_LABELS))
        with self._connection() as connection:
            aggregation = self._top_entities(
                connection,
                with_sql="",
                with_arguments=[],
                labels=labels,
                size=params.size,
                articles=articles,
                arguments=arguments,
            )
        return EntitiesResponse(entities=entity_counts(aggregation)[: params.size])

    def sections(self) -> SectionsResponse:
        with self._connection() as connection:
            rows = connection.execute(
                "SELECT section, count(*) AS n FROM articles WHERE section IS NOT NULL "
                "GROUP BY section ORDER BY n DESC, section LIMIT ?",
                (SECTIONS_LIMIT,),
            ).fetchall()
        return SectionsResponse(sections=counts({"buckets": _buckets(rows)}))

    def is_ready(self) -> bool:
        try:
            with self._connection():
                return True
        except SearchUnavailableError:
            return False

    def close(self) -> None:
        connection = getattr(self._local, "connection", None)
        if connection is not None:
            connection.close()
            self._local.connection = None

    # --- the queries --------------------------------------------------------------------------

    def _page(
        self,
        connection: sqlite3.Connection,
        filtered: _Filtered,
        params: SearchParams,
        after: list[Any] | None,
    ) -> list[tuple[int, str, float, int]]:
        key = "score" if params.effective_sort() == "relevance" else "date_sort"
        condition, arguments = "", list(filtered.arguments)
        if after is not None:
            condition = f"WHERE {key} < ? OR ({key} = ? AND id > ?)"
            arguments += [after[0], after[0], after[1]]
        rows = connection.execute(
            f"{filtered.sql} SELECT rowid, id, score, date_sort FROM hits {condition} "
            f"ORDER BY {key} DESC, id ASC LIMIT ?",
            (*arguments, params.size + 1),
        ).fetchall()
        return [(int(r[0]), str(r[1]), float(r[2]), int(r[3])) for r in rows]

    def _hits(
        self,
        connection: sqlite3.Connection,
        page: list[tuple[int, str, float, int]],
        text: _TextQuery,
        params: SearchParams,
    ) -> list[dict[str, Any]]:
        sources = self._sources(connection, [rowid for rowid, *_ in page])
        highlights = self._highlights(connection, [r[0] for r in page], text)
        relevance = params.effective_sort() == "relevance"
        return [
            {
                "_source": _summary(sources[rowid]),
                "_score": score if relevance else None,
                "highlight": highlights.get(rowid, {}),
                "sort": [score if relevance else date_sort, article_id],
            }
            for rowid, article_id, score, date_sort in page
        ]

    def _highlights(
        self, connection: sqlite3.Connection, rowids: list[int], text: _TextQuery
    ) -> dict[int, dict[str, list[str]]]:
        if text.match is None or not rowids:
            return {}
        marks = ",".join("?" * len(rowids))
        tags = f"'{_MARK_START}', '{_MARK_END}'"
        found: dict[int, dict[str, list[str]]] = {}
        for rowid, title, standfirst, body in connection.execute(
            f"SELECT rowid, highlight(articles_text, 0, {tags}), "
            f"highlight(articles_text, 1, {tags}), "
            f"snippet(articles_text, 2, {tags}, '…', {BODY_SNIPPET_TOKENS}) "
            f"FROM articles_text WHERE articles_text MATCH ? AND rowid IN ({marks})",
            (text.match, *rowids),
        ):
            fields = {
                name: [marked]
                for name, value in (("title", title), ("standfirst", standfirst), ("body", body))
                if (marked := _marked(value)) is not None
            }
            found[int(rowid)] = fields
        return found

    def _total(self, connection: sqlite3.Connection, filtered: _Filtered) -> dict[str, Any]:
        (count,) = connection.execute(
            f"{filtered.sql} SELECT count(*) FROM (SELECT 1 FROM hits LIMIT ?)",
            (*filtered.arguments, TRACKED_TOTAL + 1),
        ).fetchone()
        if count > TRACKED_TOTAL:
            return {"value": TRACKED_TOTAL, "relation": "gte"}
        return {"value": int(count), "relation": "eq"}

    def _facets(
        self, connection: sqlite3.Connection, filtered: _Filtered, params: SearchParams
    ) -> dict[str, Any]:
        sections = connection.execute(
            f"{filtered.sql} SELECT section, count(*) AS n FROM hits WHERE section IS NOT NULL "
            "GROUP BY section ORDER BY n DESC, section LIMIT ?",
            (*filtered.arguments, FACET_SIZE),
        ).fetchall()
        timeline = connection.execute(
            f"{filtered.sql} SELECT {_TIMELINE_KEYS[params.interval]} AS start, count(*) "
            "FROM hits WHERE publication_date IS NOT NULL GROUP BY start ORDER BY start",
            filtered.arguments,
        ).fetchall()
        labels = sorted({label for group in ENTITY_FACETS.values() for label in group})
        entities = self._top_entities(
            connection,
            with_sql=filtered.sql,
            with_arguments=filtered.arguments,
            labels=labels,
            size=FACET_SIZE,
            articles="SELECT rowid FROM hits",
            arguments=[],
        )
        return {
            "sections": {"buckets": _buckets(sections)},
            "entities": entities,
            "timeline": {
                "buckets": [{"key_as_string": start, "doc_count": n} for start, n in timeline]
            },
        }

    def _top_entities(
        self,
        connection: sqlite3.Connection,
        *,
        with_sql: str,
        with_arguments: list[Any],
        labels: list[str],
        size: int,
        articles: str | None,
        arguments: list[Any],
    ) -> dict[str, Any]:
        """The top `size` names per label among `articles` (a SELECT of rowids; None: all),
        shaped as `search_query._entity_aggregation`'s result.

        The entity rows are reached from the articles (a join on the per-article index), not
        the other way round: an `IN (…)` filter made SQLite read every entity row, 2 s on 100k
        articles whatever the number of matches."""
        marks = ",".join("?" * len(labels))
        source = (
            f"({articles}) AS chosen JOIN article_entities e ON e.article = chosen.rowid"
            if articles is not None
            else "article_entities e"
        )
        rows = connection.execute(
            f"{with_sql} SELECT label, name, n FROM ("
            "SELECT e.label AS label, e.name AS name, count(*) AS n, row_number() OVER "
            "(PARTITION BY e.label ORDER BY count(*) DESC, e.name) AS position "
            f"FROM {source} WHERE e.label IN ({marks}) "
            "GROUP BY e.label, e.name) WHERE position <= ? ORDER BY label, position",
            (*with_arguments, *arguments, *labels, size),
        ).fetchall()
        by_label: dict[str, list[dict[str, Any]]] = {}
        for label, name, n in rows:
            by_label.setdefault(label, []).append({"key": name, "doc_count": n})
        return {
            "labels": {
                "buckets": [
                    {"key": label, "names": {"buckets": names}} for label, names in by_label.items()
                ]
            }
        }

    def _sources(self, connection: sqlite3.Connection, rowids: list[int]) -> dict[int, Any]:
        if not rowids:
            return {}
        marks = ",".join("?" * len(rowids))
        return {
            int(rowid): json.loads(source)
            for rowid, source in connection.execute(
                f"SELECT rowid, source FROM article_content WHERE rowid IN ({marks})", rowids
            )
        }

    def _distinctive_terms(self, connection: sqlite3.Connection, text: str) -> list[str]:
        """The article's words that best tell it apart: tf-idf over the whole index, as
        `more_like_this` picks them (documents with the word: at least 2)."""
        frequencies = Counter(
            word
            for word in (w.lower() for w in _WORD.findall(text))
            if word not in STOP_WORDS and not word.isdigit()
        )
        if not frequencies:
            return []
        (documents,) = connection.execute("SELECT count(*) FROM articles").fetchone()
        marks = ",".join("?" * len(frequencies))
        weights = {
            term: frequencies[term] * math.log(documents / in_documents)
            for term, in_documents in connection.execute(
                f"SELECT term, doc FROM articles_terms WHERE term IN ({marks})", list(frequencies)
            )
            if in_documents >= 2
        }
        return sorted(weights, key=lambda term: (-weights[term], term))[:SIMILAR_TERMS]

    # --- connections --------------------------------------------------------------------------

    @contextmanager
    def _connection(self) -> Iterator[sqlite3.Connection]:
        """This thread's connection, with queries cut off after the API's search timeout."""
        connection = getattr(self._local, "connection", None)
        if connection is None:
            connection = self._open()
            self._local.connection = connection
        deadline = time.monotonic() + self._timeout_s
        connection.set_progress_handler(_past(deadline), 10_000)
        try:
            yield connection
        except sqlite3.OperationalError as error:
            raise SearchUnavailableError(f"the embedded index did not answer: {error}") from error
        finally:
            connection.set_progress_handler(None, 0)

    def _open(self) -> sqlite3.Connection:
        if not self._path.is_file():
            raise SearchUnavailableError(f"nothing has been indexed yet ({self._path} is absent)")
        connection = connect(self._path, busy_timeout_s=self._timeout_s)
        if not is_initialised(connection):
            connection.close()
            raise SearchUnavailableError(f"nothing has been indexed yet ({self._path} is empty)")
        return connection


def _past(deadline: float) -> Callable[[], int]:
    def interrupt() -> int:
        return 1 if time.monotonic() > deadline else 0

    return interrupt


def _buckets(rows: Sequence[tuple[Any, Any]]) -> list[dict[str, Any]]:
    return [{"key": key, "doc_count": n} for key, n in rows]
