"""The live feed as issue 27's probe attacked it, on both back-ends (a real Elasticsearch node and
the embedded index, each holding 300 BBC articles, the reference sample and a story embargoed
until 2030): a client cannot move "now" with its Last-Event-ID, ids no index gives are refused
before a stream starts, replays are bounded, and searches are answered while streams replay.

What is asserted is what the server answers, never how fast (`benchmarks/api_abuse.py`
measures that): a search that ran past its time budget, or waited too long for its turn, is
answered 503 by the server itself."""

import asyncio
import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from benchmarks.corpus import enriched_bbc_articles
from newswire.enriched import EnrichedArticle, story_id
from newswire.settings import Settings
from newswire_api.app import create_app
from newswire_api.stream import now_ms
from tests.support.search_corpus import (
    BACKENDS,
    Backend,
    index_articles,
    index_embedded,
    reference_sample,
    serving,
)

pytestmark = pytest.mark.integration

EMBARGOED_KEY = "inbox:security/embargoed-until-2030.txt"
EMBARGOED_ID = story_id(EMBARGOED_KEY)
EMBARGOED_TITLE = "Zanzibar budget: the figures under embargo until 2030"
# The probe's id: sequence 0, embargoes "lifted" up to the year 33658, no tag.
FAR_FUTURE_ID = "0-999999999999999-"
STREAM_SETTINGS = {"api_stream_heartbeat_s": 0.5, "api_stream_poll_interval_s": 0.1}


@pytest.fixture(scope="module")
def articles(shared_dir: Path) -> list[EnrichedArticle]:
    sample = reference_sample(shared_dir)
    embargoed = EnrichedArticle.model_validate(
        {
            **sample.model_dump(),
            "id": EMBARGOED_ID,
            "story_key": EMBARGOED_KEY,
            "content_sha256": "e" * 64,
            "title": EMBARGOED_TITLE,
            "embargoed": True,
            "embargoed_until": datetime(2030, 1, 1, tzinfo=UTC),
        }
    )
    return [*enriched_bbc_articles(shared_dir, limit=300), sample, embargoed]


@pytest.fixture(scope="module", params=BACKENDS)
def settings(
    request: pytest.FixtureRequest,
    articles: list[EnrichedArticle],
    elasticsearch_url: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Settings]:
    """The settings of an API over a back-end holding `articles`."""
    backend: Backend = request.param
    if backend == "embedded":
        indexed = index_embedded(tmp_path_factory.mktemp("stream-abuse-index"), articles)
        yield indexed.model_copy(update=STREAM_SETTINGS)
        return
    from newswire.adapters.elasticsearch import create_client  # noqa: PLC0415

    name = f"test-stream-abuse-{uuid.uuid4().hex[:8]}"
    indexed = Settings(elasticsearch_url=elasticsearch_url, index_alias=f"{name}-alias")
    client = create_client(indexed)
    try:
        index_articles(client, indexed.index_alias, name, articles)
        data_dir = tmp_path_factory.mktemp("stream-abuse-data")
        yield indexed.model_copy(update={"data_dir": data_dir, **STREAM_SETTINGS})
    finally:
        client.options(ignore_status=404).indices.delete(index=f"{name}*")
        client.close()


@pytest.fixture(scope="module")
def base_url(settings: Settings) -> Iterator[str]:
    # One address opens many streams here: the per-client cap has a test of its own.
    with serving(create_app(settings.model_copy(update=_MANY_STREAMS))) as url:
        yield url


_MANY_STREAMS = {"api_max_streams_per_client": 200, "api_rate_limit_burst": 500}


@dataclass
class StreamRead:
    """What a stream sent until its first heartbeat after the replay: its status, events (type,
    data) and the id that heartbeat carried."""

    status: int
    events: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    position: str | None = None
    refusal: dict[str, Any] | None = None

    def articles(self) -> list[dict[str, Any]]:
        return [data for kind, data in self.events if kind == "article"]


async def read_stream(
    client: httpx.AsyncClient, params: dict[str, Any], last_event_id: str | None = None
) -> StreamRead:
    """Open a stream and read it until a heartbeat (everything replayed was sent before it)."""
    headers = {"Last-Event-ID": last_event_id} if last_event_id else {}
    async with client.stream("GET", "/articles/stream", params=params, headers=headers) as sent:
        read = StreamRead(sent.status_code)
        if sent.status_code != 200:
            read.refusal = json.loads(await sent.aread())
            return read
        block: dict[str, str] = {}
        async for line in sent.aiter_lines():
            if line:
                name, _, value = line.partition(":")
                block[name or "comment"] = value.strip()
                continue
            if "event" in block:
                read.events.append((block["event"], json.loads(block["data"])))
            elif block.get("comment") == "heartbeat":
                read.position = block["id"]
                return read
            block = {}
    return read


def _read(base_url: str, params: dict[str, Any], last_event_id: str | None = None) -> StreamRead:
    async def one() -> StreamRead:
        async with httpx.AsyncClient(base_url=base_url, timeout=30) as client:
            return await read_stream(client, params, last_event_id)

    return asyncio.run(one())


def _oldest_accepted_id() -> str:
    """A position before every write (an empty index's head), dated a second ago: as far back
    as a stream replays without a resync on these small indexes."""
    return f"-1-{now_ms() - 1000}-"


