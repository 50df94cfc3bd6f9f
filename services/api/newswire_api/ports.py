"""What the API needs from a search index, as an interface with two adapters, and the failures
it may answer with.

`ElasticsearchArticleSearch` (search/elasticsearch/) queries Elasticsearch behind the articles
alias; `EmbeddedArticleSearch` (search/embedded/) queries the SQLite FTS5 index of the embedded
mode. Every search, facet and similar list shows only stories visible at the time of the
request (not killed, not withheld, embargo passed). Both answer with the same response models and
fail with the errors below, whose messages
are what the client reads, so the API, the page and their tests are identical on either back-end.
"""

from typing import Protocol

from newswire.enriched import Story
from newswire_api.echoes import echoed
from newswire_api.feed import FeedPage, FeedPosition
from newswire_api.responses import (
    EntitiesResponse,
    SearchResponse,
    SectionsResponse,
    SimilarResponse,
)
from newswire_api.search_request import EntitiesParams, SearchParams, SimilarParams


class ArticleNotFoundError(LookupError):
    def __init__(self, article_id: str) -> None:
        super().__init__(f"no article has id {echoed(article_id)}: ids come from search results")


class ArticleGoneError(LookupError):
    """The story was killed (withdrawn by its source, or a tombstone): 410 with the reason."""

    def __init__(self, article_id: str, reason: str) -> None:
        super().__init__(f"article {echoed(article_id)} is gone: {reason}")


class SearchUnavailableError(Exception):
    """The index cannot answer now (unreachable, busy, or nothing indexed yet); the message says
    which, and the client is told to try again later (503)."""


class SearchBusyError(SearchUnavailableError):
    """As many searches as allowed are running already; the client is told to come back in a
    second (503) instead of waiting in a queue behind slow ones."""


class SearchRefusedError(Exception):
    """The index cannot run this search as asked although its parameters are valid (a limit,
    such as too many timeline intervals); the message says which, and the client must change the
    request (422)."""


class ArticleSearch(Protocol):
    def search(self, params: SearchParams) -> SearchResponse:
        """One page of results; facets on the first page only."""
        ...

    def story(self, article_id: str) -> Story:
        """The story with this id as the indexer holds it, whatever its status (the routes
        decide what may be shown: `newswire_api.visibility`). Raises ArticleNotFoundError."""
        ...

    def similar(self, article_id: str, params: SimilarParams) -> SimilarResponse:
        """Visible articles related to the story's current version (the caller checked that
        the story itself may be shown)."""
        ...

    def entities(self, params: EntitiesParams) -> EntitiesResponse: ...

    def sections(self) -> SectionsResponse: ...

    def stories_from_file(self, sha256: str) -> list[Story]:
        """The stories that have a version from the file with this sha256, by id; [] when
        nothing has been indexed yet. For tools (`newswire status`), not for searches."""
        ...

    def feed_head(self, now_ms: int) -> tuple[FeedPosition, int | None]:
        """Where the live feed is now (`newswire_api.feed`): the latest write, and embargoes
        lifted up to `now_ms`; plus when the next pending embargo passes (ms), if one does. A
        stream without Last-Event-ID starts here, and a change of it wakes the streams."""
        ...

    def listed_after(
        self, params: SearchParams, after: FeedPosition, now_ms: int, limit: int
    ) -> FeedPage:
        """The listings matching `params` that became searchable after `after` and by
        `now_ms` (written, or their embargo passed), in order, at most about `limit`."""
        ...

    def is_ready(self) -> bool:
        """The index answers and exists (it may be empty)."""
        ...

    def close(self) -> None: ...
