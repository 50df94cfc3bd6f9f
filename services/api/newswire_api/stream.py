"""`GET /articles/stream`: the live feed as Server-Sent Events, with bounded resources.

Each stream reads the index itself after its position (`ArticleSearch.listed_after`, see
`newswire_api.feed`), never a buffer in memory: it starts where the client's `Last-Event-ID`
says (or now), sends what became searchable since, then waits. Waiting costs no request per
stream: one `FeedWatcher` per API process asks the index for its head every poll interval and
wakes every stream when something was written or an embargo passed; only then do the streams
ask for their matches, one read per distinct set of filters (streams caught up share a position,
so their reads are one).

What may be shown is decided by this server's clock alone: a read is "as of" the watcher's last
check (or a little later, never after now), whatever time the client's Last-Event-ID carries; an
id dated after now or ahead of the index is refused (422) before the response starts, and one
from too far back is answered with a `resync` event instead of a replay (`feed.resume_from`).
Bounds:

- at most `api_max_open_streams` streams (one more: 503 with Retry-After), and at most
  `api_max_streams_per_client` per client (one more: 429);
- at most `api_stream_concurrent_reads` streams ask the index at once (a burst of 200 woken
  streams queues here, not in the worker threads the searches use), and every read takes a
  turn at the index as the one client `admission.FEED_READER`, so the streams together get a
  fair share of the index, as one client of the searches does;
- a comment line every `api_stream_heartbeat_s` when nothing else was sent, carrying the `id`
  the stream has reached, so a client that reconnects resumes from there, not from its last
  matching article (which could be hours and thousands of writes back);
- a client that has not taken an event within `api_stream_send_timeout_s` reads too slowly: it
  is sent a `dropped` event with the reason (when that still fits in the connection) and the
  stream is closed; it reconnects with its Last-Event-ID and misses nothing;
- on SIGTERM/SIGINT every stream ends, so the server's graceful shutdown is not held up.
"""

import asyncio
import json
import logging
import signal
import threading
import time
from collections.abc import AsyncGenerator, Callable
from datetime import UTC, datetime
from functools import partial
from types import FrameType
from typing import Any, TypeVar

import anyio
from anyio.to_thread import run_sync
from prometheus_client import CollectorRegistry, Counter, Gauge
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from newswire.settings import Settings
from newswire_api.admission import FEED_READER, TooManyRequestsError, reading_for
from newswire_api.feed import (
    FeedEvent,
    FeedPage,
    FeedPosition,
    InvalidEventIdError,
    ReplayBounds,
    resume_from,
)
from newswire_api.ports import ArticleSearch, SearchUnavailableError
from newswire_api.search_request import InvalidSearchError, SearchParams

log = logging.getLogger(__name__)

PAGE = 200
RETRY_MS = 2000  # what an EventSource waits before reconnecting
SLOW_CLIENT = (
    "dropped: the client read too slowly ({:g} s without taking an event); reconnect with "
    "Last-Event-ID to resume where it was"
)
_DROP_NOTICE_TIMEOUT_S = 1.0
STREAMS_PER_CLIENT_RETRY_AFTER_S = 5
Result = TypeVar("Result")
_SignalHandler = Callable[[int, FrameType | None], Any]


class StreamsFullError(SearchUnavailableError):
    """As many streams as allowed are open (503, try again later)."""


def now_ms() -> int:
    return round(datetime.now(UTC).timestamp() * 1000)


