"""Search over the articles, on one of two back-ends behind the `ArticleSearch` port.

`model` is what both back-ends search and answer, defined once; `elasticsearch/` and `embedded/`
are the back-ends, each in a home of its own that imports nothing of the other; and
`open_article_search` below is the one place that chooses between them. It imports only the
back-end in use, so the embedded mode never loads the Elasticsearch client.
"""

import os
import secrets
from functools import partial

from newswire.settings import Settings
from newswire_api.admission import IndexTurns
from newswire_api.ports import ArticleSearch
from newswire_api.search.cost import CostLimits
from newswire_api.search_request import CursorCodec


def open_article_search(settings: Settings, cursors: CursorCodec | None = None) -> ArticleSearch:
    """The search back-end `settings` choose: Elasticsearch, or the embedded SQLite index.
    `cursors` signs the paging cursors (default: a key of this call's own, for tools that do not
    page). Requests read the index in turns (`admission.IndexTurns`): `api_index_turns` at once,
    by default one per core on the embedded index (SQLite runs on the caller's thread) and as
    many as Elasticsearch's search threads."""
    cursors = cursors or CursorCodec(secrets.token_bytes(32))
    if settings.uses_elasticsearch():
        from newswire.adapters.elasticsearch import access_problem  # noqa: PLC0415
        from newswire_api.search.elasticsearch import (  # noqa: PLC0415 (only the back-end in use)
            ElasticsearchArticleSearch,
            create_search_client,
            default_turns,
        )

        return ElasticsearchArticleSearch(
            create_search_client(settings),
            settings.index_alias,
            cursors,
            settings.api_search_budget_s,
            turns=_turns(settings, default_turns()),
            limits=CostLimits.from_settings(settings),
            access_problem=partial(access_problem, settings),
        )
    from newswire_api.search.embedded import EmbeddedArticleSearch  # noqa: PLC0415

    return EmbeddedArticleSearch(
        settings.search_index_path,
        settings.api_search_timeout_s,
        cursors,
        settings.api_search_budget_s,
        turns=_turns(settings, os.cpu_count() or 1),
        limits=CostLimits.from_settings(settings),
    )


def _turns(settings: Settings, default: int) -> IndexTurns:
    return IndexTurns(settings.api_index_turns or default, settings.api_search_timeout_s)
