"""The live feed's positions and its bounds, with a fake index and a fake connection (the
back-ends are tested for real in tests/integration/api/test_stream.py)."""

import asyncio
import time
from typing import Any, cast

import anyio
import pytest
from prometheus_client import CollectorRegistry

from newswire.settings import Settings
from newswire_api.admission import TooManyRequestsError
from newswire_api.feed import (
    MAX_SEQUENCE,
    FeedEvent,
    FeedPage,
    FeedPosition,
    InvalidEventIdError,
    ReplayBounds,
    resume_from,
    row_tag,
)
from newswire_api.ports import ArticleSearch
from newswire_api.responses import Highlights, SearchHit
from newswire_api.search_request import InvalidSearchError, SearchParams
from newswire_api.stream import Streams, StreamsFullError, now_ms

CLIENT = "address:192.0.2.1"
NOW_MS = 1_796_111_148_784
BOUNDS = ReplayBounds(max_age_ms=600_000, max_writes=1000)
HEAD = FeedPosition(5000, NOW_MS, row_tag("newest", "content", None))


def test_an_event_id_gives_back_the_position_it_was_made_from() -> None:
    position = FeedPosition(41, NOW_MS, row_tag("story", "content", None))

    assert FeedPosition.from_event_id(position.event_id) == position
    assert FeedPosition.from_event_id("7-0-") == FeedPosition(7, 0, "")
    assert FeedPosition.from_event_id("-1-0-") == FeedPosition(-1, 0, "")  # an empty index
    assert FeedPosition.from_event_id(f"{MAX_SEQUENCE}-0-").sequence == 2**63 - 1


@pytest.mark.parametrize(
    "text", ["", "yesterday", "1-2", "1-2-XYZ", "1-2-abc", "-2-2-", "1-2-3\n4", "1--2-"]
)
def test_an_event_id_this_api_did_not_give_is_refused(text: str) -> None:
    with pytest.raises(InvalidEventIdError, match="Last-Event-ID"):
        FeedPosition.from_event_id(text)


@pytest.mark.parametrize("sequence", [2**63, 10**19 - 1])
def test_a_sequence_past_a_64_bit_integer_is_refused(sequence: int) -> None:
    with pytest.raises(InvalidEventIdError, match="past the last position"):
        FeedPosition.from_event_id(f"{sequence}-0-")


def test_a_long_event_id_is_echoed_cut_in_the_refusal() -> None:
    with pytest.raises(InvalidEventIdError) as refused:
        FeedPosition.from_event_id("9" * 10_000)

    assert "10,000 characters, cut to 80" in str(refused.value)
    assert len(str(refused.value)) < 300


def test_a_resume_dated_after_now_is_refused() -> None:
    embargo_end_in_2030 = 1_900_000_000_000
    with pytest.raises(InvalidEventIdError, match="dated after now"):
        resume_from(FeedPosition(0, embargo_end_in_2030), HEAD, NOW_MS, BOUNDS)


def test_a_resume_ahead_of_the_index_is_refused() -> None:
    with pytest.raises(InvalidEventIdError, match="ahead of the index"):
        resume_from(FeedPosition(HEAD.sequence + 1, NOW_MS), HEAD, NOW_MS, BOUNDS)


def test_a_resume_within_the_bounds_replays_from_where_it_was() -> None:
    asked = FeedPosition(HEAD.sequence - 1000, NOW_MS - 600_000, "")

    assert resume_from(asked, HEAD, NOW_MS, BOUNDS) == (asked, None)


def test_a_resume_older_than_the_resume_age_resyncs_from_the_head() -> None:
    start, reason = resume_from(FeedPosition(HEAD.sequence, 0), HEAD, NOW_MS, BOUNDS)

    assert start == HEAD
    assert reason is not None
    assert reason.startswith("resync:")
    assert "search again" in reason


def test_a_resume_more_writes_behind_than_the_replay_limit_resyncs_from_the_head() -> None:
    start, reason = resume_from(FeedPosition(0, NOW_MS), HEAD, NOW_MS, BOUNDS)

    assert start == HEAD
    assert reason is not None
    assert "5,000 writes behind" in reason


def test_two_rows_at_one_rowid_are_told_apart_by_their_tag() -> None:
    assert row_tag("a", "c1", None) != row_tag("a", "c2", None)
    assert row_tag("a", "c1", None) != row_tag("a", "c1", "2026-12-01T00:00:00+00:00")


class EndlessFeed:
    """An index where a new article is always searchable; it remembers the times it was read
    as of."""

    def __init__(self) -> None:
        self.sequence = 0
        self.read_as_of: list[int] = []

    def feed_head(self, now_ms: int) -> tuple[FeedPosition, int | None]:
        return FeedPosition(self.sequence, now_ms), None

    def listed_after(
        self, params: SearchParams, after: FeedPosition, now_ms: int, limit: int
    ) -> FeedPage:
        self.read_as_of.append(now_ms)
        self.sequence += 1
        hit = SearchHit(id=f"story-{self.sequence}", title="t", score=None, highlights=Highlights())
        position = FeedPosition(self.sequence, now_ms)
        return FeedPage([FeedEvent(position, hit)], position, more=True)


class QuietFeed(EndlessFeed):
    """An index where nothing new becomes searchable."""

    def listed_after(
        self, params: SearchParams, after: FeedPosition, now_ms: int, limit: int
    ) -> FeedPage:
        self.read_as_of.append(now_ms)
        return FeedPage([], FeedPosition(after.sequence, now_ms), more=False)


