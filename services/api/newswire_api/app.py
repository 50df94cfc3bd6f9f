"""Wiring the search API: `create_app(settings)` builds the whole application from settings alone,
so tests point it at an index alias of their own."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from elasticsearch import Elasticsearch
from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from newswire import __version__
from newswire.settings import Settings
from newswire_api.article_search import ArticleSearch, create_search_client
from newswire_api.errors import add_exception_handlers
from newswire_api.metrics import ApiMetrics, RequestMetricsMiddleware
from newswire_api.routes import PAGE_DIR, create_router

DESCRIPTION = """Read-only search over enriched news articles (the `articles` alias).

The search page is at [/](/). Every invalid parameter is answered with 422 and a `detail`
saying what to change; 503 means Elasticsearch is unreachable or nothing is indexed yet."""


def create_app(settings: Settings, client: Elasticsearch | None = None) -> FastAPI:
    client = client or create_search_client(settings)
    metrics = ApiMetrics()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        client.close()

    app = FastAPI(
        title="Newswire search API", version=__version__, description=DESCRIPTION, lifespan=lifespan
    )
    app.include_router(create_router(ArticleSearch(client, settings.index_alias), metrics))
    app.mount("/static", StaticFiles(directory=PAGE_DIR), name="static")
    add_exception_handlers(app)
    app.add_middleware(RequestMetricsMiddleware, metrics=metrics)
    return app
