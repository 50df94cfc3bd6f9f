"""Wiring the search API: `create_app(settings)` builds the whole application from settings alone,
so tests point it at an index of their own. The search back-end is Elasticsearch or the embedded
index, as `settings` choose (`search.open_article_search`); the API is the same on both."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from newswire import __version__
from newswire.settings import Settings
from newswire_api.errors import add_exception_handlers
from newswire_api.metrics import ApiMetrics, RequestMetricsMiddleware
from newswire_api.ports import ArticleSearch
from newswire_api.routes import PAGE_DIR, create_router
from newswire_api.search import open_article_search

DESCRIPTION = """Read-only search over enriched news articles.

The search page is at [/](/). Every invalid parameter is answered with 422 and a `detail`
saying what to change; 503 means the search index is unreachable or nothing is indexed yet."""


def create_app(settings: Settings, search: ArticleSearch | None = None) -> FastAPI:
    search = search or open_article_search(settings)
    metrics = ApiMetrics()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        search.close()

    app = FastAPI(
        title="Newswire search API", version=__version__, description=DESCRIPTION, lifespan=lifespan
    )
    app.include_router(create_router(search, metrics))
    app.mount("/static", StaticFiles(directory=PAGE_DIR), name="static")
    add_exception_handlers(app)
    app.add_middleware(RequestMetricsMiddleware, metrics=metrics)
    return app
