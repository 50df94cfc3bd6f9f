"""File-system events from the inbox (inotify on Linux, FSEvents, kqueue or ReadDirectoryChangesW
elsewhere, through watchdog), handed on as paths to look at, with a flag when a writer closed the
file or it was moved in: on Linux that is inotify's close-write, the moment a file is complete.

Events are a hint, for speed: the periodic rescan finds whatever they miss, and the inbox checks
every path an event names. Names are bytes (watchdog keeps undecodable bytes as surrogate
escapes, which `os` functions turn back into the same bytes), so no name can stop the events.
Should the watcher stop anyway (an inotify limit, a bug), `ensure_running` starts a new one and
counts it; ingest calls it at every rescan.
"""

import logging
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from types import TracebackType

from watchdog.events import (
    EVENT_TYPE_CLOSED,
    EVENT_TYPE_CREATED,
    EVENT_TYPE_MODIFIED,
    EVENT_TYPE_MOVED,
    DirCreatedEvent,
    DirMovedEvent,
    FileClosedEvent,
    FileCreatedEvent,
    FileModifiedEvent,
    FileMovedEvent,
    FileSystemEvent,
    FileSystemEventHandler,
)
from watchdog.observers import Observer
from watchdog.observers.api import BaseObserver

log = logging.getLogger(__name__)

_STOP_TIMEOUT_S = 5.0
# A watcher that keeps failing is started again after 1 s, 2 s, 4 s … at most this long.
_MAX_RESTART_DELAY_S = 60.0

# The events ingest asks the system for: what may bring or complete a file. Not opening, reading,
# deleting or a folder's `modified`: a burst of files would bring several times as many events
# (ingest's own reads and moves among them), each a wake-up to sort out.
_EVENTS: list[type[FileSystemEvent]] = [
    FileCreatedEvent,
    FileClosedEvent,
    FileMovedEvent,
    DirCreatedEvent,
    DirMovedEvent,
]

Notice = Callable[[Path, bool], None]
"""(path an event touched, whether a writer closed it or it was moved in)."""


class _Handler(FileSystemEventHandler):
    def __init__(self, notice: Notice) -> None:
        self._notice = notice

    def on_any_event(self, event: FileSystemEvent) -> None:
        # Deletions bring nothing to take; opening or reading a file (ingest's own reads among
        # them: `opened`, `closed_no_write`) changes nothing; nor does a folder's `modified`
        # (sent with every change inside it: looking at the whole folder each time would make a
        # burst of N files cost N² looks). A new or moved-in folder is walked once.
        if event.is_directory and event.event_type == EVENT_TYPE_MODIFIED:
            return
        if event.event_type == EVENT_TYPE_MOVED:
            self._notice(Path(_text(event.dest_path)), True)
        elif event.event_type == EVENT_TYPE_CLOSED:
            self._notice(Path(_text(event.src_path)), True)
        elif event.event_type in (EVENT_TYPE_CREATED, EVENT_TYPE_MODIFIED):
            self._notice(Path(_text(event.src_path)), False)


def _text(path: str | bytes) -> str:
    return path if isinstance(path, str) else path.decode("utf-8", "surrogateescape")


class InboxWatcher:
    """Calls `notice(path, closed)` from its own threads for every path an event touches under
    `root`, between entering and leaving the `with` block."""

    def __init__(
        self,
        root: Path,
        notice: Notice,
        on_restart: Callable[[], None] = lambda: None,
        writes_matter: bool = False,
    ) -> None:
        """`writes_matter`: also report each write (where a file's completion is told by its
        settling rather than by its writer's close)."""
        self._root = root
        self._events = [*_EVENTS, FileModifiedEvent] if writes_matter else _EVENTS
        self._handler = _Handler(notice)
        self._on_restart = on_restart
        self._observer: BaseObserver | None = None
        self._restarts = 0
        self._next_start = 0.0

    def __enter__(self) -> "InboxWatcher":
        self._start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._stop()

    def is_running(self) -> bool:
        observer = self._observer
        return (
            observer is not None
            and observer.is_alive()
            and all(emitter.is_alive() for emitter in observer.emitters)
        )

    def ensure_running(self) -> None:
        """Starts a new watcher when this one stopped (not more often than its backoff)."""
        if self.is_running() or time.monotonic() < self._next_start:
            return
        self._restarts += 1
        log.warning("file-system events had stopped; watching %s again", self._root)
        self._stop()
        self._start()
        self._on_restart()

    def _start(self) -> None:
        # watchdog warns when it watches a folder again under a path it watched before (a folder
        # removed and made again, a name reused): it replaces the old watch, as ingest wants.
        warnings.filterwarnings("ignore", "Callback with id .* already exists", RuntimeWarning)
        observer = Observer()
        try:
            observer.schedule(
                self._handler, str(self._root), recursive=True, event_filter=self._events
            )
            observer.start()
        except Exception as error:  # e.g. the system's inotify watch limit, on a large tree
            delay_s = min(_MAX_RESTART_DELAY_S, 2.0**self._restarts)
            self._next_start = time.monotonic() + delay_s
            log.warning(
                "file-system events are off (%r); the rescans still find new files, and "
                "watching is tried again in %.0fs",
                error,
                delay_s,
            )
        else:
            self._next_start = 0.0
        self._observer = observer

    def _stop(self) -> None:
        observer, self._observer = self._observer, None
        if observer is not None and observer.is_alive():
            observer.stop()
            observer.join(_STOP_TIMEOUT_S)
