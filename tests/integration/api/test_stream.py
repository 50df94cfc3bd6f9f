"""`GET /articles/stream` on both back-ends (Elasticsearch and the embedded index), with the
indexer's own writers putting articles in while streams are open: articles arrive within a
second of being searchable, a reconnect with Last-Event-ID receives exactly what it missed, the
search filters and the visibility rules apply, and the bounds hold."""

import hashlib
import json
import queue
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from elasticsearch import Elasticsearch

from newswire.article_index import ArticleIndex
from newswire.enriched import EnrichedArticle, story_id
from newswire.settings import Settings
from newswire_api.app import create_app
from newswire_indexer.bulk import BulkWriter
from newswire_indexer.embedded_writer import EmbeddedDocumentWriter
from newswire_indexer.ports import DocumentWriter
from tests.support.search_corpus import BACKENDS, as_documents, reference_sample, serving

pytestmark = pytest.mark.integration

SECOND_S = 1.0
HEARTBEAT_S = 0.5


class LiveIndex:
    """A fresh index of one back-end that the indexer's writer fills while the API serves it."""

    def __init__(self, settings: Settings, writer: DocumentWriter, template: EnrichedArticle):
        self.settings = settings
        self._writer = writer
        self._template = template

    def article(self, name: str, **fields: Any) -> EnrichedArticle:
        key = f"guid:test-stream/{name}"
        return EnrichedArticle.model_validate(
            {
                **self._template.model_dump(),
                "id": story_id(key),
                "story_key": key,
                "guid": key.removeprefix("guid:"),
                "title": f"Story {name}",
                "content_sha256": hashlib.sha256(name.encode()).hexdigest(),
                **fields,
            }
        )

    def write(self, *articles: EnrichedArticle) -> None:
        outcome = self._writer.write(as_documents(articles), wait=time.sleep)
        assert not outcome.rejected, outcome.rejected


@pytest.fixture(scope="module")
def template(shared_dir: Path) -> EnrichedArticle:
    return reference_sample(shared_dir)


@pytest.fixture(params=BACKENDS)
def live_index(
    request: pytest.FixtureRequest, template: EnrichedArticle, tmp_path: Path
) -> Iterator[LiveIndex]:
    if request.param == "embedded":
        settings = Settings(search_index="embedded", data_dir=tmp_path)
        embedded = EmbeddedDocumentWriter(settings.search_index_path)
        try:
            yield LiveIndex(settings, embedded, template)
        finally:
            embedded.close()
        return
    elasticsearch: Elasticsearch = request.getfixturevalue("elasticsearch")
    url: str = request.getfixturevalue("elasticsearch_url")
    index_name = f"test-stream-{uuid.uuid4().hex[:12]}"
    settings = Settings(elasticsearch_url=url, index_alias=f"{index_name}-alias")
    ArticleIndex(elasticsearch, settings.index_alias, index_name).ensure()
    try:
        yield LiveIndex(settings, BulkWriter(elasticsearch, settings.index_alias, 2.0), template)
    finally:
        elasticsearch.options(ignore_status=404).indices.delete(index=f"{index_name}*")


@pytest.fixture
def base_url(live_index: LiveIndex) -> Iterator[str]:
    # Frequent heartbeats let a test's reader notice soon that the test closed its stream;
    # `searchable_at` polls every 10 ms, from the same address (its rate is not under test).
    settings = live_index.settings.model_copy(
        update={
            "api_stream_heartbeat_s": HEARTBEAT_S,
            "api_rate_limit_per_s": 1e6,
            "api_rate_limit_burst": 1_000_000,
        }
    )
    with serving(create_app(settings)) as url:
        yield url


class OpenStream:
    """A client reading a stream in a thread: its events, as they arrive, with their times."""

    def __init__(self, url: str, params: dict[str, Any], headers: dict[str, str]) -> None:
        self.events: queue.Queue[tuple[float, dict[str, Any]]] = queue.Queue()
        self.position: str | None = None  # the id the last heartbeat carried
        self.ready = threading.Event()
        self._closing = threading.Event()
        self._client = httpx.Client(timeout=httpx.Timeout(10, read=60))
        self._response = self._client.send(
            self._client.build_request(
                "GET", f"{url}/articles/stream", params=params, headers=headers
            ),
            stream=True,
        )
        assert self._response.status_code == 200, self._response.read()
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()
        assert self.ready.wait(10), "the stream sent nothing"

    def _read(self) -> None:
        event: dict[str, Any] = {}
        try:
            for line in self._response.iter_lines():
                if self._closing.is_set():
                    break
                if line.startswith("retry:"):
                    self.ready.set()
                elif line.startswith(("id:", "event:", "data:")):
                    field, _, value = line.partition(":")
                    event[field] = value.strip()
                elif line == "" and event:
                    if "event" in event:  # not a heartbeat (its id alone)
                        self.events.put((time.monotonic(), event))
                    else:
                        self.position = event["id"]
                    event = {}
        except httpx.HTTPError:
            pass  # closed by the server
        finally:
            self._response.close()
            self._client.close()

    def next(self, timeout_s: float = 10) -> tuple[float, dict[str, Any]]:
        return self.events.get(timeout=timeout_s)

    def titles(self, count: int, timeout_s: float = 20) -> list[str]:
        deadline = time.monotonic() + timeout_s
        found: list[str] = []
        while len(found) < count:
            _, event = self.events.get(timeout=max(0.01, deadline - time.monotonic()))
            found.append(json.loads(event["data"])["title"])
        return found

    def close(self) -> None:
        """Disconnect, as a client that goes away does (its reader, at the next heartbeat)."""
        self._closing.set()
        self._thread.join(timeout=10)


