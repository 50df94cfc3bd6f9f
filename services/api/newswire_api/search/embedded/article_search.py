"""The `ArticleSearch` port on the embedded SQLite index (`newswire run`): the same answers as
Elasticsearch gives, from FTS5.

Each method runs the SQL of `query` (filters from `filters`, text from `text_query`) on this
thread's connection and maps the rows with `results`. A search with words is first planned from
its words' document frequencies (`search.cost`: too broad or too large a page is a 422), then
matched and scored once, into a temporary table its page, total and facets then read
(`query.Matches.materialize`); when it matches more than the facet sample, the table keeps its
best rows only before the facets are counted.
Every request has the API's time budget: SQLite's progress handler interrupts whatever runs past
it, answered 503. SQLite's failures become the port's `SearchUnavailableError` here, with
messages that name no file.
"""

import logging
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from newswire.embedded.search_index import epoch_ms_of, is_initialised, read_stories
from newswire.embedded.sqlite import connect
from newswire.enriched import Story
from newswire.settings import Settings
from newswire_api.admission import IndexTurns
from newswire_api.feed import FeedPage, FeedPosition
from newswire_api.ports import ArticleNotFoundError, SearchUnavailableError
from newswire_api.responses import (
    EntitiesResponse,
    Facets,
    SearchResponse,
    SectionsResponse,
    SimilarResponse,
)
from newswire_api.search.cost import (
    CostLimits,
    DocumentFrequencies,
    IndexStatistics,
    plan_search,
)
from newswire_api.search.embedded import feed, query
from newswire_api.search.embedded.filters import entities_conditions, search_conditions
from newswire_api.search.embedded.results import counts, entity_counts, hit, timeline
from newswire_api.search.embedded.text_query import TextQuery
from newswire_api.search.model import (
    FACET_LABELS,
    FACET_SIZE,
    SECTIONS_LIMIT,
    RankedHit,
    facets,
    most_mentioned,
    one_page,
)
from newswire_api.search_request import (
    CursorCodec,
    EntitiesParams,
    SearchParams,
    SimilarParams,
)

log = logging.getLogger(__name__)

UNAVAILABLE = "search is unavailable right now"
OVER_BUDGET = (
    "search ran past its time budget and was stopped: narrow it (fewer alternatives, a filter) "
    "or try again later"
)

# SQLite asks the progress handler (Python: it takes the GIL) every this many virtual-machine
# steps whether the budget is spent.
PROGRESS_CHECK_EVERY = 10_000


class _NothingIndexedError(SearchUnavailableError):
    """The index file is absent or was never written to."""


