"""File-system events from the inbox, handed on as paths to look at, with a flag when a writer
closed the file or it was moved in: on Linux that is inotify's close-write, the moment a file is
complete.

On Linux the events are read straight from inotify (`inotify_events`: a few µs per event);
elsewhere watchdog brings them (FSEvents, kqueue or ReadDirectoryChangesW), and on Linux too
when asked.

Events are a hint, for speed: the periodic rescan finds whatever they miss, and the inbox checks
every path an event names. Names are bytes (both readers keep undecodable bytes as surrogate
escapes, which `os` functions turn back into the same bytes), so no name can stop the events.
Should the watcher stop anyway (an inotify limit, a bug), `ensure_running` starts a new one and
counts it; ingest calls it at every rescan.
"""

import logging
import sys
import time
import warnings
from collections.abc import Callable, Collection
from pathlib import Path
from types import TracebackType
from typing import Protocol

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

from newswire_ingest.inotify_events import InotifyEvents, Notice

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


class _EventReader(Protocol):
    def start(self) -> None: ...
    def is_alive(self) -> bool: ...
    def stop(self, timeout_s: float) -> None: ...


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
            self._notice([(Path(_text(event.dest_path)), True)])
        elif event.event_type == EVENT_TYPE_CLOSED:
            self._notice([(Path(_text(event.src_path)), True)])
        elif event.event_type in (EVENT_TYPE_CREATED, EVENT_TYPE_MODIFIED):
            self._notice([(Path(_text(event.src_path)), False)])


def _text(path: str | bytes) -> str:
    return path if isinstance(path, str) else path.decode("utf-8", "surrogateescape")


class _WatchdogEvents:
    """The events through watchdog's observer (its own threads)."""

    def __init__(self, root: Path, notice: Notice, writes_matter: bool) -> None:
        self._root = root
        self._events = [*_EVENTS, FileModifiedEvent] if writes_matter else _EVENTS
        self._handler = _Handler(notice)
        self._observer = Observer()

    def start(self) -> None:
        # watchdog warns when it watches a folder again under a path it watched before (a folder
        # removed and made again, a name reused): it replaces the old watch, as ingest wants.
        warnings.filterwarnings("ignore", "Callback with id .* already exists", RuntimeWarning)
        self._observer.schedule(
            self._handler, str(self._root), recursive=True, event_filter=self._events
        )
        self._observer.start()

    def is_alive(self) -> bool:
        return self._observer.is_alive() and all(
            emitter.is_alive() for emitter in self._observer.emitters
        )

    def stop(self, timeout_s: float) -> None:
        if self._observer.is_alive():
            self._observer.stop()
            self._observer.join(timeout_s)


class InboxWatcher:
    """Calls `notice` from its own threads with the paths events touch under `root` (with
    whether a writer closed the file or it was moved in), between entering and leaving the
    `with` block."""

    def __init__(
        self,
        root: Path,
        notice: Notice,
        *,
        on_restart: Callable[[], None] = lambda: None,
        writes_matter: bool = False,
        excluded: Collection[Path] = (),
        use_inotify: bool = sys.platform == "linux",
    ) -> None:
        """`writes_matter`: also report each write (where a file's completion is told by its
        settling rather than by its writer's close). `excluded`: folders under `root` not to
        watch (the processed and failed areas, when they are inside the inbox); watchdog watches
        them anyway. `use_inotify`: read inotify directly rather than through watchdog."""
        self._root = root
        self._notice = notice
        self._on_restart = on_restart
        self._writes_matter = writes_matter
        self._excluded = excluded
        self._use_inotify = use_inotify
        self._reader: _EventReader | None = None
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
        return self._reader is not None and self._reader.is_alive()

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
        try:
            reader = self._new_reader()
            reader.start()
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
            self._reader = reader

    def _new_reader(self) -> _EventReader:
        if self._use_inotify:
            return InotifyEvents(self._root, self._notice, self._writes_matter, self._excluded)
        return _WatchdogEvents(self._root, self._notice, self._writes_matter)

    def _stop(self) -> None:
        reader, self._reader = self._reader, None
        if reader is not None:
            reader.stop(_STOP_TIMEOUT_S)
