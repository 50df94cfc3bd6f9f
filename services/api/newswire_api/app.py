"""Wiring the search API: `create_app(settings)` builds the whole application from settings alone,
so tests point it at an index of their own. The search back-end is Elasticsearch or the embedded
index, as `settings` choose (`search.open_article_search`); the API is the same on both.

Middleware, outermost first: `guard.RequestGuard` (request id, security headers, HEAD, one log
line for an unexpected error), the request metrics, `guard.ApiKeyGuard` when keys are
configured, `guard.RateLimitGuard` (each client's rate on the routes that read the index), then
FastAPI's routing with the error answers of `errors`.
"""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import fastapi_offline
from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from newswire import __version__
from newswire.settings import Settings
from newswire_api.admission import RateLimits, SearchSlots
from newswire_api.api_keys import ApiKeys
from newswire_api.errors import add_exception_handlers
from newswire_api.guard import ApiKeyGuard, RateLimitGuard, RequestGuard
from newswire_api.metrics import ApiMetrics, RequestMetricsMiddleware
from newswire_api.ports import ArticleSearch
from newswire_api.routes import PAGE_DIR, create_router
from newswire_api.search import open_article_search
from newswire_api.search_request import CursorCodec
from newswire_api.server_secret import cursor_secret
from newswire_api.stream import Streams

# Swagger UI's script and style sheet, as the fastapi-offline package ships them.
DOCS_ASSETS = Path(fastapi_offline.__file__).parent / "static"

DESCRIPTION = """Read-only search over enriched news articles.

The search page is at [/](/). Every invalid parameter is answered with 422 and a `detail`
saying what to change; 429 means this client (its API key, else its address) asked more than its
share, 503 that the search index is unreachable, busy or has nothing indexed yet (either way
`Retry-After` says when to try again). When the operator configured API keys, send
`Authorization: Bearer <key>`."""


def create_app(settings: Settings, search: ArticleSearch | None = None) -> FastAPI:
    keys = ApiKeys.from_settings(settings)
    search = search or open_article_search(settings, CursorCodec(cursor_secret(settings)))
    metrics = ApiMetrics()
    streams = Streams(search, settings, metrics.registry)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        streams.end_on_signals()
        yield
        search.close()

    app = FastAPI(
        title="Newswire search API",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        # Starlette would answer `/docs/` with a redirect to an absolute URL built from the
        # request's Host header, which a client (or a cache in front) chooses: no redirects.
        redirect_slashes=False,
    )
    slots = SearchSlots(settings.api_max_concurrent_searches)
    app.include_router(create_router(search, metrics, slots, streams, docs=settings.api_docs))
    if settings.api_docs:
        app.mount("/static/docs", StaticFiles(directory=DOCS_ASSETS), name="docs-assets")
    app.mount("/static", StaticFiles(directory=PAGE_DIR), name="static")
    add_exception_handlers(app)
    rate_limits = RateLimits(settings.api_rate_limit_per_s, settings.api_rate_limit_burst)
    app.add_middleware(RateLimitGuard, limits=rate_limits)
    if keys.configured:
        app.add_middleware(ApiKeyGuard, keys=keys)
        _document_bearer_keys(app)
    app.add_middleware(RequestMetricsMiddleware, metrics=metrics)
    app.add_middleware(RequestGuard)
    return app


def _document_bearer_keys(app: FastAPI) -> None:
    """The spec says every operation needs a bearer key (Swagger UI then offers Authorize)."""
    plain_openapi = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = plain_openapi()
            schema.setdefault("components", {})["securitySchemes"] = {
                "apiKey": {"type": "http", "scheme": "bearer"}
            }
            schema["security"] = [{"apiKey": []}]
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
