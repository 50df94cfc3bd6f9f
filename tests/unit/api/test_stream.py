"""The live feed's positions and its bounds, with a fake index and a fake connection (the
back-ends are tested for real in tests/integration/api/test_stream.py)."""

import asyncio
import time
from typing import Any, cast

import anyio
import pytest
from prometheus_client import CollectorRegistry

from newswire.settings import Settings
from newswire_api.feed import FeedEvent, FeedPage, FeedPosition, InvalidEventIdError, row_tag
from newswire_api.ports import ArticleSearch
from newswire_api.responses import Highlights, SearchHit
from newswire_api.search_request import SearchParams
from newswire_api.stream import Streams, StreamsFullError


def test_an_event_id_gives_back_the_position_it_was_made_from() -> None:
    position = FeedPosition(41, 1_796_111_148_784, row_tag("story", "content", None))

    assert FeedPosition.from_event_id(position.event_id) == position
    assert FeedPosition.from_event_id("7-0-") == FeedPosition(7, 0, "")


@pytest.mark.parametrize("text", ["", "yesterday", "1-2", "1-2-XYZ", "-1-2-", "1-2-3\n4"])
def test_an_event_id_this_api_did_not_give_is_refused(text: str) -> None:
    with pytest.raises(InvalidEventIdError, match="Last-Event-ID"):
        FeedPosition.from_event_id(text)


def test_two_rows_at_one_rowid_are_told_apart_by_their_tag() -> None:
    assert row_tag("a", "c1", None) != row_tag("a", "c2", None)
    assert row_tag("a", "c1", None) != row_tag("a", "c1", "2026-12-01T00:00:00+00:00")


class EndlessFeed:
    """An index where a new article is always searchable."""

    def __init__(self) -> None:
        self.sequence = 0

    def feed_head(self, now_ms: int) -> tuple[FeedPosition, int | None]:
        return FeedPosition(self.sequence, now_ms), None

    def listed_after(
        self, params: SearchParams, after: FeedPosition, now_ms: int, limit: int
    ) -> FeedPage:
        self.sequence += 1
        hit = SearchHit(id=f"story-{self.sequence}", title="t", score=None, highlights=Highlights())
        position = FeedPosition(self.sequence, now_ms)
        return FeedPage([FeedEvent(position, hit)], position, more=True)


def streams(**settings: Any) -> Streams:
    return Streams(
        cast(ArticleSearch, EndlessFeed()),
        Settings(api_stream_poll_interval_s=0.05, **settings),
        CollectorRegistry(),
    )


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
        response = await open_streams.start(SearchParams(), None)
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
        await open_streams.start(SearchParams(), FeedPosition(0, 0))

    anyio.run(start)
    with pytest.raises(StreamsFullError, match="live streams"):
        anyio.run(start)
    open_streams.ended(dropped=False)
    anyio.run(start)