class EmbeddedArticleSearch:
    """`turns`: how many requests read the index at once (default: one per core, waiting up to
    `timeout_s`); the others wait their turn (`admission.IndexTurns`: the client that used the
    index least lately first) before their time budget starts. As Elasticsearch's search thread
    pool does: SQLite runs each query on the calling thread, and twenty at once on two cores
    each ran ten times slower, so that heavy ones went past the budget (503) that they meet
    alone."""

    def __init__(
        self,
        path: Path,
        timeout_s: float,
        cursors: CursorCodec,
        budget_s: float | None = None,
        *,
        turns: IndexTurns | None = None,
        limits: CostLimits | None = None,
    ) -> None:
        self._path = path
        self._timeout_s = timeout_s
        self._budget_s = budget_s if budget_s is not None else timeout_s
        self._cursors = cursors
        self._local = threading.local()
        self._turns = turns or IndexTurns(os.cpu_count() or 1, timeout_s)
        self._limits = limits or CostLimits.from_settings(Settings())
        self._frequencies = DocumentFrequencies()

    def search(self, params: SearchParams) -> SearchResponse:
        after = self._cursors.decode(params)
        text = TextQuery(params.q)
        relevance = params.effective_sort() == "relevance"
        # Planned before this search takes its turn: a refusal needs none, and the statistics
        # are read in a turn of their own only when not known lately.
        plan = plan_search(params, self._statistics, self._limits)
        with self._connection() as connection:
            visible = query.visible_now(connection, _now_ms())
            matches = query.Matches(text, [*search_conditions(params), *visible])
            if text.match is not None:
                matches.materialize(connection)
            rows = query.page(connection, matches, params, after)
            rowids = [row.rowid for row in rows]
            sources = query.sources(connection, rowids)
            highlights = query.highlights(connection, rowids, text)
            total, total_is_exact = query.total(connection, matches)
            sample = plan.facet_sample
            if sample is None or text.match is None or (total <= sample and total_is_exact):
                sample = None  # every match is counted
            else:
                query.keep_best(connection, sample)
            first_page_facets = (
                self._facets(connection, matches, params, sample) if after is None else None
            )
        ranked = [
            RankedHit(
                hit(sources[r.rowid], r.score if relevance else None, highlights.get(r.rowid)),
                [r.score if relevance else r.date_sort, r.id],
            )
            for r in rows
        ]
        return one_page(
            params, ranked, total, total_is_exact, first_page_facets, cursors=self._cursors
        )

    def story(self, article_id: str) -> Story:
        with self._connection() as connection:
            story = read_stories(connection, [article_id]).get(article_id)
        if story is None:
            raise ArticleNotFoundError(article_id)
        return story

    def similar(self, article_id: str, params: SimilarParams) -> SimilarResponse:
        with self._connection() as connection:
            story = read_stories(connection, [article_id]).get(article_id)
            if story is None or story.current is None:
                raise ArticleNotFoundError(article_id)
            content = story.current.content_sha256
            best = query.similar(connection, content, params.size, _now_ms()) or []
            sources = query.sources(connection, [rowid for rowid, _ in best])
        related = [hit(sources[rowid], score) for rowid, score in best if rowid in sources]
        return SimilarResponse(article_id=article_id, similar=related)

    def entities(self, params: EntitiesParams) -> EntitiesResponse:
        with self._connection() as connection:
            visible = query.visible_now(connection, _now_ms())
            among = query.ArticleSet.where([*entities_conditions(params), *visible])
            rows = query.top_entities(connection, among, params.counted_labels(), params.size)
        return EntitiesResponse(entities=most_mentioned(entity_counts(rows))[: params.size])

    def sections(self) -> SectionsResponse:
        with self._connection() as connection:
            visible = query.visible_now(connection, _now_ms())
            matches = query.Matches(TextQuery(None), visible) if visible else None
            rows = query.section_counts(connection, SECTIONS_LIMIT, matches)
        return SectionsResponse(sections=counts(rows))

    def stories_from_file(self, sha256: str) -> list[Story]:
        try:
            with self._connection() as connection:
                found = query.stories_from_file(connection, sha256)
        except _NothingIndexedError:
            return []
        return [Story.model_validate_json(story) for story in found]

    def feed_head(self, now_ms: int) -> tuple[FeedPosition, int | None]:
        with self._connection() as connection:
            return feed.head(connection, now_ms)

    def listed_after(
        self, params: SearchParams, after: FeedPosition, now_ms: int, limit: int
    ) -> FeedPage:
        with self._connection() as connection:
            return feed.listed_after(connection, params, after, now_ms, limit)

    def is_ready(self) -> bool:
        try:  # without waiting for a turn: a busy API is still ready
            with self._read_transaction():
                return True
        except SearchUnavailableError:
            return False

    def close(self) -> None:
        connection = getattr(self._local, "connection", None)
        if connection is not None:
            connection.close()
            self._local.connection = None

    def _statistics(self, words: list[str]) -> IndexStatistics:
        return self._frequencies.of(words, self._read_statistics)

    def _read_statistics(self, words: list[str]) -> IndexStatistics:
        with self._connection() as connection:
            return query.word_statistics(connection, words)

    def _facets(
        self,
        connection: sqlite3.Connection,
        matches: query.Matches,
        params: SearchParams,
        sample: int | None,
    ) -> Facets:
        sections = query.section_counts(connection, FACET_SIZE, matches)
        by_interval = query.timeline(connection, matches, params.interval)
        entities = query.top_entities(connection, matches.articles(), FACET_LABELS, FACET_SIZE)
        return facets(counts(sections), entity_counts(entities), timeline(by_interval), sample)

    @contextmanager
    def _connection(self) -> Iterator[sqlite3.Connection]:
        """This thread's connection once it is this request's turn, in a read transaction
        (every query of a request sees the same snapshot, whatever the indexer commits
        meanwhile), cut off past the time budget."""
        with self._turns.turn(), self._read_transaction() as connection:
            yield connection

    @contextmanager
    def _read_transaction(self) -> Iterator[sqlite3.Connection]:
        connection = getattr(self._local, "connection", None)
        if connection is None:
            connection = self._open()
            self._local.connection = connection
        deadline = time.monotonic() + self._budget_s
        connection.set_progress_handler(_past(deadline), PROGRESS_CHECK_EVERY)
        try:
            connection.execute("BEGIN")
            try:
                yield connection
            finally:
                if connection.in_transaction:
                    connection.execute("ROLLBACK")  # read only: nothing to keep
        except sqlite3.OperationalError as error:
            if str(error) == "interrupted":
                raise SearchUnavailableError(OVER_BUDGET) from error
            log.warning("the embedded index %s did not answer: %s", self._path, error)
            raise SearchUnavailableError(f"{UNAVAILABLE}: the index did not answer") from error
        finally:
            connection.set_progress_handler(None, 0)

    def _open(self) -> sqlite3.Connection:
        # The file's path is for the log, never for the client (it tells how the host is laid out).
        if not self._path.is_file():
            raise _nothing_indexed("the index file does not exist yet")
        connection = connect(self._path, busy_timeout_s=self._timeout_s)
        connection.execute("PRAGMA temp_store = MEMORY")
        if not is_initialised(connection):
            (version,) = connection.execute("PRAGMA user_version").fetchone()
            connection.close()
            if version:
                raise SearchUnavailableError(
                    f"{UNAVAILABLE}: the index has schema {version}; the indexer brings it up to "
                    "date when it starts"
                )
            raise _nothing_indexed("the index file is empty")
        return connection


def _now_ms() -> int:
    """The time of the request, as the index keeps `visible_from`."""
    return epoch_ms_of(datetime.now(UTC))


def _nothing_indexed(why: str) -> _NothingIndexedError:
    return _NothingIndexedError(f"{UNAVAILABLE}: nothing has been indexed yet ({why})")


def _past(deadline: float) -> Callable[[], int]:
    def interrupt() -> int:
        return 1 if time.monotonic() > deadline else 0

    return interrupt