class FeedWatcher:
    """Tells the open streams when the index has something new, asking it once per interval
    for all of them (and not at all while no stream is open)."""

    def __init__(self, search: ArticleSearch, interval_s: float) -> None:
        self._search = search
        self._interval_s = interval_s
        self._changed = asyncio.Event()
        self._watchers = 0
        self._task: asyncio.Task[None] | None = None
        self.checked_ms: int | None = None  # when the index was last asked

    def token(self) -> asyncio.Event:
        """The event the next change sets: take it before reading the index, so a change
        during the read is not missed."""
        return self._changed

    async def wait(self, token: asyncio.Event, timeout_s: float) -> bool:
        """Whether the index changed since `token` was taken (False: `timeout_s` passed)."""
        try:
            await asyncio.wait_for(token.wait(), timeout_s)
        except TimeoutError:
            return False
        return True

    def wake(self) -> None:
        """Wake every stream now (something changed, or they must end)."""
        self._changed.set()
        self._changed = asyncio.Event()

    def opened(self) -> None:
        self._watchers += 1
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._watch())

    def closed(self) -> None:
        self._watchers -= 1

    async def _watch(self) -> None:
        last: tuple[int, str] | None = None
        pending_embargo: int | None = None  # the next embargo to pass, as last seen
        while self._watchers > 0:
            moment = now_ms()
            try:
                position, next_embargo = await run_sync(
                    as_feed_reader, self._search.feed_head, moment
                )
            except SearchUnavailableError as error:  # the streams ask again when it is back
                log.debug("live feed: the index did not answer: %s", error)
            else:
                self.checked_ms = moment
                head = (position.sequence, position.tag)
                lifted = pending_embargo is not None and pending_embargo <= moment
                if head != last or lifted:
                    last = head
                    self.wake()
                pending_embargo = next_embargo
            await asyncio.sleep(self._interval_s)
        self._task = None