@pytest.mark.parametrize("how", ["header", "query"])
def test_a_stream_resumed_with_a_far_future_embargo_time_is_refused_before_it_starts(
    base_url: str, how: str
) -> None:
    params = {"q": "zanzibar"}
    headers = {}
    if how == "header":
        headers["Last-Event-ID"] = FAR_FUTURE_ID
    else:
        params["last_event_id"] = FAR_FUTURE_ID

    refused = httpx.get(f"{base_url}/articles/stream", params=params, headers=headers, timeout=30)

    assert refused.status_code == 422
    assert refused.headers["content-type"] == "application/json"
    assert "dated after now" in refused.json()["detail"]
    assert EMBARGOED_TITLE not in refused.text


def test_no_stream_ever_sends_the_embargoed_story(base_url: str) -> None:
    replayed = _read(base_url, {}, _oldest_accepted_id())
    matching = _read(base_url, {"q": "zanzibar budget embargo"}, _oldest_accepted_id())

    assert replayed.status == matching.status == 200
    assert len(replayed.articles()) >= 300  # everything visible was replayed
    for read in (replayed, matching):
        assert EMBARGOED_ID not in {article["id"] for article in read.articles()}
        assert EMBARGOED_TITLE not in json.dumps(read.events)
    # as the search and the article's own page hide it
    assert httpx.get(f"{base_url}/articles/{EMBARGOED_ID}", timeout=30).status_code == 404
    found = httpx.get(f"{base_url}/articles/search", params={"q": "zanzibar"}, timeout=30)
    assert EMBARGOED_ID not in {hit["id"] for hit in found.json()["hits"]}


@pytest.mark.parametrize(
    ("event_id", "why"),
    [
        (f"{2**63}-0-", "past the last position"),
        (f"{2**64 + 5}-0-", "not an id of this stream's events"),  # 20 digits
        (f"{2**63 - 1}-0-", "ahead of the index"),
    ],
)
def test_an_id_past_what_an_index_can_hold_is_refused_before_the_stream_starts(
    base_url: str, event_id: str, why: str
) -> None:
    refused = httpx.get(
        f"{base_url}/articles/stream", headers={"Last-Event-ID": event_id}, timeout=30
    )

    assert refused.status_code == 422
    assert why in refused.json()["detail"]


def test_last_event_id_is_taken_as_a_query_parameter_as_documented(base_url: str) -> None:
    first = _read(base_url, {})
    assert first.position is not None

    resumed = _read(base_url, {"last_event_id": first.position})

    assert resumed.status == 200
    assert resumed.events == []  # nothing became searchable since; no resync either
    assert resumed.position is not None


def test_a_replay_flood_leaves_every_search_answered_within_its_budget(base_url: str) -> None:
    """The probe's streams resuming from `0-0-`, and others replaying as far back as is
    accepted, while searches run: the probe's get a `resync` instead of a replay, the others
    replay what the index lists and nothing twice, and every search is answered 200 (a search
    past its time budget, or waiting past its turn, is a 503)."""
    listed = httpx.get(f"{base_url}/articles/search", timeout=30).json()["total"]

    async def flood() -> tuple[list[StreamRead], list[StreamRead], list[int]]:
        limits = httpx.Limits(max_connections=500)
        async with httpx.AsyncClient(base_url=base_url, timeout=120, limits=limits) as client:

            async def searches() -> list[int]:
                statuses = []
                for q in ["iraq", "government", "economy growth", "film OR music"] * 10:
                    answer = await client.get("/articles/search", params={"q": q})
                    statuses.append(answer.status_code)
                return statuses

            probes = asyncio.gather(*[read_stream(client, {}, "0-0-") for _ in range(100)])
            replays = asyncio.gather(
                *[read_stream(client, {}, _oldest_accepted_id()) for _ in range(50)]
            )
            searched = asyncio.gather(*[searches() for _ in range(4)])
            done = await asyncio.gather(probes, replays, searched)
            return done[0], done[1], [status for each in done[2] for status in each]

    probes, replays, statuses = asyncio.run(flood())

    assert statuses == [200] * 160
    assert all(read.status == 200 for read in probes + replays)
    assert all(read.events[0][0] == "resync" for read in probes)
    assert all("search again" in read.events[0][1]["reason"] for read in probes)
    assert all(read.articles() == [] for read in probes)
    for read in replays:
        replayed = [article["id"] for article in read.articles()]
        assert len(replayed) == len(set(replayed)) == listed


def test_a_client_past_its_streams_is_answered_429(settings: Settings) -> None:
    capped = settings.model_copy(update={"api_max_streams_per_client": 2})

    async def open_three(url: str) -> list[int]:
        async with httpx.AsyncClient(base_url=url, timeout=30) as client:
            first = client.stream("GET", "/articles/stream")
            second = client.stream("GET", "/articles/stream")
            async with first as one, second as two:
                third = await client.get("/articles/stream")
                return [one.status_code, two.status_code, third.status_code, *_retry(third)]

    with serving(create_app(capped)) as url:
        statuses = asyncio.run(open_three(url))

    assert statuses[:3] == [200, 200, 429]
    assert statuses[3] >= 1  # Retry-After


def _retry(answer: httpx.Response) -> list[int]:
    return [int(answer.headers["retry-after"])]
