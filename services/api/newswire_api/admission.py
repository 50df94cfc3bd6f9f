"""What the index is asked, when, and for whom: the bounds every request that reads the index
goes through, the same on both back-ends.

- `RateLimits`: each client (its API key, else its address: `guard.client_identity`) has a
  token bucket of `api_rate_limit_burst` requests refilled at `api_rate_limit_per_s`; an empty
  one is answered 429 with the seconds until its next token (`TooManyRequestsError`).
- `SearchSlots`: at most `limit` requests in the API at once; one more is refused at once (503
  with a short Retry-After) rather than queued, so a burst cannot hold every worker thread.
- `IndexTurns`: at most `turns` of them read the index at once (embedded: one per core, as
  SQLite runs on the calling thread; Elasticsearch: as many as its search threads). The others
  wait, and a freed turn goes to the waiting client that has used the index least lately (its
  seconds of turns, halving every USAGE_HALF_LIFE_S): fair queueing, so a client sending costly
  searches back to back gets its share of the index's time, not the lion's share, and normal
  clients keep theirs. The live feed's reads take turns too, as one client of their own
  (`FEED_READER`): streams share the index with searches and cannot starve them.

Who a turn is for travels with the request in the context variable `reading_for` (set by the
HTTP layer, read where a back-end takes its turn), so the back-ends' methods keep the port's
signatures. Each policy is a plain object with no I/O; the back-ends hold the turns.

The turns are least-attained-service scheduling, as network schedulers share a link between
flows, with the service decayed so that it measures recent use. What they cannot do: share what
is not a turn (the HTTP layer's own work, which the per-client rate bounds), or tell apart the
clients of one address, or one client behind many addresses (each gets a share of its own).
"""

import math
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field

from newswire_api.ports import SearchBusyError, SearchUnavailableError

BUSY = "search is busy right now (as many searches as allowed are running): try again in a second"
WAITED_TOO_LONG = "search is unavailable right now: too many searches are waiting"
RATE_LIMITED = (
    "too many requests from this client: at most {rate:g} a second on average (bursts of "
    "{burst}); try again in {retry_after_s} s"
)
# Who reads the index: "key:…" or "address:…" for a request, FEED_READER for the live feed's
# reads, "" for a caller outside the HTTP layer (a tool, a benchmark).
reading_for: ContextVar[str] = ContextVar("newswire_api_reading_for", default="")
FEED_READER = "live feed"
# How long a client's use of the index is remembered: long enough to tell a client that keeps
# the index busy from one that asks now and then, short enough to forgive a burst soon.
USAGE_HALF_LIFE_S = 2.0
# What a turn is taken to cost until the client's first one has been measured (a normal search).
FIRST_TURN_S = 0.01
# Clients remembered past this many are forgotten once their use has decayed to nothing.
REMEMBERED_CLIENTS = 10_000

Clock = Callable[[], float]


class TooManyRequestsError(Exception):
    """The client asked more than its share (429); `retry_after_s` says when it may again."""

    def __init__(self, message: str, retry_after_s: int) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


class SearchSlots:
    def __init__(self, limit: int) -> None:
        self._free = threading.BoundedSemaphore(limit)

    @contextmanager
    def slot(self) -> Iterator[None]:
        """Hold one of the slots while searching; raises SearchBusyError when none is free."""
        if not self._free.acquire(blocking=False):
            raise SearchBusyError(BUSY)
        try:
            yield
        finally:
            self._free.release()


@dataclass
class _Bucket:
    tokens: float
    at: float


class RateLimits:
    """A token bucket per client: `burst` requests at once, refilled at `rate_per_s`."""

    def __init__(self, rate_per_s: float, burst: int, clock: Clock = time.monotonic) -> None:
        self._rate = rate_per_s
        self._burst = burst
        self._clock = clock
        self._buckets: dict[str, _Bucket] = {}
        self._forgotten_at = clock()
        self._lock = threading.Lock()

    def take(self, client: str) -> None:
        """Take one token of `client`'s; TooManyRequestsError when it has none left."""
        now = self._clock()
        with self._lock:
            bucket = self._buckets.get(client)
            if bucket is None:
                bucket = self._buckets[client] = _Bucket(float(self._burst), now)
                if len(self._buckets) > REMEMBERED_CLIENTS and now - self._forgotten_at >= 1:
                    self._forget_full_buckets(now)
            bucket.tokens = min(self._burst, bucket.tokens + (now - bucket.at) * self._rate)
            bucket.at = now
            if bucket.tokens >= 1:
                bucket.tokens -= 1
                return
            retry_after_s = max(1, math.ceil((1 - bucket.tokens) / self._rate))
        raise TooManyRequestsError(
            RATE_LIMITED.format(rate=self._rate, burst=self._burst, retry_after_s=retry_after_s),
            retry_after_s,
        )

    def _forget_full_buckets(self, now: float) -> None:
        """A bucket refilled to the brim is the same as none: forget those, at most once a
        second (memory stays bounded by the clients active within burst / rate seconds)."""
        full = [
            client
            for client, bucket in self._buckets.items()
            if bucket.tokens + (now - bucket.at) * self._rate >= self._burst
        ]
        for client in full:
            del self._buckets[client]
        self._forgotten_at = now