class Streams:
    """The open streams of one API process, their bounds and their metrics."""

    def __init__(
        self, search: ArticleSearch, settings: Settings, registry: CollectorRegistry
    ) -> None:
        self._search = search
        self._settings = settings
        self._watcher = FeedWatcher(search, settings.api_stream_poll_interval_s)
        self._reads = anyio.CapacityLimiter(settings.api_stream_concurrent_reads)
        self._open = Gauge(
            "newswire_api_open_streams", "Live-feed streams open now.", registry=registry
        )
        self._events = Counter(
            "newswire_api_stream_events", "Events sent on live-feed streams.", registry=registry
        )
        self._dropped = Counter(
            "newswire_api_streams_dropped",
            "Streams closed because their client read too slowly.",
            registry=registry,
        )
        self._count = 0
        self._per_client: dict[str, int] = {}  # open streams by client
        self._bounds = ReplayBounds(
            max_age_ms=round(settings.api_stream_max_resume_age_s * 1000),
            max_writes=settings.api_stream_max_replay_writes,
        )
        self._ending = False
        self._pages: dict[
            tuple[str, FeedPosition, int], asyncio.Future[tuple[FeedPage, list[bytes]]]
        ] = {}
        self._pages_at = 0
        self.send_timeout_s = settings.api_stream_send_timeout_s

    def end_all(self) -> None:
        """End every open stream at its next wake-up, which is now: the server is stopping, and
        it waits for open responses to end. Their clients reconnect (to another process, or this
        one once it is back) with their Last-Event-ID and miss nothing."""
        self._ending = True
        self._watcher.wake()

    def end_on_signals(self) -> None:
        """Call `end_all` on SIGTERM and SIGINT as well as what already handles them (uvicorn's
        graceful shutdown, which would otherwise wait forever for the open streams). Only from
        the main thread, where signal handlers live; a server in another thread (tests) ends
        its streams by closing their connections."""
        if threading.current_thread() is not threading.main_thread():
            return
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            previous = signal.getsignal(signum)
            if not callable(previous):
                continue

            def handler(
                number: int, frame: FrameType | None, previous: _SignalHandler = previous
            ) -> None:
                loop.call_soon_threadsafe(self.end_all)
                previous(number, frame)

            signal.signal(signum, handler)

    async def start(
        self, params: SearchParams, asked: FeedPosition | None, client: str
    ) -> "EventStreamResponse":
        """A response for `client`'s new stream from `asked` (None: from now). Raises, before
        anything is sent: TooManyRequestsError past the client's streams, StreamsFullError past
        the process's, InvalidSearchError for a position the index never gave (see
        `feed.resume_from`), SearchUnavailableError when the index cannot say where now is."""
        per_client = self._settings.api_max_streams_per_client
        if self._per_client.get(client, 0) >= per_client:
            raise TooManyRequestsError(
                f"this client has {per_client} live streams open, as many as one may: close "
                "one (each browser tab following Live holds one)",
                STREAMS_PER_CLIENT_RETRY_AFTER_S,
            )
        if self._count >= self._settings.api_max_open_streams:
            raise StreamsFullError(
                f"as many live streams as allowed are open "
                f"({self._settings.api_max_open_streams}): try again later"
            )
        # Counted before the index is asked: streams opened meanwhile see this one.
        self._opened(client)
        try:
            now = now_ms()
            # In the client's own turn: opening a stream is its request, as a search is.
            head, _ = await run_sync(self._search.feed_head, now, limiter=self._reads)
            start, resync = head, None
            if asked is not None:
                start, resync = resume_from(asked, head, now, self._bounds)
        except InvalidEventIdError as error:
            self.ended(client, dropped=False)
            raise InvalidSearchError(str(error)) from error
        except BaseException:
            self.ended(client, dropped=False)
            raise
        return EventStreamResponse(self, params, start, client, resync)

    async def events(
        self, params: SearchParams, position: FeedPosition, resync: str | None = None
    ) -> AsyncGenerator[bytes, None]:
        """The stream's bytes: what became searchable after `position` (after a `resync` event,
        when given), then as it comes, with a heartbeat carrying the position when quiet."""
        self._watcher.opened()
        self._open.inc()
        heartbeat_s = self._settings.api_stream_heartbeat_s
        try:
            yield f"retry: {RETRY_MS}\n\n".encode()
            if resync is not None:
                yield resync_event(position, resync)
            sent_at = time.monotonic()
            while not self._ending:
                token = self._watcher.token()
                try:
                    page, encoded = await self._listed_after(params, position)
                except SearchUnavailableError as error:  # the index is back at a later wake-up
                    log.info("live feed: the index did not answer: %s", error)
                    await self._watcher.wait(token, heartbeat_s)
                    yield b": the index did not answer; trying again\n\n"
                    continue
                if encoded:  # a page in one write: a replay of 200 events is one send, not 200
                    yield b"".join(encoded)
                    self._events.inc(len(encoded))
                    sent_at = time.monotonic()
                position = page.position
                if page.more:
                    continue
                quiet_s = heartbeat_s - (time.monotonic() - sent_at)
                if quiet_s <= 0 or not await self._watcher.wait(token, quiet_s):
                    yield heartbeat(position)
                    sent_at = time.monotonic()
        finally:
            self._watcher.closed()
            self._open.dec()

    def _opened(self, client: str) -> None:
        self._count += 1
        self._per_client[client] = self._per_client.get(client, 0) + 1

    def ended(self, client: str, dropped: bool) -> None:
        """A stream of `client`'s is closed (or was never started)."""
        self._count -= 1
        left = self._per_client.pop(client) - 1
        if left > 0:
            self._per_client[client] = left
        if dropped:
            self._dropped.inc()

    async def _listed_after(
        self, params: SearchParams, after: FeedPosition
    ) -> tuple[FeedPage, list[bytes]]:
        """The page after `after`, and its events as sent, read and encoded once for every
        stream asking the same at the same time. Streams caught up with the index are all at the
        position of the same check (`FeedWatcher.checked_ms` as the time of the read), so a
        wake-up costs one read per distinct set of filters, not one per stream."""
        checked = self._watcher.checked_ms or now_ms()
        if checked != self._pages_at:
            self._pages.clear()  # a new check: earlier pages are never asked for again
            self._pages_at = checked
        # The server's clock decides what is visible. A stream started after the last check
        # reads as of its own start (its position's time, which this server gave: never after
        # now, so a client's id can move "now" neither forward nor past the clock).
        now = max(checked, min(after.embargoes_until_ms, now_ms()))
        key = (params.model_dump_json(), after, now)
        shared = self._pages.get(key)
        if shared is None:
            shared = asyncio.ensure_future(self._read(self._encoded_page, params, after, now))
            self._pages[key] = shared
        return await asyncio.shield(shared)

    def _encoded_page(
        self, params: SearchParams, after: FeedPosition, now: int
    ) -> tuple[FeedPage, list[bytes]]:
        page = self._search.listed_after(params, after, now, PAGE)
        return page, [server_sent_event(event) for event in page.events]

    async def _read(self, read: Callable[..., Result], *args: object) -> Result:
        return await run_sync(partial(as_feed_reader, read, *args), limiter=self._reads)


