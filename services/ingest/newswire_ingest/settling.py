"""When a file in the inbox is complete: nothing has changed it for the settle time.

Pure bookkeeping over what `lstat` reported and when; the inbox adapter makes the calls.
"""

import heapq
import itertools
from dataclasses import dataclass
from enum import Enum
from pathlib import Path


class FileKind(Enum):
    REGULAR = "regular file"
    SYMLINK = "symbolic link"
    OTHER = "device, pipe or socket"


@dataclass(frozen=True)
class FileState:
    """What `lstat` says of a path. Any difference means someone wrote to it or replaced it."""

    kind: FileKind
    size: int
    mtime_ns: int
    inode: int


@dataclass(frozen=True)
class _Pending:
    state: FileState
    unchanged_since: float
    complete_at: float


class SettleTracker:
    """Follows files until each is complete, and hands out each one once it is.

    A file is complete when its state has not changed for `settle_s`: seen unchanged that long,
    or with an mtime that old already. The second rule spares files present at start-up, or moved
    in long after they were written, a settle time of waiting; the first still holds when a clock
    is off and an mtime lies in the future. A file handed out is complete if it is still in the
    state last observed, which the reader checks when it opens it. Times are seconds of
    `time.monotonic()`; the wall clock is only compared with mtimes.
    """

    def __init__(self, settle_s: float) -> None:
        self._settle_s = settle_s
        self._pending: dict[Path, _Pending] = {}
        # When to hand each file out; an entry counts only while it matches `_pending`. The
        # counter orders entries of equal time, which are many after a scan, without comparing
        # paths.
        self._schedule: list[tuple[float, int, Path]] = []
        self._entries = itertools.count()

    def observe(self, path: Path, state: FileState, now: float, wall_clock_ns: int) -> None:
        """Notes the state of `path` at `now`."""
        earlier = self._pending.get(path)
        if earlier is not None and earlier.state == state:
            unchanged_since = earlier.unchanged_since
        else:
            unchanged_since = now
        quiet_s = max(now - unchanged_since, (wall_clock_ns - state.mtime_ns) / 1e9)
        complete_at = now + max(0.0, self._settle_s - quiet_s)
        self._pending[path] = _Pending(state, unchanged_since, complete_at)
        heapq.heappush(self._schedule, (complete_at, next(self._entries), path))

    def pop_complete(self, now: float) -> tuple[Path, FileState] | None:
        """A file that is complete by `now` if still in the state returned; no longer followed."""
        while self._schedule and self._schedule[0][0] <= now:
            complete_at, _, path = heapq.heappop(self._schedule)
            pending = self._pending.get(path)
            if pending is not None and pending.complete_at == complete_at:
                del self._pending[path]
                return path, pending.state
        return None

    def next_complete_at(self) -> float | None:
        """When `pop_complete` may next have a file; possibly earlier than it will."""
        return self._schedule[0][0] if self._schedule else None

    def __len__(self) -> int:
        return len(self._pending)