@dataclass
class _Usage:
    """A client's use of the index: seconds of turns (decayed to `at`), turns held now, and
    how long its last turn took."""

    seconds: float = 0.0
    at: float = 0.0
    running: int = 0
    last_turn_s: float = FIRST_TURN_S

    def decayed(self, now: float) -> float:
        return self.seconds * math.pow(0.5, (now - self.at) / USAGE_HALF_LIFE_S)

    def priority(self, now: float) -> float:
        """Lower goes first: what it used lately, plus what the turns it holds now will cost
        (so a client sending many requests at once does not take every turn before its first
        one is counted)."""
        return self.decayed(now) + self.running * self.last_turn_s


@dataclass
class _Waiter:
    client: str
    arrival: int
    granted: threading.Event = field(default_factory=threading.Event)


class IndexTurns:
    """At most `turns` requests read the index at once; a freed turn goes to the waiting client
    that used the index least lately (ties: the one waiting longest). A request waits at most
    `wait_s`, then SearchUnavailableError (503)."""

    def __init__(self, turns: int, wait_s: float, clock: Clock = time.monotonic) -> None:
        self.turns = turns
        self._wait_s = wait_s
        self._clock = clock
        self._free = turns
        self._waiting: list[_Waiter] = []
        self._usage: dict[str, _Usage] = {}
        self._arrivals = 0
        self._forgotten_at = clock()
        self._lock = threading.Lock()

    @contextmanager
    def turn(self) -> Iterator[None]:
        """Hold a turn while reading the index, for the client in `reading_for`."""
        client = reading_for.get()
        self._acquire(client)
        started = self._clock()
        try:
            yield
        finally:
            self._release(client, self._clock() - started)

    def _acquire(self, client: str) -> None:
        with self._lock:
            if self._free > 0:
                self._free -= 1
                self._usage_of(client).running += 1
                return
            self._arrivals += 1
            waiter = _Waiter(client, self._arrivals)
            self._waiting.append(waiter)
        if waiter.granted.wait(self._wait_s):
            return
        with self._lock:
            if waiter.granted.is_set():  # granted while the wait was timing out: keep it
                return
            self._waiting.remove(waiter)
        raise SearchUnavailableError(WAITED_TOO_LONG)

    def _release(self, client: str, seconds: float) -> None:
        now = self._clock()
        with self._lock:
            usage = self._usage_of(client)
            usage.seconds = usage.decayed(now) + seconds
            usage.at = now
            usage.running -= 1
            usage.last_turn_s = seconds
            if not self._waiting:
                self._free += 1
                return
            chosen = min(
                self._waiting,
                key=lambda w: (self._usage_of(w.client).priority(now), w.arrival),
            )
            self._waiting.remove(chosen)
            self._usage_of(chosen.client).running += 1
            chosen.granted.set()

    def _usage_of(self, client: str) -> _Usage:
        usage = self._usage.get(client)
        if usage is None:
            now = self._clock()
            if len(self._usage) >= REMEMBERED_CLIENTS and now - self._forgotten_at >= 1:
                self._forget_idle_clients(now)
            usage = self._usage[client] = _Usage(at=now)
        return usage

    def _forget_idle_clients(self, now: float) -> None:
        """Clients with no turn and nothing left of their use: the same as unknown ones. (At
        most once a second: with that many clients all active, a sweep would find nothing.)"""
        waiting = {waiter.client for waiter in self._waiting}
        idle = [
            client
            for client, usage in self._usage.items()
            if usage.running == 0 and client not in waiting and usage.decayed(now) < 1e-6
        ]
        for client in idle:
            del self._usage[client]
        self._forgotten_at = now
