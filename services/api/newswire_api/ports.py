"""What the API needs from a search index, as an interface with two adapters.

`ElasticsearchArticleSearch` (article_search.py) queries Elasticsearch behind the articles alias;
`EmbeddedArticleSearch` (embedded_search.py) queries the SQLite FTS5 index of the embedded mode.
Both answer with the same response models, so the API, the page and their tests are identical on
either back-end.
"""

from typing import Protocol

from newswire.enriched import EnrichedArticle
from newswire_api.responses import (
    EntitiesResponse,
    SearchResponse,
    SectionsResponse,
    SimilarResponse,
)
from newswire_api.search_request import EntitiesParams, SearchParams, SimilarParams


class ArticleNotFoundError(LookupError):
    def __init__(self, article_id: str) -> None:
        super().__init__(f"no article has id {article_id!r}: ids come from search results")


class SearchUnavailableError(Exception):
    """The index cannot answer now (unreachable, busy, or nothing indexed yet); the message says
    which, and the client is told to try again later (503)."""


class ArticleSearch(Protocol):
    def search(self, params: SearchParams) -> SearchResponse:
        """One page of results; facets on the first page only."""
        ...

    def article(self, article_id: str) -> EnrichedArticle:
        """Raises ArticleNotFoundError."""
        ...

    def similar(self, article_id: str, params: SimilarParams) -> SimilarResponse: ...

    def entities(self, params: EntitiesParams) -> EntitiesResponse: ...

    def sections(self) -> SectionsResponse: ...

    def is_ready(self) -> bool:
        """The index answers and holds the articles index (it may be empty)."""
        ...

    def close(self) -> None: ...
