"""File-system events from the inbox (inotify, FSEvents, ... through watchfiles), handed on as
paths to look at. Only a hint, for speed: the periodic rescan finds whatever events miss, and
the inbox checks every path an event names."""

import logging
import threading
from collections.abc import Callable
from pathlib import Path
from types import TracebackType

import watchfiles

log = logging.getLogger(__name__)

# Events come out in groups: after 10 ms without a new one, or 50 ms at the most.
_QUIET_MS = 10
_LONGEST_GROUP_MS = 50
_STOP_TIMEOUT_S = 5.0


class InboxWatcher:
    """Calls `notice(path)` from its own thread for every path an event touches under `root`,
    between entering and leaving the `with` block."""

    def __init__(self, root: Path, notice: Callable[[Path], None]) -> None:
        self._root = root
        self._notice = notice
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="inbox-watcher", daemon=True)

    def __enter__(self) -> "InboxWatcher":
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._stop.set()
        self._thread.join(_STOP_TIMEOUT_S)

    def _watch(self) -> None:
        try:
            self._notice_changes()
        except Exception as error:  # e.g. the system's inotify watch limit, on a large tree
            log.warning("file-system events stopped (%r); the rescans still find new files", error)

    def _notice_changes(self) -> None:
        for changes in watchfiles.watch(
            self._root,
            watch_filter=None,  # the inbox decides what to ignore
            debounce=_LONGEST_GROUP_MS,
            step=_QUIET_MS,
            stop_event=self._stop,
            rust_timeout=0,
            raise_interrupt=False,
            ignore_permission_denied=True,
        ):
            # A deletion never brings a file to take (a rename in is reported as an addition).
            for path in {path for change, path in changes if change != watchfiles.Change.deleted}:
                self._notice(Path(path))
