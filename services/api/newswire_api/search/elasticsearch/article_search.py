"""The `ArticleSearch` port on Elasticsearch: read-only requests behind the articles alias.

Each method builds its body (`query`), sends it through `failures.translated_failures` and maps
the answer (`results`), so this is the only module that holds a client. Every request to
Elasticsearch holds one of the API's turns (`admission.IndexTurns`, as many as Elasticsearch's
search threads by default), so searches queue in the API, fairly between clients, rather than
in Elasticsearch's own queue, first come first served. Every search carries the
API's time budget (`timeout`); one that runs past it is stopped by Elasticsearch and answered
503 rather than with partial results. The index version behind the alias (which decides how
entities are counted, see `query`) is read from its mapping and looked at again every
INDEX_VERSION_TTL_S, so an alias moved by `newswire reindex` is followed without a restart.
"""

import logging
import os
import threading
import time
from typing import Any

from elasticsearch import Elasticsearch, NotFoundError

from newswire.adapters.elasticsearch import create_client
from newswire.article_index import CLAIMS, LISTING, stories_alias, story_of
from newswire.enriched import EnrichedArticle, Story
from newswire.settings import Settings
from newswire_api.admission import IndexTurns
from newswire_api.feed import FeedPage, FeedPosition
from newswire_api.ports import ArticleNotFoundError, SearchRefusedError, SearchUnavailableError
from newswire_api.responses import (
    EntitiesResponse,
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
from newswire_api.search.elasticsearch import feed
from newswire_api.search.elasticsearch.failures import (
    OVER_BUDGET,
    AccessProblem,
    translated_failures,
)
from newswire_api.search.elasticsearch.query import (
    FILE_ARTICLES_PAGE,
    entities_body,
    search_body,
    sections_body,
    similar_body,
    stories_from_file_body,
    word_statistics,
    word_statistics_body,
)
from newswire_api.search.elasticsearch.results import (
    search_response,
    section_counts,
    similar_hits,
    stories,
    top_entities,
)
from newswire_api.search.model import SIMILAR_BY_TOP_ENTITIES
from newswire_api.search_request import (
    MAX_ID_BYTES,
    CursorCodec,
    EntitiesParams,
    SearchParams,
    SimilarParams,
)

log = logging.getLogger(__name__)

INDEX_VERSION_TTL_S = 30.0
DEFAULT_TURN_WAIT_S = 10.0  # NEWSWIRE_API_SEARCH_TIMEOUT_S's default


def default_turns() -> int:
    """Requests in Elasticsearch at once: as many as its search thread pool has on a node with
    this machine's cores (`int(cores * 3 / 2) + 1`); more would only wait in its queue."""
    return (os.cpu_count() or 1) * 3 // 2 + 1


def create_search_client(settings: Settings) -> Elasticsearch:
    # No retries of a search that timed out: a person is waiting, and the search either answers
    # in time or the API says so (503). A node that refuses the connection (gone) is another
    # matter: the request goes to the next node at once, so a cluster's loss of one node is no
    # failed search. One pooled connection per worker thread of the HTTP layer (40 in AnyIO's
    # pool). The connection options (TLS, credentials) are every client's: `create_client`'s.
    return create_client(
        settings,
        request_timeout=settings.api_search_timeout_s,
        max_retries=len(settings.elasticsearch_urls) - 1,
        retry_on_timeout=False,
        connections_per_node=40,
    )


class ElasticsearchArticleSearch:
    def __init__(
        self,
        client: Elasticsearch,
        alias: str,
        cursors: CursorCodec,
        budget_s: float,
        *,
        turns: IndexTurns | None = None,
        limits: CostLimits | None = None,
        access_problem: AccessProblem = lambda _: None,
    ) -> None:
        self._client = client
        self._access_problem = access_problem
        self._alias = alias
        # Story documents: their own alias, or the articles alias in an index made before.
        self._stories = stories_alias(alias)
        self._stories_or_before = f"{self._stories},{alias}"
        self._cursors = cursors
        self._budget_ms = max(1, round(budget_s * 1000))
        # Outside the API (tools, tests) the turns are this object's own.
        self._turns = turns or IndexTurns(default_turns(), wait_s=DEFAULT_TURN_WAIT_S)
        self._limits = limits or CostLimits.from_settings(Settings())
        self._frequencies = DocumentFrequencies()
        self._version_lock = threading.Lock()
        self._version: tuple[int, float] | None = None  # (index version, when it was read)

    def search(self, params: SearchParams) -> SearchResponse:
        after = self._cursors.decode(params)
        plan = plan_search(params, self._statistics, self._limits)
        version = self._index_version() if after is None else 2  # cursor pages count nothing
        body = search_body(params, after, version, self._budget_ms, plan.facet_sample)
        return search_response(params, self._search(body), self._cursors, plan.facet_sample)

    def story(self, article_id: str) -> Story:
        source = self._stored(article_id)["_source"]
        story = story_of(source)
        if story is not None:
            return story
        if LISTING in source or CLAIMS in source:
            # A listing's or claims' own `_id` is no story id (nor a way past an embargo).
            raise ArticleNotFoundError(article_id)
        # An index older than version 3 holds articles, not stories: one version each.
        article = EnrichedArticle.model_validate(source)
        return Story(id=article_id).with_version(article)

    def similar(self, article_id: str, params: SimilarParams) -> SimilarResponse:
        current = self.story(article_id).current
        if current is None:
            raise ArticleNotFoundError(article_id)
        article = current.model_dump(mode="json")
        names = [entity["name"] for entity in article.get("entities", [])]
        body = similar_body(self._alias, article, names[:SIMILAR_BY_TOP_ENTITIES], params.size)
        body["timeout"] = f"{self._budget_ms}ms"
        return SimilarResponse(article_id=article_id, similar=similar_hits(self._search(body)))

    def entities(self, params: EntitiesParams) -> EntitiesResponse:
        result = self._search(entities_body(params, self._index_version(), self._budget_ms))
        return EntitiesResponse(entities=top_entities(result, params.size))

    def sections(self) -> SectionsResponse:
        return SectionsResponse(sections=section_counts(self._search(sections_body())))

    def stories_from_file(self, sha256: str) -> list[Story]:
        found: list[Story] = []
        while True:
            # A missing alias is no article yet, not a failure: it answers no hits.
            result = self._search(
                stories_from_file_body(sha256, after_id=found[-1].id if found else None),
                ignore_unavailable=True,
                index=self._stories_or_before,
            )
            page = stories(result)
            found += page
            if len(result["hits"]["hits"]) < FILE_ARTICLES_PAGE:
                return found

    def feed_head(self, now_ms: int) -> tuple[FeedPosition, int | None]:
        return feed.head_of(self._feed_search(feed.head_body(now_ms)), now_ms)

    def listed_after(
        self, params: SearchParams, after: FeedPosition, now_ms: int, limit: int
    ) -> FeedPage:
        lifted = self._feed_search(feed.lifted_body(params, after, now_ms, limit))
        indices = feed.index_heads(lifted)
        written = self._feed_search(feed.written_body(params, after, now_ms, limit, indices))
        return feed.feed_page(after, now_ms, limit, lifted, written)

    def is_ready(self) -> bool:
        """Elasticsearch answers and the alias exists."""
        with translated_failures(self._access_problem):
            return bool(self._client.indices.exists_alias(name=self._alias))

    def close(self) -> None:
        self._client.close()

    def _search(
        self, body: dict[str, Any], ignore_unavailable: bool = False, index: str | None = None
    ) -> dict[str, Any]:
        with self._turns.turn(), translated_failures(self._access_problem):
            response = self._client.search(
                index=index or self._alias,
                body=body,
                ignore_unavailable=ignore_unavailable or None,
            )
        result: dict[str, Any] = response.body
        if result.get("timed_out"):
            raise SearchUnavailableError(OVER_BUDGET)
        return result

    def _feed_search(self, body: dict[str, Any]) -> dict[str, Any]:
        body["timeout"] = f"{self._budget_ms}ms"
        with self._turns.turn(), translated_failures(self._access_problem):
            response = self._client.search(index=self._alias, body=body, preference=feed.PREFERENCE)
        result: dict[str, Any] = response.body
        if result.get("timed_out"):
            raise SearchUnavailableError(OVER_BUDGET)
        return result

    def _statistics(self, words: list[str]) -> IndexStatistics | None:
        """The document frequencies of `words`; None when Elasticsearch cannot tell (an alias
        over two indices, during a reindex, has no one term dictionary): the search then runs
        unplanned (its page size is checked all the same) rather than not at all."""
        try:
            return self._frequencies.of(words, self._word_statistics)
        except SearchRefusedError as error:
            log.warning("no term statistics for a search's cost: %s", error)
            return None

    def _word_statistics(self, words: list[str]) -> IndexStatistics:
        with self._turns.turn(), translated_failures(self._access_problem):
            answer = self._client.termvectors(index=self._alias, **word_statistics_body(words))
        return word_statistics(answer.body)

    def _index_version(self) -> int:
        """The lowest index version behind the alias (1 when unknown), read at most every
        INDEX_VERSION_TTL_S."""
        now = time.monotonic()
        known = self._version
        if known is not None and now - known[1] < INDEX_VERSION_TTL_S:
            return known[0]
        with self._version_lock:
            if self._version is not None and now - self._version[1] < INDEX_VERSION_TTL_S:
                return self._version[0]
            with self._turns.turn(), translated_failures(self._access_problem):
                mappings = self._client.indices.get_mapping(index=self._alias).body
            versions = [
                int(mapping.get("mappings", {}).get("_meta", {}).get("index_version", 1))
                for mapping in mappings.values()
            ]
            self._version = (min(versions, default=1), now)
            return self._version[0]

    def _stored(self, article_id: str) -> dict[str, Any]:
        if len(article_id.encode()) > MAX_ID_BYTES:
            raise ArticleNotFoundError(article_id)
        for index in (self._stories, self._alias):
            with self._turns.turn(), translated_failures(self._access_problem):
                try:
                    stored: dict[str, Any] = self._client.get(
                        index=index, id=article_id, realtime=True
                    ).body
                except NotFoundError as error:
                    if isinstance(error.body, dict) and error.body.get("found") is False:
                        raise ArticleNotFoundError(article_id) from error
                    if index == self._alias:
                        raise  # the index itself is missing
                    continue  # no stories alias: an index from before the split holds them
            return stored
        raise ArticleNotFoundError(article_id)