def as_feed_reader(read: Callable[..., Result], *args: object) -> Result:
    """`read(*args)` in the live feed's turns at the index (in the worker thread's own copy of
    the context: the request that opened a stream keeps its own)."""
    reading_for.set(FEED_READER)
    return read(*args)


def server_sent_event(event: FeedEvent) -> bytes:
    """One `article` event: its id the position after it, its data the hit as JSON."""
    data = event.hit.model_dump_json()
    return f"id: {event.position.event_id}\nevent: article\ndata: {data}\n\n".encode()


def resync_event(position: FeedPosition, reason: str) -> bytes:
    """The `resync` event: the stream continues from `position` (now), and the client must
    search for what became searchable before it."""
    data = json.dumps({"reason": reason})
    return f"id: {position.event_id}\nevent: resync\ndata: {data}\n\n".encode()


def heartbeat(position: FeedPosition) -> bytes:
    """A comment keeping the connection open, and the position reached (an `id` line without
    data dispatches no event, but is the id a client reconnects with)."""
    return f"id: {position.event_id}\n: heartbeat\n\n".encode()


class EventStreamResponse(Response):
    """A response that sends a stream's bytes, each within the send timeout, and stops when the
    client goes away."""

    media_type = "text/event-stream"

    def __init__(
        self,
        streams: Streams,
        params: SearchParams,
        position: FeedPosition,
        client: str,
        resync: str | None,
    ) -> None:
        super().__init__(status_code=200)
        self._streams = streams
        self._params = params
        self._position = position
        self._client = client
        self._resync = resync

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        dropped = False
        timeout_s = self._streams.send_timeout_s
        try:
            await send(
                {
                    "type": "http.response.start",
                    "status": 200,
                    "headers": [
                        (b"content-type", b"text/event-stream; charset=utf-8"),
                        (b"cache-control", b"no-store"),
                        (b"x-accel-buffering", b"no"),  # nginx: pass events on at once
                    ],
                }
            )
            async with anyio.create_task_group() as tasks:
                tasks.start_soon(_cancel_on_disconnect, receive, tasks.cancel_scope)
                events = self._streams.events(self._params, self._position, self._resync)
                try:
                    async for chunk in events:
                        try:
                            with anyio.fail_after(timeout_s):
                                await _body(send, chunk)
                        except TimeoutError:
                            dropped = True
                            await _tell_slow_client(send, timeout_s)
                            break
                    else:  # the stream ended (the server is stopping): end the response
                        with anyio.move_on_after(timeout_s):
                            await send({"type": "http.response.body", "body": b""})
                finally:
                    await events.aclose()
                tasks.cancel_scope.cancel()
        except OSError:  # the connection broke while sending
            pass
        finally:
            self._streams.ended(self._client, dropped)


async def _body(send: Send, chunk: bytes) -> None:
    await send({"type": "http.response.body", "body": chunk, "more_body": True})


async def _tell_slow_client(send: Send, timeout_s: float) -> None:
    reason = json.dumps({"reason": SLOW_CLIENT.format(timeout_s)})
    log.info("live feed: %s", SLOW_CLIENT.format(timeout_s))
    with anyio.move_on_after(_DROP_NOTICE_TIMEOUT_S):
        await _body(send, f"event: dropped\ndata: {reason}\n\n".encode())
        await send({"type": "http.response.body", "body": b"", "more_body": False})


async def _cancel_on_disconnect(receive: Receive, scope: anyio.CancelScope) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass
    scope.cancel()
