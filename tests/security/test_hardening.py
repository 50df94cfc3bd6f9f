"""The API as a new user and an attacker try it, each probe on both back-ends (a real
Elasticsearch node and the embedded SQLite index): no input gets a 5xx, cost per request is
bounded, the defaults are secure, keys can be required, highlights cannot be forged.

Speed is not asserted here (the machine is shared): `benchmarks/api_abuse.py` measures it."""

import base64
import hashlib
import json
import logging
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from prometheus_client import CollectorRegistry

import newswire.service_process
from benchmarks.corpus import enriched_bbc_articles
from newswire.enriched import EnrichedArticle, story_id
from newswire.settings import Settings
from newswire_api.app import create_app
from newswire_api.query_syntax import MAX_NESTING, MAX_TERMS
from tests.support.search_corpus import (
    BACKENDS,
    Backend,
    index_articles,
    index_embedded,
    reference_sample,
    serving,
)

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
SEARCH_KEY = "a-search-key-for-the-tests-0123456789"
# Ten words in most articles: OR-ed, a query matching nearly everything, the costliest kind.
COMMON_WORDS = ("said", "year", "new", "also", "would", "people", "time", "first", "last", "mr")
METRICS_KEY = "a-metrics-key-for-the-tests-0123456789"
UNTHROTTLED = {"api_rate_limit_per_s": 1e6, "api_rate_limit_burst": 1_000_000}


def _digest(key: str) -> str:
    return f"sha256:{hashlib.sha256(key.encode()).hexdigest()}"


# The sample with control characters: a story of its own (its own key and content).
MARKED_KEY = "inbox:security/marked.txt"
MARKED_ID = story_id(MARKED_KEY)


@pytest.fixture(scope="module")
def articles(shared_dir: Path) -> list[EnrichedArticle]:
    """300 BBC articles, the reference sample, and the sample again with the embedded index's
    old highlight markers (\\x02, \\x03) and other control characters in its text."""
    sample = reference_sample(shared_dir)
    marked = EnrichedArticle.model_validate(
        {
            **sample.model_dump(),
            "id": MARKED_ID,
            "story_key": MARKED_KEY,
            "content_sha256": "f" * 64,
            "title": "Zanzibar \x03 closing \x02 opening \x07 bell",
            "body": ["Zanzibar harbour \x02\x02 opens \x03 at dawn \x00.", *sample.body[1:]],
        }
    )
    return [*enriched_bbc_articles(shared_dir, limit=300), sample, marked]


@pytest.fixture(scope="module", params=BACKENDS)
def backend(
    request: pytest.FixtureRequest,
    articles: list[EnrichedArticle],
    elasticsearch_url: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[Backend, Settings]]:
    """A back-end holding `articles`, and the settings of an API reading it."""
    name: Backend = request.param
    if name == "embedded":
        yield name, index_embedded(tmp_path_factory.mktemp("security-index"), articles)
        return
    from newswire.adapters.elasticsearch import create_client  # noqa: PLC0415

    settings = Settings(elasticsearch_url=elasticsearch_url, index_alias="test-security-alias")
    client = create_client(settings)
    try:
        index_articles(client, settings.index_alias, "test-security-v2", articles)
        yield (
            name,
            settings.model_copy(update={"data_dir": tmp_path_factory.mktemp("security-data")}),
        )
    finally:
        client.options(ignore_status=404).indices.delete(index="test-security-v2")
        client.close()


@pytest.fixture(scope="module")
def api(backend: tuple[Backend, Settings]) -> Iterator[httpx.Client]:
    with (
        # One server, one address, for every probe of the module: not the rate under test.
        serving(create_app(backend[1].model_copy(update=UNTHROTTLED))) as base_url,
        httpx.Client(base_url=base_url, timeout=30) as client,
    ):
        yield client


def _search(api: httpx.Client, **params: Any) -> httpx.Response:
    return api.get("/articles/search", params=params)


# --- no 5xx from any input --------------------------------------------------------------------


