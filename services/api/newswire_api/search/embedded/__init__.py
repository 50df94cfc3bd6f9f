"""The search back-end on the embedded SQLite index (`newswire run`): FTS5 for full text, plain
tables for filters and facets, as `newswire.embedded.search_index` writes them.

`query` holds the SQL (text through `text_query`, filters through `filters`), `results` maps its
rows to the API's response models, and `article_search` puts them together behind the
`ArticleSearch` port. Nothing here is imported by the Elasticsearch back-end, nor imports it.
"""

from newswire_api.search.embedded.article_search import EmbeddedArticleSearch

__all__ = ["EmbeddedArticleSearch"]
