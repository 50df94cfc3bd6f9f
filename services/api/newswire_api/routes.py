"""The HTTP endpoints: each reads its parameters, asks `ArticleSearch` once, and returns.

Endpoints are plain functions (FastAPI runs them in its worker threads) because both search
back-ends are synchronous: the Elasticsearch client used is the synchronous one, and SQLite is.
Each question to the index holds one of the bounded search slots while it runs (the client's
rate and its turns at the index were seen to by `guard.RateLimitGuard`). A parameter that takes
one value and is given twice is refused (422), not silently read as its last value.
"""

from collections import Counter
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import BaseModel

from newswire.enriched import EnrichedArticle
from newswire_api.admission import SearchSlots
from newswire_api.errors import problem
from newswire_api.feed import FeedPosition, InvalidEventIdError
from newswire_api.guard import client_identity
from newswire_api.metrics import ApiMetrics
from newswire_api.ports import ArticleSearch
from newswire_api.responses import (
    EntitiesResponse,
    Health,
    Problem,
    SearchResponse,
    SectionsResponse,
    SimilarResponse,
    StoryVersionSeen,
    VersionsResponse,
)
from newswire_api.search_request import (
    EntitiesParams,
    InvalidSearchError,
    SearchParams,
    SimilarParams,
    StreamParams,
    single_valued,
)
from newswire_api.stream import EventStreamResponse, Streams
from newswire_api.visibility import visible_article, visible_story

PAGE_DIR = Path(__file__).parent / "page"

Responses = dict[int | str, dict[str, Any]]
_INVALID: Responses = {
    422: {"model": Problem, "description": "A parameter is invalid; `detail` says why."}
}
_UNAVAILABLE: Responses = {
    503: {
        "model": Problem,
        "description": "The search index is unreachable, empty, busy, or the search ran past "
        "its time budget; `Retry-After` says when to try again.",
    }
}
_LIMITED: Responses = {
    429: {
        "model": Problem,
        "description": "This client (its API key, else its address) asked more than its rate, "
        "or has as many live streams open as it may; `Retry-After` says when to try again.",
        "headers": {
            "Retry-After": {
                "description": "Seconds to wait before the next request.",
                "schema": {"type": "integer"},
            }
        },
    }
}
_UNAUTHORISED: Responses = {
    401: {"model": Problem, "description": "API keys are configured and none was sent."}
}
_NOT_FOUND: Responses = {
    404: {
        "model": Problem,
        "description": "No article has this id, or none that may be shown yet (withheld, "
        "embargoed).",
    },
    410: {
        "model": Problem,
        "description": "The story was killed (withdrawn by its source); `detail` says why.",
    },
}


_STREAM: Responses = {
    200: {
        "content": {"text/event-stream": {}},
        "description": "Server-Sent Events: `article` events (`id`: the position to resume "
        "after, `data`: a search hit as JSON); `: heartbeat` comments, each with the `id` the "
        "stream has reached; a first `resync` event (`data`: the reason) when the Last-Event-ID "
        "was too far back to replay; a last `dropped` event with the reason when the client "
        "read too slowly.",
    },
    422: {
        "model": Problem,
        "description": "A parameter is invalid, or the Last-Event-ID is not one this index "
        "gave (malformed, dated after now, ahead of the index's newest write); `detail` says "
        "why.",
    },
}


def _one_value_each(parameters: type[BaseModel]) -> Any:
    """A dependency refusing a query string that repeats a single-valued parameter of
    `parameters` (a 422 naming it)."""
    names = single_valued(parameters)

    async def refuse_repeated(request: Request) -> None:
        given = Counter(name for name, _ in request.query_params.multi_items() if name in names)
        repeated = [
            {
                "type": "repeated_value",
                "loc": ("query", name),
                "msg": f"is given {count} times: give it once",
                "input": None,
            }
            for name, count in given.items()
            if count > 1
        ]
        if repeated:
            raise RequestValidationError(repeated)

    return Depends(refuse_repeated)


