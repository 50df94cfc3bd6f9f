"""When a file in the inbox is complete, so that it is read once, whole.

Two rules, as the inbox can tell (pure bookkeeping here; the inbox adapter makes the calls):

- **Its writer is done** (Linux, files ingest may lease): nobody holds the file open for writing.
  A file is tried as soon as it is seen; if a writer still has it open, it waits — however long
  the writer pauses — until an event says a writer closed it (inotify's close-write, or a move
  in), with a look every `recheck_s` in case that event is missed.
- **It has settled** (where the system cannot tell: other file systems, files of other users
  without CAP_LEASE, other operating systems): nothing has changed it for `settle_s`, seen
  unchanged that long or with an mtime that old already. The second rule spares files present at
  start-up, or moved in long after they were written, a settle time of waiting; the first still
  holds when a clock is off and an mtime lies in the future.

A file handed out is complete if it is still in the state last observed, which the reader checks
when it opens it. A file whose handling failed is handed out again no sooner than asked. Times
are seconds of `time.monotonic()`; the wall clock is only compared with mtimes.
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
    writing: bool = False  # a writer had it open at the last try


class CompletionTracker:
    """Follows files until each is complete, and hands out each one once it is."""

    def __init__(self, settle_s: float, recheck_s: float, writers_visible: bool) -> None:
        self._settle_s = settle_s
        self._recheck_s = recheck_s
        self._writers_visible = writers_visible
        self._pending: dict[Path, _Pending] = {}
        self._settle_only: set[Path] = set()  # files whose writers the system cannot tell
        self._not_before: dict[Path, float] = {}  # files whose handling failed: retry then
        # When to hand each file out; an entry counts only while it matches `_pending`. The
        # counter orders entries of equal time, which are many after a scan, without comparing
        # paths.
        self._schedule: list[tuple[float, int, Path]] = []
        self._entries = itertools.count()

    def observe(
        self, path: Path, state: FileState, now: float, wall_clock_ns: int, closed: bool = False
    ) -> None:
        """Notes the state of `path` at `now`; `closed`: an event said a writer closed it (or it
        was moved in)."""
        earlier = self._pending.get(path)
        unchanged = earlier is not None and earlier.state == state
        unchanged_since = earlier.unchanged_since if earlier and unchanged else now
        if not self._writers_visible or path in self._settle_only:
            quiet_s = max(now - unchanged_since, (wall_clock_ns - state.mtime_ns) / 1e9)
            self._schedule_at(
                path, _Pending(state, unchanged_since, now + max(0.0, self._settle_s - quiet_s))
            )
        elif earlier is not None and earlier.writing and not closed:
            # Still being written as far as we know: writes and rescans do not bring it forward.
            self._schedule_at(path, _Pending(state, unchanged_since, earlier.complete_at, True))
        else:
            self._schedule_at(path, _Pending(state, unchanged_since, now))

    def still_writing(self, path: Path, state: FileState, now: float) -> None:
        """A try found a writer holding `path` open: wait for its close (or the next look)."""
        self._schedule_at(path, _Pending(state, now, now + self._recheck_s, writing=True))

    def writers_unknown(self, path: Path, state: FileState, now: float, wall_clock_ns: int) -> None:
        """The system cannot tell whether `path` has writers: it completes by settling."""
        self._settle_only.add(path)
        self.observe(path, state, now, wall_clock_ns)

    def retry_later(self, path: Path, state: FileState, now: float, delay_s: float) -> None:
        """Handling `path` failed: hand it out again no sooner than `delay_s` from now."""
        self._not_before[path] = now + delay_s
        self._schedule_at(path, _Pending(state, now, now + delay_s))

    def pop_complete(self, now: float) -> tuple[Path, FileState] | None:
        """A file that is complete by `now` if still in the state returned; no longer followed."""
        while self._schedule and self._schedule[0][0] <= now:
            complete_at, _, path = heapq.heappop(self._schedule)
            pending = self._pending.get(path)
            if pending is not None and pending.complete_at == complete_at:
                del self._pending[path]
                self._settle_only.discard(path)
                self._not_before.pop(path, None)
                return path, pending.state
        return None

    def next_complete_at(self) -> float | None:
        """When `pop_complete` may next have a file; possibly earlier than it will."""
        return self._schedule[0][0] if self._schedule else None

    def _schedule_at(self, path: Path, pending: _Pending) -> None:
        not_before = self._not_before.get(path)
        if not_before is not None and pending.complete_at < not_before:
            pending = _Pending(pending.state, pending.unchanged_since, not_before, pending.writing)
        self._pending[path] = pending
        heapq.heappush(self._schedule, (pending.complete_at, next(self._entries), path))

    def __len__(self) -> int:
        return len(self._pending)
