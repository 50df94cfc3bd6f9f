"""The search back-end on Elasticsearch (`newswire up`): the articles alias, read-only.

`query` builds request bodies (text through `text_query`, filters through `filters`), `results`
maps the answers to the API's response models, `failures` turns Elasticsearch's errors into the
port's, and `article_search` puts them together behind the `ArticleSearch` port. Nothing here is
imported by the embedded back-end, nor imports it.
"""

from newswire_api.search.elasticsearch.article_search import (
    ElasticsearchArticleSearch,
    create_search_client,
    default_turns,
)

__all__ = ["ElasticsearchArticleSearch", "create_search_client", "default_turns"]