def test_deeply_nested_parentheses_get_422_naming_the_limit_and_keep_the_connection(
    api: httpx.Client, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    for _ in range(3):  # the same keep-alive connection throughout
        response = _search(api, q="(" * 400 + "a")
        assert response.status_code == 422
        assert f"more than {MAX_NESTING} deep" in response.json()["detail"]
    assert _search(api, q="iraq").status_code == 200
    logged = "".join(r.getMessage() for r in caplog.records if r.name.startswith("newswire"))
    assert "Traceback" not in logged
    assert len(logged) < 3 * 1000  # one short line per refused request, not a traceback


def test_too_many_distinct_words_get_422_naming_the_limit(api: httpx.Client) -> None:
    response = _search(api, q=" OR ".join(f"w{n}" for n in range(MAX_TERMS + 1)))
    assert response.status_code == 422
    assert f"at most {MAX_TERMS}" in response.json()["detail"]


def test_a_forged_cursor_gets_422_not_a_server_error(api: httpx.Client) -> None:
    first = _search(api, sort="date", size=5).json()
    payload, signature = first["next_cursor"].split(".")
    body = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    for after in ([2**63, "x"], [-(2**63) - 1, "x"], [1e308, "x"], ["x", "x"]):
        forged = base64.urlsafe_b64encode(json.dumps(body | {"after": after}).encode())
        cursor = f"{forged.decode().rstrip('=')}.{signature}"
        response = _search(api, sort="date", size=5, cursor=cursor)
        assert response.status_code == 422, after
        assert "leave `cursor` out" in response.json()["detail"]


def test_a_word_repeated_to_the_length_limit_is_searched_once(api: httpx.Client) -> None:
    repeated = _search(api, q="said " * 100)
    once = _search(api, q="said")
    assert repeated.status_code == once.status_code == 200
    assert repeated.json()["total"] == once.json()["total"]
    assert [h["id"] for h in repeated.json()["hits"]] == [h["id"] for h in once.json()["hits"]]


def test_repetitions_cost_nothing_against_the_cost_limits(api: httpx.Client) -> None:
    """Repetitions are free; the distinct words are the cost (`search.cost`)."""
    words = COMMON_WORDS[:6]
    repeated = _search(api, q=" OR ".join(words * 3), size=100)  # 100 x 6 words: within 640
    once = _search(api, q=" OR ".join(words), size=100)
    refused = _search(api, q=" OR ".join(COMMON_WORDS * 3), size=65)  # 65 x 10: past it
    assert repeated.status_code == once.status_code == 200
    assert repeated.json()["total"] == once.json()["total"]
    assert refused.status_code == 422
    assert "`size` 65 x 10 words searched is 650; at most 640" in refused.json()["detail"]


def test_a_search_past_its_time_budget_is_a_fast_503(
    backend: tuple[Backend, Settings],
) -> None:
    """Embedded: SQLite's progress handler interrupts the search. Elasticsearch: the budget is
    the body's `timeout`, and an answer that timed out is refused rather than shown partial (a
    node this small finishes before it checks a 1 ms timeout, so its answer is stood in for)."""
    name, settings = backend
    over_budget = settings.model_copy(update={"api_search_budget_s": 1e-9})
    search = None
    if name == "elasticsearch":
        from newswire_api.search.elasticsearch import ElasticsearchArticleSearch  # noqa: PLC0415
        from newswire_api.search_request import CursorCodec  # noqa: PLC0415

        def answer(body: dict[str, Any]) -> Any:
            return type("Answer", (), {"body": body})()

        class TimedOut:
            class indices:  # noqa: N801 (the client's attribute)
                @staticmethod
                def get_mapping(index: str) -> Any:
                    return answer({"v2": {"mappings": {"_meta": {"index_version": 2}}}})

            def search(self, index: str, body: dict[str, Any], **_: Any) -> Any:
                assert body["timeout"] == "1ms"
                return answer({"timed_out": True})

            def termvectors(self, index: str, **_: Any) -> Any:
                return answer({"term_vectors": {}})  # no statistics: nothing to refuse

        search = ElasticsearchArticleSearch(
            TimedOut(),  # type: ignore[arg-type]
            settings.index_alias,
            CursorCodec(b"a test's cursor secret"),
            budget_s=1e-9,
        )
    with serving(create_app(over_budget, search=search)) as base_url:
        response = httpx.get(
            f"{base_url}/articles/search",
            params={"q": " OR ".join(COMMON_WORDS[:6]), "size": 100, "sort": "relevance"},
        )
    assert response.status_code == 503
    assert "time budget" in response.json()["detail"]
    assert response.headers["retry-after"]


def test_beyond_the_concurrent_searches_a_request_gets_503_at_once(
    backend: tuple[Backend, Settings],
) -> None:
    """One slot: a search holding it (stalled in the index) makes the next one a 503 at once."""
    from newswire_api.search import open_article_search  # noqa: PLC0415

    real = open_article_search(backend[1])
    entered, release = threading.Event(), threading.Event()

    class StalledSearch:
        def __getattr__(self, name: str) -> Any:
            return getattr(real, name)

        def sections(self) -> Any:
            entered.set()
            release.wait(10)
            return real.sections()

    settings = backend[1].model_copy(update={"api_max_concurrent_searches": 1})
    with serving(create_app(settings, search=StalledSearch())) as base_url:
        stalled = threading.Thread(target=httpx.get, args=(f"{base_url}/sections",))
        stalled.start()
        try:
            assert entered.wait(10)
            response = httpx.get(f"{base_url}/articles/search", params={"q": "iraq"})
            assert response.status_code == 503
            assert response.headers["retry-after"] == "1"
            assert "busy" in response.json()["detail"]
        finally:
            release.set()
            stalled.join(10)
        assert httpx.get(f"{base_url}/articles/search", params={"q": "iraq"}).status_code == 200


# --- secure defaults --------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/", "/static/search.js", "/docs", "/articles/search"])
def test_every_response_carries_the_security_headers(api: httpx.Client, path: str) -> None:
    response = api.get(path)
    assert response.status_code == 200
    policy = response.headers["content-security-policy"]
    assert "script-src 'self'" in policy
    assert "style-src 'self'" in policy
    assert "unsafe-inline" not in policy
    assert "frame-ancestors 'none'" in policy
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["referrer-policy"] == "no-referrer"


def test_the_docs_load_nothing_from_another_origin(api: httpx.Client) -> None:
    page = api.get("/docs").text
    assert "http://" not in page
    assert "https://" not in page
    assert "<script>" not in page  # no inline script: the CSP would refuse it
    for asset in ["/static/docs/swagger-ui-bundle.js", "/static/docs/swagger-ui.css"]:
        assert api.get(asset).status_code == 200


def test_metrics_of_the_other_services_listen_on_loopback_by_default(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    bound: list[str] = []
    monkeypatch.delenv("NEWSWIRE_METRICS_HOST", raising=False)
    monkeypatch.setattr(
        newswire.service_process,
        "start_http_server",
        lambda port, addr, registry: bound.append(addr),
    )
    newswire.service_process.expose_metrics(9999, CollectorRegistry())
    monkeypatch.setenv("NEWSWIRE_METRICS_HOST", "0.0.0.0")
    newswire.service_process.expose_metrics(9999, CollectorRegistry())
    assert bound == ["127.0.0.1", "0.0.0.0"]


def test_compose_publishes_only_the_api_and_on_loopback_by_default() -> None:
    compose = yaml.safe_load((REPO / "docker-compose.yml").read_text())
    published = {name: s["ports"] for name, s in compose["services"].items() if "ports" in s}
    assert published == {"api": ["${NEWSWIRE_API_PUBLISH:-127.0.0.1:8000}:8000"]}


@pytest.mark.parametrize("backend_name", BACKENDS)
def test_before_anything_is_indexed_the_503_names_no_path(
    backend_name: Backend, elasticsearch_url: str, tmp_path: Path
) -> None:
    if backend_name == "embedded":
        settings = Settings(search_index="embedded", data_dir=tmp_path / "nothing-yet")
    else:
        settings = Settings(
            elasticsearch_url=elasticsearch_url, index_alias="test-absent", data_dir=tmp_path
        )
    with serving(create_app(settings)) as base_url:
        response = httpx.get(f"{base_url}/articles/search", params={"q": "iraq"})
    assert response.status_code == 503
    assert "nothing has been indexed" in response.json()["detail"]
    assert str(tmp_path) not in response.text
    assert "/" not in response.json()["detail"]


def test_head_answers_like_get_without_a_body(api: httpx.Client) -> None:
    article = _search(api, q="pezeshkian", size=1).json()["hits"][0]["id"]
    for path in [
        "/",
        "/static/search.css",
        "/docs",
        "/openapi.json",
        "/articles/search?q=iraq",
        f"/articles/{article}",
        f"/articles/{article}/similar",
        "/entities",
        "/sections",
        "/healthz",
        "/readyz",
        "/metrics",
    ]:
        got, head = api.get(path), api.head(path)
        assert head.status_code == got.status_code == 200, path
        assert head.content == b"", path
        assert head.headers["content-type"] == got.headers["content-type"], path


# --- optional authentication ------------------------------------------------------------------


def test_keys_are_required_when_configured_and_metrics_have_their_own(
    backend: tuple[Backend, Settings],
) -> None:
    settings = backend[1].model_copy(
        update={
            "api_key_hashes": [_digest(SEARCH_KEY)],
            "api_metrics_key_hashes": [_digest(METRICS_KEY)],
        }
    )
    search, metrics = ({"Authorization": f"Bearer {key}"} for key in (SEARCH_KEY, METRICS_KEY))
    with serving(create_app(settings)) as base_url, httpx.Client(base_url=base_url) as client:
        for path in ["/articles/search", "/sections", "/entities", "/readyz", "/openapi.json"]:
            refused = client.get(path)
            assert refused.status_code == 401, path
            assert refused.headers["www-authenticate"].startswith("Bearer")
            assert client.get(path, headers={"Authorization": "Bearer wrong"}).status_code == 401
            assert client.get(path, headers=search).status_code == 200, path
        assert client.get("/metrics").status_code == 401
        assert client.get("/metrics", headers=search).status_code == 401
        assert client.get("/metrics", headers=metrics).status_code == 200
        assert client.get("/articles/search", headers=metrics).status_code == 401
        for public in ["/healthz", "/", "/static/search.js", "/docs"]:
            assert client.get(public).status_code == 200, public


def test_keys_can_come_from_a_file_of_digests(
    backend: tuple[Backend, Settings], tmp_path: Path
) -> None:
    keys_file = tmp_path / "api-keys"
    keys_file.write_text(f"# the search page's key\n{_digest(SEARCH_KEY)}  page\n")
    settings = backend[1].model_copy(update={"api_keys_file": keys_file})
    with serving(create_app(settings)) as base_url:
        assert httpx.get(f"{base_url}/sections").status_code == 401
        authorised = {"Authorization": f"Bearer {SEARCH_KEY}"}
        assert httpx.get(f"{base_url}/sections", headers=authorised).status_code == 200


def test_without_keys_configured_nothing_needs_one(api: httpx.Client) -> None:
    for path in ["/articles/search", "/sections", "/metrics", "/openapi.json", "/readyz"]:
        assert api.get(path).status_code == 200, path


# --- highlights cannot be forged --------------------------------------------------------------


def test_control_characters_in_an_article_cannot_open_or_close_a_highlight(
    api: httpx.Client,
) -> None:
    hits = _search(api, q="zanzibar").json()["hits"]
    (hit,) = [hit for hit in hits if hit["id"] == MARKED_ID]
    fragments = [hit["highlights"]["title"], *hit["highlights"]["body"]]
    assert fragments[0] is not None
    assert "<mark>Zanzibar</mark>" in fragments[0]
    for fragment in fragments:
        assert fragment.count("<mark>") == fragment.count("</mark>"), fragment
        assert not any(ord(c) < 32 for c in fragment), fragment