def create_router(
    search: ArticleSearch,
    metrics: ApiMetrics,
    slots: SearchSlots,
    streams: Streams,
    *,
    docs: bool,
) -> APIRouter:
    router = APIRouter(responses={**_UNAVAILABLE, **_UNAUTHORISED})

    @router.get(
        "/articles/stream",
        tags=["articles"],
        response_class=Response,
        responses=_STREAM | _LIMITED,
        dependencies=[_one_value_each(StreamParams)],
    )
    async def stream_articles(
        params: Annotated[StreamParams, Query()],
        request: Request,
        last_event_id_header: Annotated[str | None, Header(alias="last-event-id")] = None,
    ) -> EventStreamResponse:
        """The live feed: articles matching the search filters (`q`, `section`, `entity`, …;
        `sort`, `size`, `cursor` and `interval` do not apply) as they become searchable —
        indexed, or their embargo passed — as Server-Sent Events. Each event's `id` is a
        position in the index: reconnecting with `Last-Event-ID` (or `last_event_id`) delivers
        everything that became searchable meanwhile, and nothing twice. Without it the stream
        starts now.

        A stream replays at most `NEWSWIRE_API_STREAM_MAX_RESUME_AGE_S` back and
        `NEWSWIRE_API_STREAM_MAX_REPLAY_WRITES` writes behind the index: from further back it
        starts with a `resync` event (`data`: `{"reason": …}`), continues from now, and the
        client must search again for what it missed. An id dated after now or ahead of the
        index is refused (422) before the stream starts. A client may have at most
        `NEWSWIRE_API_MAX_STREAMS_PER_CLIENT` streams open (then 429)."""
        resume = last_event_id_header or params.last_event_id
        try:
            position = FeedPosition.from_event_id(resume) if resume else None
        except InvalidEventIdError as error:
            raise InvalidSearchError(str(error)) from error
        return await streams.start(params.search(), position, client_identity(request.scope))

    @router.get(
        "/articles/search",
        tags=["articles"],
        responses=_INVALID | _LIMITED,
        response_model=SearchResponse,
        dependencies=[_one_value_each(SearchParams)],
    )
    def search_articles(params: Annotated[SearchParams, Query()]) -> Response:
        """Full-text search with filters, highlighted snippets, facets and cursor paging.

        What a search will cost is estimated from its words' document frequencies before it
        runs: words that would read the index more than `NEWSWIRE_API_MAX_QUERY_BREADTH` times
        over, or `size` times the words searched above `NEWSWIRE_API_MAX_SIZE_TIMES_WORDS`, are
        a 422 naming the limit; a search that may match more than
        `NEWSWIRE_API_FACET_SAMPLE_SIZE` articles counts its facets over its best matches
        (`facets.sample`)."""
        # The hot path: the response model was validated as it was built, so it is serialised
        # once here instead of being dumped, re-validated and dumped again by FastAPI (measured:
        # 0.5-0.8 ms less CPU per search, a quarter of the API's own share).
        with slots.slot():
            found = search.search(params)
        return Response(found.model_dump_json(), media_type="application/json")

    @router.get(
        "/articles/{article_id}",
        tags=["articles"],
        responses=_NOT_FOUND | _LIMITED,
    )
    def get_article(article_id: str) -> EnrichedArticle:
        """The current version of the story, as published on `articles.enriched`."""
        with slots.slot():
            story = search.story(article_id)
        return visible_article(story)

    @router.get(
        "/articles/{article_id}/versions",
        tags=["articles"],
        responses=_NOT_FOUND | _LIMITED,
    )
    def story_versions(article_id: str) -> VersionsResponse:
        """Every version of the story seen (updates, corrections), newest first."""
        with slots.slot():
            story = visible_story(search.story(article_id))
        return VersionsResponse(
            article_id=story.id,
            story_key=story.story_key,
            current_content_sha256=story.current.content_sha256 if story.current else None,
            versions=[
                StoryVersionSeen.model_validate(version.model_dump()) for version in story.versions
            ],
        )

    @router.get(
        "/articles/{article_id}/similar",
        tags=["articles"],
        responses=_NOT_FOUND | _INVALID | _LIMITED,
        dependencies=[_one_value_each(SimilarParams)],
    )
    def similar_articles(
        article_id: str, params: Annotated[SimilarParams, Query()]
    ) -> SimilarResponse:
        """Articles sharing the most distinctive words of the title and body, or its entities."""
        with slots.slot():
            visible_story(search.story(article_id))
            return search.similar(article_id, params)

    @router.get(
        "/entities",
        tags=["facets"],
        responses=_INVALID | _LIMITED,
        dependencies=[_one_value_each(EntitiesParams)],
    )
    def top_entities(params: Annotated[EntitiesParams, Query()]) -> EntitiesResponse:
        """The most mentioned entities, counted in articles."""
        with slots.slot():
            return search.entities(params)

    @router.get("/sections", tags=["facets"], responses=_LIMITED)
    def sections() -> SectionsResponse:
        """Every section with its number of articles."""
        with slots.slot():
            return search.sections()

    @router.get("/healthz", tags=["operations"])
    def healthz() -> Health:
        """The process is alive (it does not ask the search index)."""
        return Health(status="ok")

    @router.get("/readyz", tags=["operations"], response_model=Health)
    def readyz() -> Health | JSONResponse:
        """The search index answers and has been created (it may still be empty)."""
        if search.is_ready():
            return Health(status="ready")
        return problem(503, "the articles alias does not exist yet: nothing has been indexed")

    @router.get(
        "/metrics",
        tags=["operations"],
        response_class=Response,
        responses={200: {"content": {"text/plain": {}}, "description": "Prometheus metrics."}},
    )
    def prometheus_metrics() -> Response:
        """Request counts and latencies in the Prometheus text format."""
        return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)

    @router.get("/", include_in_schema=False)
    def search_page() -> FileResponse:
        return FileResponse(PAGE_DIR / "index.html")

    if docs:

        @router.get("/docs", include_in_schema=False)
        def interactive_docs() -> FileResponse:
            """Swagger UI from the installed package and this page's own script: no CDN, no
            inline code (the Content-Security-Policy allows neither)."""
            return FileResponse(PAGE_DIR / "docs.html")

    return router
