"""Who is let at the index, and when: each client's rate, and turns given fairly between
clients. With a clock the tests move, and real threads for the turns."""

import contextvars
import threading
import time
from collections.abc import Callable

import pytest

from newswire_api.admission import (
    FEED_READER,
    IndexTurns,
    RateLimits,
    TooManyRequestsError,
    reading_for,
)
from newswire_api.ports import SearchUnavailableError


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_client_may_burst_then_gets_its_rate_and_is_told_when_to_come_back() -> None:
    clock = Clock()
    limits = RateLimits(rate_per_s=2.0, burst=3, clock=clock)

    for _ in range(3):
        limits.take("key:a")
    with pytest.raises(TooManyRequestsError, match="at most 2 a second") as refused:
        limits.take("key:a")
    clock.now += 0.5  # one token back
    limits.take("key:a")

    assert refused.value.retry_after_s == 1


def test_one_clients_rate_is_its_own() -> None:
    limits = RateLimits(rate_per_s=1.0, burst=1, clock=Clock())

    limits.take("address:192.0.2.1")
    limits.take("address:192.0.2.2")
    with pytest.raises(TooManyRequestsError):
        limits.take("address:192.0.2.1")


def _as(client: str, read: Callable[[], None]) -> None:
    """`read()` for `client`, in a context of its own (this thread's stays as it was)."""

    def in_context() -> None:
        reading_for.set(client)
        read()

    contextvars.copy_context().run(in_context)


def _waiting(turns: IndexTurns, count: int) -> None:
    """Until `count` requests wait for a turn (they queue in threads of their own)."""
    deadline = time.monotonic() + 10
    while len(turns._waiting) < count:
        assert time.monotonic() < deadline, "the requests did not queue"
        time.sleep(0.005)


def _in_thread(target: Callable[[], None]) -> threading.Thread:
    thread = threading.Thread(target=target)
    thread.start()
    return thread


def test_a_freed_turn_goes_to_the_waiting_client_that_used_the_index_least_lately() -> None:
    clock = Clock()
    turns = IndexTurns(1, wait_s=10, clock=clock)

    def costly_search() -> None:
        with turns.turn():
            clock.now += 1.0  # one second of the index

    _as("key:heavy", costly_search)
    served: list[str] = []
    holding, release = threading.Event(), threading.Event()

    def read_as(client: str, hold: bool = False) -> Callable[[], None]:
        def read() -> None:
            reading_for.set(client)
            with turns.turn():
                served.append(client)
                if hold:
                    holding.set()
                    release.wait(10)

        return read

    holder = _in_thread(read_as("key:holder", hold=True))
    assert holding.wait(10)
    heavy = _in_thread(read_as("key:heavy"))  # waiting first
    _waiting(turns, 1)
    light = _in_thread(read_as("key:light"))
    _waiting(turns, 2)
    release.set()
    for thread in (holder, heavy, light):
        thread.join(10)

    assert served == ["key:holder", "key:light", "key:heavy"]


def test_a_read_that_waits_past_its_wait_is_refused_and_holds_no_turn() -> None:
    turns = IndexTurns(1, wait_s=0.1)
    refused: list[Exception] = []

    def read() -> None:
        try:
            with turns.turn():
                pass
        except SearchUnavailableError as error:
            refused.append(error)

    def hold_the_turn_while_another_waits() -> None:
        with turns.turn():
            _in_thread(lambda: _as(FEED_READER, read)).join(10)

    _as(FEED_READER, hold_the_turn_while_another_waits)
    _as("key:next", read)

    assert [str(error) for error in refused] == [
        "search is unavailable right now: too many searches are waiting"
    ]