def streams(feed: EndlessFeed | None = None, **settings: Any) -> Streams:
    return Streams(
        cast(ArticleSearch, feed or EndlessFeed()),
        Settings(api_stream_poll_interval_s=0.05, **settings),
        CollectorRegistry(),
    )


async def _first_chunks(open_streams: Streams, asked: FeedPosition | None, count: int) -> str:
    """What a stream started from `asked` sends first, `count` chunks of it."""
    response = await open_streams.start(SearchParams(), asked, CLIENT)
    events = open_streams.events(SearchParams(), response._position, response._resync)
    chunks = [await anext(events) for _ in range(count)]
    await events.aclose()
    return "".join(chunk.decode() for chunk in chunks)


def test_a_client_that_stops_reading_is_dropped_with_the_reason() -> None:
    open_streams = streams(api_stream_send_timeout_s=0.2)
    sent: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)
        if len(sent) > 3:  # the client's buffer is full: nothing is taken any more
            await asyncio.Event().wait()

    async def receive() -> dict[str, Any]:
        await asyncio.Event().wait()  # the client never goes away
        return {"type": "http.disconnect"}

    async def serve() -> None:
        response = await open_streams.start(SearchParams(), None, CLIENT)
        await response({"type": "http"}, receive, send)  # type: ignore[arg-type]

    started = time.monotonic()
    anyio.run(serve)

    assert time.monotonic() - started < 5
    dropped = sent[-1]["body"].decode()
    assert dropped.startswith("event: dropped\n")
    assert "read too slowly" in dropped
    assert "Last-Event-ID" in dropped


def test_a_stream_beyond_the_cap_is_refused_and_a_closed_one_frees_its_place() -> None:
    open_streams = streams(api_max_open_streams=1)

    async def start() -> None:
        await open_streams.start(SearchParams(), FeedPosition(0, 0), CLIENT)

    anyio.run(start)
    with pytest.raises(StreamsFullError, match="live streams"):
        anyio.run(start)
    open_streams.ended(CLIENT, dropped=False)
    anyio.run(start)


def test_a_client_past_its_streams_gets_429_while_other_clients_still_open_theirs() -> None:
    open_streams = streams(api_max_streams_per_client=2)

    async def start(client: str) -> None:
        await open_streams.start(SearchParams(), None, client)

    anyio.run(start, CLIENT)
    anyio.run(start, CLIENT)
    with pytest.raises(TooManyRequestsError, match="2 live streams open") as refused:
        anyio.run(start, CLIENT)
    anyio.run(start, "address:192.0.2.2")
    open_streams.ended(CLIENT, dropped=False)
    anyio.run(start, CLIENT)

    assert refused.value.retry_after_s > 0


class SlowHead(EndlessFeed):
    """An index that takes a while to say where it is."""

    def feed_head(self, now_ms: int) -> tuple[FeedPosition, int | None]:
        time.sleep(0.2)
        return super().feed_head(now_ms)


def test_streams_a_client_opens_at_once_cannot_pass_its_cap() -> None:
    open_streams = streams(SlowHead(), api_max_streams_per_client=2)

    async def start_three() -> list[BaseException | object]:
        starts = [open_streams.start(SearchParams(), None, CLIENT) for _ in range(3)]
        return await asyncio.gather(*starts, return_exceptions=True)

    started = anyio.run(start_three)

    refused = [result for result in started if isinstance(result, TooManyRequestsError)]
    assert len(refused) == 1


def test_a_resume_dated_after_now_is_refused_before_the_stream_starts() -> None:
    open_streams = streams(api_max_streams_per_client=1)

    async def start() -> None:
        await open_streams.start(SearchParams(), FeedPosition(0, now_ms() + 3_600_000), CLIENT)

    with pytest.raises(InvalidSearchError, match="dated after now"):
        anyio.run(start)
    anyio.run(open_streams.start, SearchParams(), None, CLIENT)  # the refused one holds no place


def test_a_stream_reads_as_of_the_servers_clock_whatever_its_id_says() -> None:
    """An id a little ahead of this server's clock is let in (another API process's clock may
    be ahead), but reads are as of this server's clock."""
    feed = EndlessFeed()
    ahead_ms = 1_500
    asked = FeedPosition(0, now_ms() + ahead_ms)

    anyio.run(_first_chunks, streams(feed), asked, 2)
    read_by = now_ms()

    assert feed.read_as_of
    assert all(as_of <= read_by for as_of in feed.read_as_of)


def test_a_resume_from_too_far_back_starts_with_a_resync_event_at_the_head() -> None:
    sent = anyio.run(_first_chunks, streams(), FeedPosition(0, 0), 2)

    resync = sent.split("\n\n")[1]
    assert resync.startswith("id: 0-")
    assert "\nevent: resync\n" in resync
    assert "search again" in resync


def test_a_quiet_stream_sends_heartbeats_carrying_the_position_reached() -> None:
    sent = anyio.run(_first_chunks, streams(QuietFeed(), api_stream_heartbeat_s=0.05), None, 3)

    heartbeats = [block for block in sent.split("\n\n") if block.endswith(": heartbeat")]
    assert len(heartbeats) == 2
    assert all(block.startswith("id: 0-") for block in heartbeats)
