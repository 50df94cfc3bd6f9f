"""A folder tree's file events straight from Linux's inotify, for the inbox watcher.

watchdog's inotify emitter is general-purpose: it pairs moves, queues events in Python objects and
hands them between two threads, about 225 µs of CPU per event in the ingest benchmark, more than
reading and sending the file. Ingest needs less: which path changed, and whether its writer
closed it or it was moved in. This reader asks the kernel for those events only and reads them in
batches, a few µs each.

It watches every folder of the tree (inotify is not recursive): a new or moved-in folder is
watched before it is reported, so the inbox's walk of it finds what was written there before its
watch existed. A folder moved away is no longer watched; one removed drops its watch by itself.
When the kernel's queue overflowed (events were lost), the tree is watched again and the root is
reported: the inbox takes that as "look at everything".
"""

import contextlib
import errno
import logging
import os
import select
import threading
from collections.abc import Callable, Collection
from pathlib import Path

from inotify_simple import INotify, flags, parse_events

log = logging.getLogger(__name__)

Noticed = tuple[Path, bool]
"""A path an event touched, and whether a writer closed it or it was moved in."""
Notice = Callable[[list[Noticed]], None]
"""Takes the paths of events read together: one hand-over between threads per batch."""

# A whole number of the largest events (16 bytes and a name of up to NAME_MAX + 1).
_READ_BYTES = 64 * (16 + 256)
# What may bring or complete a file; MOVED_FROM for folders moved away. Never following a link
# to a folder outside the tree; no events for files already unlinked.
_MASK = (
    flags.CREATE
    | flags.CLOSE_WRITE
    | flags.MOVED_TO
    | flags.MOVED_FROM
    | flags.ONLYDIR
    | flags.DONT_FOLLOW
    | flags.EXCL_UNLINK
)


class WatchLimitError(OSError):
    """The system's inotify limits (fs.inotify.max_user_watches or max_user_instances) are
    reached."""


class InotifyEvents:
    """Calls `notice` from a thread of its own with the paths of the file events under `root`,
    a batch at a time, between `start` and `stop`. Folders in `excluded` (and what is under
    them) are not watched. With `writes_matter`, each write is reported too."""

    def __init__(
        self,
        root: Path,
        notice: Notice,
        writes_matter: bool = False,
        excluded: Collection[Path] = (),
    ) -> None:
        self._root = str(root)
        self._notice = notice
        self._mask = _MASK | flags.MODIFY if writes_matter else _MASK
        self._excluded = {str(folder) for folder in excluded}
        self._inotify = INotify()
        self._folders: dict[int, str] = {}  # watch descriptor -> folder
        self._watches: dict[str, int] = {}  # folder -> watch descriptor
        self._wake_read, self._wake_write = os.pipe()
        self._closed = False
        self._thread = threading.Thread(target=self._run, name="inbox-events", daemon=True)

    def start(self) -> None:
        """Watches the tree, then reads its events. Raises OSError when the root can't be
        watched (WatchLimitError at the system's limits)."""
        try:
            self._watch_tree(self._root)
        except BaseException:
            self._close()
            raise
        self._thread.start()

    def is_alive(self) -> bool:
        return self._thread.is_alive()

    def stop(self, timeout_s: float) -> None:
        if self._thread.is_alive():
            os.write(self._wake_write, b"x")
            self._thread.join(timeout_s)
        if not self._thread.is_alive():
            self._close()

    def _close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._inotify.close()
        os.close(self._wake_read)
        os.close(self._wake_write)

    def _run(self) -> None:
        ready = select.poll()
        ready.register(self._inotify.fileno(), select.POLLIN)
        ready.register(self._wake_read, select.POLLIN)
        try:
            while all(fd != self._wake_read for fd, _ in ready.poll()):
                noticed: list[Noticed] = []
                for event in parse_events(os.read(self._inotify.fileno(), _READ_BYTES)):
                    noticed.extend(self._handle(event.wd, event.mask, event.name))
                if noticed:
                    self._notice(noticed)
        except WatchLimitError as error:
            # The thread ends; the watcher starts a new reader later, and the rescans find files.
            log.warning("file-system events stop: %s", error)

    def _handle(self, wd: int, mask: int, name: str) -> list[Noticed]:
        """What the event brings to look at, after following the folders it changed."""
        if mask & flags.Q_OVERFLOW:
            log.warning("the system dropped file-system events; looking at the whole inbox")
            self._watch_tree(self._root)
            return [(Path(self._root), True)]
        folder = self._folders.get(wd)
        if folder is None:
            return []  # a watch removed since
        if mask & flags.IGNORED:  # the folder is gone, or its watch was removed
            del self._folders[wd]
            if self._watches.get(folder) == wd:
                del self._watches[folder]
            return []
        path = os.path.join(folder, name)
        if mask & flags.ISDIR:
            if mask & flags.MOVED_FROM:
                self._unwatch_tree(path)
            elif path not in self._excluded:
                self._watch_tree(path)
                return [(Path(path), bool(mask & flags.MOVED_TO))]
        elif not mask & flags.MOVED_FROM:
            return [(Path(path), bool(mask & (flags.CLOSE_WRITE | flags.MOVED_TO)))]
        return []

    def _watch_tree(self, top: str) -> None:
        """Watches `top` and every folder under it, links never followed."""
        folders = [top]
        while folders:
            folder = folders.pop()
            if folder in self._excluded:
                continue
            try:
                wd = self._inotify.add_watch(folder, self._mask)
            except OSError as error:
                if error.errno == errno.ENOSPC:
                    raise WatchLimitError(
                        error.errno,
                        f"the inotify watch limit is reached at {folder} "
                        "(raise fs.inotify.max_user_watches)",
                    ) from error
                if folder == self._root:
                    raise
                continue  # gone already, no longer a folder, or not ours to read
            self._folders[wd] = folder
            self._watches[folder] = wd
            try:
                with os.scandir(folder) as entries:
                    folders.extend(e.path for e in entries if e.is_dir(follow_symlinks=False))
            except OSError:
                continue

    def _unwatch_tree(self, top: str) -> None:
        """Stops watching `top` and the folders under it (moved away: their paths are stale;
        moved within the tree, they are watched again under their new path)."""
        prefix = top + os.sep
        for folder in [f for f in self._watches if f == top or f.startswith(prefix)]:
            wd = self._watches.pop(folder)
            del self._folders[wd]
            with contextlib.suppress(OSError):  # already gone with its folder
                self._inotify.rm_watch(wd)
