"""Search over the articles, on one of two back-ends behind the `ArticleSearch` port.

`model` is what both back-ends search and answer, defined once; `elasticsearch/` and `embedded/`
are the back-ends, each in a home of its own that imports nothing of the other; and
`open_article_search` below is the one place that chooses between them. It imports only the
back-end in use, so the embedded mode never loads the Elasticsearch client.
"""

from newswire.settings import Settings
from newswire_api.ports import ArticleSearch


def open_article_search(settings: Settings) -> ArticleSearch:
    """The search back-end `settings` choose: Elasticsearch, or the embedded SQLite index."""
    if settings.uses_elasticsearch():
        from newswire_api.search.elasticsearch import (  # noqa: PLC0415 (only the back-end in use)
            ElasticsearchArticleSearch,
            create_search_client,
        )

        return ElasticsearchArticleSearch(create_search_client(settings), settings.index_alias)
    from newswire_api.search.embedded import EmbeddedArticleSearch  # noqa: PLC0415

    return EmbeddedArticleSearch(settings.search_index_path, settings.api_search_timeout_s)
