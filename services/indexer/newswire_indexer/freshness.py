"""How often the indexer may ask the index to make what it wrote searchable at once.

Elasticsearch makes new documents searchable at its periodic refresh (each second): up to a
second a reader waits for nothing. On a quiet stream the indexer asks for a refresh right after a
batch; each refresh makes a small segment and costs the node some work, so they are spaced by at
least `min_interval_s` — a burst of small batches then waits a little and goes as fewer, larger
ones. Pure bookkeeping on a monotonic clock.
"""

import time
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class RefreshLimiter:
    min_interval_s: float
    clock: Callable[[], float] = time.monotonic
    _last: float | None = field(default=None, init=False)

    def wait_before_next(self) -> float:
        """Seconds until a refresh is allowed (0: now)."""
        if self._last is None:
            return 0.0
        return max(0.0, self._last + self.min_interval_s - self.clock())

    def refreshed(self) -> None:
        self._last = self.clock()
