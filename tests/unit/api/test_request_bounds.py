"""What the HTTP layer refuses before a back-end is asked, over HTTP with a fake index: a
repeated single-valued parameter, a redirect built from the Host header, a client past its rate
(answered after a pause); and what it repeats of a client's input (never a 10,000-character id
whole)."""

import hashlib
import logging
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from newswire.enriched import Story
from newswire.settings import Settings
from newswire_api.app import create_app
from newswire_api.guard import REFUSAL_DELAY_S
from newswire_api.ports import ArticleNotFoundError
from newswire_api.responses import SearchResponse, SectionsResponse
from newswire_api.search_request import SearchParams
from tests.support.search_corpus import serving

KEYS = ("a-first-client-key-0123456789", "a-second-client-key-0123456789")


class EmptyIndex:
    """An index with no article: searches find nothing, ids are unknown."""

    def __init__(self) -> None:
        self.searched: list[SearchParams] = []

    def search(self, params: SearchParams) -> SearchResponse:
        self.searched.append(params)
        return SearchResponse(
            total=0, total_is_exact=True, sort="date", hits=[], next_cursor=None, facets=None
        )

    def story(self, article_id: str) -> Story:
        raise ArticleNotFoundError(article_id)

    def sections(self) -> SectionsResponse:
        return SectionsResponse(sections=[])

    def is_ready(self) -> bool:
        return True

    def close(self) -> None:
        pass


@pytest.fixture
def index() -> EmptyIndex:
    return EmptyIndex()


def _serve(index: EmptyIndex, **settings: Any) -> Any:
    return serving(create_app(Settings(**settings), search=index))  # type: ignore[arg-type]


@pytest.fixture
def api(index: EmptyIndex) -> Iterator[httpx.Client]:
    with _serve(index) as base_url, httpx.Client(base_url=base_url) as client:
        yield client


@pytest.mark.parametrize(
    ("query", "named"),
    [
        ("q=iraq&q=iran", "q"),
        ("size=5&size=100", "size"),
        ("from=2024-01-01&from=2020-01-01", "from"),
        ("sort=date&interval=day&sort=relevance", "sort"),
    ],
)
def test_a_single_valued_parameter_given_twice_is_refused_naming_it(
    api: httpx.Client, index: EmptyIndex, query: str, named: str
) -> None:
    refused = api.get(f"/articles/search?{query}")

    assert refused.status_code == 422
    assert f"{named}: is given 2 times: give it once" in refused.json()["detail"]
    assert refused.json()["errors"] == [f"{named}: is given 2 times: give it once"]
    assert index.searched == []


def test_a_filter_given_twice_is_two_values_of_it(api: httpx.Client, index: EmptyIndex) -> None:
    answered = api.get("/articles/search?section=World&section=Business&entity=Iraq")

    assert answered.status_code == 200
    assert index.searched[-1].section == ["World", "Business"]


@pytest.mark.parametrize(
    "path", ["/articles/stream?size=5&size=6", "/entities?size=1&size=2", "/articles/a/similar"]
)
def test_every_route_refuses_a_repeated_single_value(api: httpx.Client, path: str) -> None:
    if path.endswith("similar"):
        path += "?size=1&size=2"
    refused = api.get(path)

    assert refused.status_code == 422
    assert "size: is given 2 times" in refused.json()["detail"]


def test_a_trailing_slash_is_not_redirected_to_the_host_a_client_named(api: httpx.Client) -> None:
    for path in ["/docs/", "/articles/search/", "/static"]:
        answered = api.get(path, headers={"Host": "attacker.example"})

        assert answered.status_code == 404, path
        assert "location" not in answered.headers, path
        assert "attacker.example" not in answered.text, path


def test_a_10000_character_id_is_cut_in_the_answer_and_in_the_log(
    api: httpx.Client, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    long_id = "x" * 10_000

    answered = api.get(f"/articles/{long_id}")

    assert answered.status_code == 404
    detail = answered.json()["detail"]
    assert "10,000 characters, cut to 80" in detail
    assert len(detail) < 300
    logged = [r.getMessage() for r in caplog.records if r.name.startswith("newswire_api")]
    assert logged
    assert all(len(line) < 1000 for line in logged)
    assert all("x" * 300 not in line for line in logged)


def test_a_client_past_its_rate_gets_429_with_retry_after_and_others_are_still_answered(
    index: EmptyIndex,
) -> None:
    digests = [f"sha256:{hashlib.sha256(key.encode()).hexdigest()}" for key in KEYS]
    first, second = ({"Authorization": f"Bearer {key}"} for key in KEYS)
    limited = _serve(
        index, api_key_hashes=digests, api_rate_limit_per_s=0.5, api_rate_limit_burst=2
    )
    with limited as base_url, httpx.Client(base_url=base_url) as client:
        answers = [client.get("/sections", headers=first).status_code for _ in range(3)]
        asked = time.monotonic()
        refused = client.get("/articles/search", headers=first)
        refused_after_s = time.monotonic() - asked
        other = client.get("/sections", headers=second)
        static = client.get("/healthz", headers=first)

    assert answers == [200, 200, 429]
    assert refused.status_code == 429
    assert refused_after_s >= REFUSAL_DELAY_S  # a client that asks again at once waits anyway
    assert int(refused.headers["retry-after"]) >= 1
    assert "too many requests from this client" in refused.json()["detail"]
    assert other.status_code == 200
    assert static.status_code == 200
