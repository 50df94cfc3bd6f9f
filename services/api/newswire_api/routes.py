"""The HTTP endpoints: each reads its parameters, asks `ArticleSearch` once, and returns.

Endpoints are plain functions (FastAPI runs them in its worker threads) because both search
back-ends are synchronous: the Elasticsearch client used is the synchronous one, and SQLite is.
Each question to the index holds one of the bounded search slots (`admission`) while it runs.
"""

from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query
from fastapi.responses import FileResponse, JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from newswire.enriched import EnrichedArticle
from newswire_api.admission import SearchSlots
from newswire_api.errors import problem
from newswire_api.feed import FeedPosition, InvalidEventIdError
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
        "after, `data`: a search hit as JSON), `: heartbeat` comments, and a last `dropped` "
        "event with the reason when the client read too slowly.",
    },
    422: _INVALID[422],
}


def create_router(
    search: ArticleSearch, metrics: ApiMetrics, slots: SearchSlots, streams: Streams, docs: bool
) -> APIRouter:
    router = APIRouter(responses={**_UNAVAILABLE, **_UNAUTHORISED})

    @router.get("/articles/stream", tags=["articles"], response_class=Response, responses=_STREAM)
    async def stream_articles(
        params: Annotated[SearchParams, Query()],
        last_event_id: Annotated[
            str | None,
            Query(
                description="Resume after this event id (for clients that cannot send the "
                "Last-Event-ID header); the header wins."
            ),
        ] = None,
        last_event_id_header: Annotated[str | None, Header(alias="last-event-id")] = None,
    ) -> EventStreamResponse:
        """The live feed: articles matching the search filters (`q`, `section`, `entity`, …;
        `sort`, `size`, `cursor` and `interval` do not apply) as they become searchable —
        indexed, or their embargo passed — as Server-Sent Events. Each event's `id` is a
        position in the index: reconnecting with `Last-Event-ID` delivers everything that
        became searchable meanwhile, and nothing twice. Without it the stream starts now."""
        resume = last_event_id_header or last_event_id
        try:
            position = FeedPosition.from_event_id(resume) if resume else None
        except InvalidEventIdError as error:
            raise InvalidSearchError(str(error)) from error
        return await streams.start(params, position)

    @router.get(
        "/articles/search", tags=["articles"], responses=_INVALID, response_model=SearchResponse
    )
    def search_articles(params: Annotated[SearchParams, Query()]) -> Response:
        """Full-text search with filters, highlighted snippets, facets and cursor paging."""
        # The hot path: the response model was validated as it was built, so it is serialised
        # once here instead of being dumped, re-validated and dumped again by FastAPI (measured:
        # 0.5-0.8 ms less CPU per search, a quarter of the API's own share).
        with slots.slot():
            found = search.search(params)
        return Response(found.model_dump_json(), media_type="application/json")

    @router.get("/articles/{article_id}", tags=["articles"], responses=_NOT_FOUND)
    def get_article(article_id: str) -> EnrichedArticle:
        """The current version of the story, as published on `articles.enriched`."""
        with slots.slot():
            story = search.story(article_id)
        return visible_article(story)

    @router.get("/articles/{article_id}/versions", tags=["articles"], responses=_NOT_FOUND)
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
        "/articles/{article_id}/similar", tags=["articles"], responses=_NOT_FOUND | _INVALID
    )
    def similar_articles(
        article_id: str, params: Annotated[SimilarParams, Query()]
    ) -> SimilarResponse:
        """Articles sharing the most distinctive words of the title and body, or its entities."""
        with slots.slot():
            visible_story(search.story(article_id))
            return search.similar(article_id, params)

    @router.get("/entities", tags=["facets"], responses=_INVALID)
    def top_entities(params: Annotated[EntitiesParams, Query()]) -> EntitiesResponse:
        """The most mentioned entities, counted in articles."""
        with slots.slot():
            return search.entities(params)

    @router.get("/sections", tags=["facets"])
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
