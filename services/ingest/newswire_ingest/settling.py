"""When a file in the inbox is complete: nothing has changed it for the settle time.

Pure bookkeeping over what `lstat` reported and when; the inbox adapter makes the calls.
"""

import heapq
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
    check_at: float


class SettleTracker:
    """Follows files until each is complete, and says when to look at each one again.

    A file is complete when its state has not changed for `settle_s`: seen unchanged that long,
    or with an mtime that old already. The second rule spares files present at start-up, or moved
    in long after they were written, a settle time of waiting; the first still holds when a clock
    is off and an mtime lies in the future. Times are seconds of `time.monotonic()`; the wall
    clock is only compared with mtimes.
    """

    def __init__(self, settle_s: float) -> None:
        self._settle_s = settle_s
        self._pending: dict[Path, _Pending] = {}
        # Check times, possibly stale: an entry counts only while it matches `_pending`.
        self._schedule: list[tuple[float, Path]] = []

    def observe(self, path: Path, state: FileState, now: float, wall_clock_ns: int) -> bool:
        """Notes the state of `path` at `now`; True if it is complete. A complete file stays
        followed (and due) until the caller forgets it."""
        earlier = self._pending.get(path)
        unchanged_since = (
            now if earlier is None or earlier.state != state else earlier.unchanged_since
        )
        quiet_s = max(now - unchanged_since, (wall_clock_ns - state.mtime_ns) / 1e9)
        check_at = now + max(0.0, self._settle_s - quiet_s)
        self._pending[path] = _Pending(state, unchanged_since, check_at)
        heapq.heappush(self._schedule, (check_at, path))
        return quiet_s >= self._settle_s

    def pop_due(self, now: float) -> Path | None:
        """A file whose time to be looked at again has come; the caller observes or forgets it."""
        while self._schedule and self._schedule[0][0] <= now:
            check_at, path = heapq.heappop(self._schedule)
            pending = self._pending.get(path)
            if pending is not None and pending.check_at == check_at:
                return path
        return None

    def next_check_at(self) -> float | None:
        return self._schedule[0][0] if self._schedule else None

    def forget(self, path: Path) -> None:
        self._pending.pop(path, None)

    def __len__(self) -> int:
        return len(self._pending)
