"""When the indexer asks the index to make what it wrote searchable at once.

Elasticsearch makes new documents searchable at its periodic refresh (each second): up to a
second a reader waits for nothing. A refresh right after a batch saves that wait, but each one
makes a small segment and costs the node work (merges, caches). Worth it when the stream is
quiet — a file now and then, a reader waiting for it — and not when batches follow each other:
in a real pipeline the indexer is fed at enrich's pace, so its batches are rarely full, and a
refresh after each (up to ten a second) made Elasticsearch spend 2.6 times the CPU of periodic
refreshes alone during a corpus load (issue 29). So a batch is made visible at once only when
the one before it was handed over at least `quiet_gap_s` earlier; otherwise the periodic refresh,
at most a second away, shows it with the batches around it. Refreshes are also spaced by
`min_interval_s`. Pure bookkeeping on a monotonic clock.
"""

import time
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class RefreshLimiter:
    min_interval_s: float
    quiet_gap_s: float = 0.0
    clock: Callable[[], float] = time.monotonic
    _last: float | None = field(default=None, init=False)
    _last_batch: float | None = field(default=None, init=False)

    def batch_is_quiet(self) -> bool:
        """Note a batch handed over now; whether the stream is quiet enough to refresh for it
        (no batch in the `quiet_gap_s` before it)."""
        now = self.clock()
        previous, self._last_batch = self._last_batch, now
        return previous is None or now - previous >= self.quiet_gap_s

    def wait_before_next(self) -> float:
        """Seconds until a refresh is allowed (0: now)."""
        if self._last is None:
            return 0.0
        return max(0.0, self._last + self.min_interval_s - self.clock())

    def refreshed(self) -> None:
        self._last = self.clock()