@pytest.fixture
def open_stream(base_url: str) -> Iterator[Any]:
    opened: list[OpenStream] = []

    def open_one(headers: dict[str, str] | None = None, **params: Any) -> OpenStream:
        opened.append(OpenStream(base_url, params, headers or {}))
        return opened[-1]

    yield open_one
    for stream in opened:
        stream.close()


def searchable_at(base_url: str, title: str, timeout_s: float = 20) -> float:
    """When a search first finds the article titled `title` (polled every 10 ms)."""
    deadline = time.monotonic() + timeout_s
    with httpx.Client(base_url=base_url, timeout=10) as client:
        while time.monotonic() < deadline:
            found = client.get("/articles/search", params={"q": f'"{title}"', "size": 5})
            if found.status_code == 200 and any(
                hit["title"] == title for hit in found.json()["hits"]
            ):
                return time.monotonic()
            time.sleep(0.01)
    raise AssertionError(f"{title!r} never became searchable")


def test_an_article_appears_on_an_open_stream_within_a_second_of_being_searchable(
    live_index: LiveIndex, base_url: str, open_stream: Any
) -> None:
    stream = open_stream()
    article = live_index.article("drop-1")

    live_index.write(article)
    searchable = searchable_at(base_url, article.title)
    arrived, event = stream.next()

    assert json.loads(event["data"])["id"] == article.id
    assert event["event"] == "article"
    assert arrived - searchable < SECOND_S


def test_a_reconnect_with_last_event_id_receives_exactly_the_50_articles_missed(
    live_index: LiveIndex, open_stream: Any
) -> None:
    first = open_stream()
    live_index.write(live_index.article("before"))
    _, seen = first.next()
    first.close()
    missed = [live_index.article(f"missed-{n}") for n in range(50)]
    for start in range(0, 50, 10):  # in several batches, as the indexer writes them
        live_index.write(*missed[start : start + 10])

    again = open_stream(headers={"Last-Event-ID": seen["id"]})
    received = again.titles(50)
    time.sleep(1.5)  # anything more would arrive by now

    assert sorted(received) == sorted(article.title for article in missed)
    assert again.events.empty()


def test_the_search_filters_and_the_visibility_rules_apply_to_the_stream(
    live_index: LiveIndex, open_stream: Any
) -> None:
    business = open_stream(section="Business")
    sport_words = open_stream(q="sport OR embargoed -business")
    everything = open_stream()
    embargo_ends = datetime.now(UTC) + timedelta(seconds=3)

    live_index.write(
        live_index.article("sport", section="Sport"),
        live_index.article("withheld", section="Business", pub_status="withheld"),
        live_index.article(
            "embargoed", section="Business", embargoed=True, embargoed_until=embargo_ends
        ),
    )
    live_index.write(live_index.article("business", section="Business"))

    assert sorted(everything.titles(2)) == ["Story business", "Story sport"]
    assert business.titles(1) == ["Story business"]
    assert sport_words.titles(1) == ["Story sport"]
    # The embargoed story arrives when its embargo passes, never before; the withheld never.
    assert business.titles(1, timeout_s=10) == ["Story embargoed"]
    assert datetime.now(UTC) >= embargo_ends
    assert everything.titles(1, timeout_s=5) == ["Story embargoed"]
    assert sport_words.titles(1, timeout_s=5) == ["Story embargoed"]
    time.sleep(1)
    assert business.events.empty()
    assert sport_words.events.empty()
    assert everything.events.empty()


def test_a_stream_beyond_the_cap_is_refused_with_503(
    live_index: LiveIndex,
) -> None:
    settings = live_index.settings.model_copy(
        update={"api_max_open_streams": 1, "api_stream_heartbeat_s": HEARTBEAT_S}
    )
    with serving(create_app(settings)) as url:
        first = OpenStream(url, {}, {})
        try:
            refused = httpx.get(f"{url}/articles/stream", timeout=10)
        finally:
            first.close()

    assert refused.status_code == 503
    assert "live streams" in refused.json()["detail"]
    assert refused.headers["retry-after"]


def test_a_last_event_id_this_api_did_not_give_is_refused_with_422(base_url: str) -> None:
    refused = httpx.get(
        f"{base_url}/articles/stream", headers={"Last-Event-ID": "yesterday"}, timeout=10
    )

    assert refused.status_code == 422
    assert "Last-Event-ID" in refused.json()["detail"]
