"""The port's errors as HTTP answers: whatever the back-end, the status says whose move it is and
`detail` is the back-end's message; nothing else reaches the client."""

from collections.abc import Iterator

import httpx
import pytest

from newswire.enriched import Story
from newswire.settings import Settings
from newswire_api.app import create_app
from newswire_api.feed import FeedPage, FeedPosition
from newswire_api.ports import ArticleNotFoundError, SearchRefusedError, SearchUnavailableError
from newswire_api.responses import (
    EntitiesResponse,
    SearchResponse,
    SectionsResponse,
    SimilarResponse,
)
from newswire_api.search_request import EntitiesParams, SearchParams, SimilarParams
from tests.support.search_corpus import serving


class FailingSearch:
    """An `ArticleSearch` whose every search raises `failure`."""

    def __init__(self, failure: Exception) -> None:
        self.failure = failure

    def search(self, params: SearchParams) -> SearchResponse:
        raise self.failure

    def story(self, article_id: str) -> Story:
        raise self.failure

    def similar(self, article_id: str, params: SimilarParams) -> SimilarResponse:
        raise self.failure

    def entities(self, params: EntitiesParams) -> EntitiesResponse:
        raise self.failure

    def sections(self) -> SectionsResponse:
        raise self.failure

    def stories_from_file(self, sha256: str) -> list[Story]:
        raise self.failure

    def feed_head(self, now_ms: int) -> tuple[FeedPosition, int | None]:
        raise self.failure

    def listed_after(
        self, params: SearchParams, after: FeedPosition, now_ms: int, limit: int
    ) -> FeedPage:
        raise self.failure

    def is_ready(self) -> bool:
        return True

    def close(self) -> None:
        pass


@pytest.fixture
def failing() -> Iterator[tuple[FailingSearch, str]]:
    """The search and the base URL of an API over it."""
    search = FailingSearch(RuntimeError())
    with serving(create_app(Settings(), search=search)) as base_url:
        yield search, base_url


@pytest.mark.parametrize(
    ("failure", "status", "detail"),
    [
        (SearchUnavailableError("search is overloaded right now"), 503, None),
        (SearchRefusedError("Elasticsearch cannot run this search: too many buckets"), 422, None),
        (ArticleNotFoundError("abc"), 404, "no article has id 'abc': ids come from search results"),
        (KeyError("a bug"), 500, "internal error: it has been logged"),
    ],
)
def test_each_failure_has_its_status_and_the_back_ends_message(
    failing: tuple[FailingSearch, str],
    failure: Exception,
    status: int,
    detail: str | None,
) -> None:
    search, base_url = failing
    search.failure = failure
    for path in ["/articles/search", "/articles/abc", "/articles/abc/similar", "/sections"]:
        response = httpx.get(base_url + path)
        assert response.status_code == status, path
        assert response.json() == {
            "detail": detail or str(failure),
            "errors": [],
            "request_id": response.headers["x-request-id"],
        }
        assert response.headers.get("retry-after") == ("5" if status == 503 else None)
        assert "Traceback" not in response.text


def test_an_unexpected_error_keeps_the_connection_and_logs_one_short_line(
    failing: tuple[FailingSearch, str], caplog: pytest.LogCaptureFixture
) -> None:
    search, base_url = failing
    search.failure = RecursionError("maximum recursion depth exceeded")
    with httpx.Client(base_url=base_url) as client:
        for _ in range(3):  # one connection: uvicorn no longer drops it after a 500
            response = client.get("/articles/search", headers={"X-Request-ID": "probe-1"})
            assert response.status_code == 500
            assert response.json()["request_id"] == "probe-1"
    errors = [record for record in caplog.records if record.levelname == "ERROR"]
    assert len(errors) == 3
    assert all("probe-1" in record.getMessage() for record in errors)
    assert all(record.exc_info is None for record in errors)
    assert all(len(record.getMessage()) < 400 for record in errors)
