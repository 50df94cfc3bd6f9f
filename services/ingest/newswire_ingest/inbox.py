"""The inbox on disk: finding files, reading one whole once its writer is done, and moving it out
without losing it.

Links are never followed: a symbolic link is reported as one (and refused), folders are entered
only when they are real folders inside the inbox, and files are opened with O_NOFOLLOW.

A file is read under a read lease (`fcntl(F_SETLEASE, F_RDLCK)`), which Linux grants only while
nobody has the file open for writing: a writer that pauses, however long, is never read half-way.
Where leases are not available (another operating system, a network file system, a file of
another user without CAP_LEASE) the caller falls back to the settle time (see `completion`).

A move is a hard link to the new name, then an unlink of the old one: a name in the processed or
failed area is never overwritten, and a crash between the two steps leaves one file under both
names, which the next move of it recognises. A name that does not fit there (over NAME_MAX with
its `(2)` or its `.reason.json`, or a path over PATH_MAX under a deeper area) is shortened to a
unique one: the start of the name, `~`, a hash of the whole relative path, the extension.

Names are bytes: they reach messages through `newswire.file_names` (lossless), and back.
"""

import errno
import fcntl
import fnmatch
import functools
import hashlib
import logging
import os
import re
import signal
import stat
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path

from newswire.file_names import escaped_name, name_bytes
from newswire_ingest.article import FileRejectedError
from newswire_ingest.completion import FileKind, FileState

log = logging.getLogger(__name__)


class InboxSetupError(Exception):
    """The folders can't be used as configured; the message says which and why."""


class FileChangedError(Exception):
    """The file is no longer as it was when it looked complete: look at it again."""


class FileBeingWrittenError(Exception):
    """Someone has the file open for writing: wait until they close it."""


class WritersUnknownError(Exception):
    """The system cannot tell whether the file has writers (no lease for it here)."""


# The reason file beside a failed file, and its temporary name while it is written.
REASON_SUFFIX = ".reason.json"
_REASON_RESERVE = len(REASON_SUFFIX) + len("..partial")
_HASH_CHARS = 12
# A name numbered this far is not a name collision any more but a bug: give up (and retry later).
_MAX_NUMBERED = 10_000


class Inbox:
    def __init__(
        self, root: Path, processed: Path, failed: Path, ignore_patterns: Sequence[str]
    ) -> None:
        for folder in (root, processed, failed):
            folder.mkdir(parents=True, exist_ok=True)
        self.root, self.processed, self.failed = (
            folder.resolve() for folder in (root, processed, failed)
        )
        self._areas = (self.processed, self.failed)
        for area in self._areas:
            _ensure_hard_links_reach(self.root, area)
        self._area_texts = tuple(str(area) for area in self._areas)
        self._root_prefix = str(self.root) + os.sep
        # `(?!)` never matches: with no patterns, nothing is ignored.
        self._ignored = re.compile("|".join(map(fnmatch.translate, ignore_patterns)) or "(?!)")
        self.writers_visible = _leases_work(self.root)

    def scan(self) -> Iterator[tuple[Path, FileState]]:
        """Every file in the inbox, except ignored names and the processed and failed areas."""
        return self._walk(self.root)

    def look_at(self, path: Path) -> Iterator[tuple[Path, FileState]]:
        """What a file-system event at `path` may have brought: that file, or every file of a
        folder that appeared, or every file of the inbox for the inbox itself (events were
        lost). Nothing for a path the inbox does not take."""
        if path == self.root:
            yield from self._walk(self.root)
            return
        if not self._takes(path):
            return
        try:
            found = os.lstat(path)
        except OSError:  # gone already, or in a folder we may not read: nothing to take
            return
        if stat.S_ISDIR(found.st_mode):
            yield from self._walk(path)
        else:
            yield path, _state(found)

    def state_of(self, path: Path) -> FileState | None:
        try:
            return _state(os.lstat(path))
        except FileNotFoundError:
            return None

    def relative_name(self, path: Path) -> str:
        """The path relative to the inbox, `/`-separated, as `newswire.file_names` writes names
        (bytes that are not UTF-8 as `\\xNN`, losslessly)."""
        return escaped_name(os.fsencode(self._relative(path)))

    def _relative(self, path: Path) -> str:
        """`path` relative to the inbox, `/`-separated as `as_posix` writes it (from its text:
        pathlib's relative_to parses it again)."""
        text = str(path)
        if not text.startswith(self._root_prefix):
            return path.relative_to(self.root).as_posix()  # a ValueError when outside, as before
        relative = text[len(self._root_prefix) :]
        return relative if os.sep == "/" else relative.replace(os.sep, "/")

    def read(self, path: Path, state: FileState, max_bytes: int) -> bytes:
        """The whole file, as `state` describes it. Raises FileRejectedError for a file that can
        never be read, FileChangedError for one that is no longer as described."""
        if state.kind is not FileKind.REGULAR:
            raise FileRejectedError(
                "not_a_regular_file",
                f"it is a {state.kind.value}: ingest reads regular files and never follows links",
            )
        if state.size > max_bytes:
            raise FileRejectedError(
                "too_large",
                f"it is {state.size:,} bytes, over the limit of {max_bytes:,} "
                "(NEWSWIRE_INGEST_MAX_FILE_BYTES)",
            )
        try:
            # O_NONBLOCK: should a pipe have replaced the file, opening it must not hang.
            fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
        except OSError as error:
            if error.errno in (errno.ENOENT, errno.ELOOP, errno.ENOTDIR):
                raise FileChangedError from error  # removed, or replaced by a link, since
            raise FileRejectedError(
                "unreadable", f"it can't be opened: {error.strerror}"
            ) from error
        try:
            if self.writers_visible:
                _lease_or_raise(fd)  # released when the file is closed
            try:
                opened = _state(os.fstat(fd))
                data = _read_exactly(fd, state.size)
                # A read lease is granted only while nobody has the file open for writing, and
                # holds off any open for writing or truncate until it is closed: nothing can
                # change the file during the read, so one look at it is enough.
                after = opened if self.writers_visible else _state(os.fstat(fd))
            except OSError as error:
                raise FileRejectedError(
                    "unreadable", f"reading it failed: {error.strerror}"
                ) from error
        finally:
            os.close(fd)
        # A file that grew or shrank since it was seen has another size or mtime after the read.
        if not opened == after == state or len(data) != state.size:
            raise FileChangedError
        return data

    def move_to_processed(self, path: Path, state: FileState) -> Path:
        return self._move(path, state, self.processed, reserve=0)

    def move_to_failed(self, path: Path, state: FileState, reason_json: str) -> Path:
        """Moves the file to the failed area with `<name>.reason.json` beside it: both, or
        (on an error) neither."""
        self._ensure_unchanged(path, state)
        return _move_with_reason(path, self.failed / self._relative(path), self.failed, reason_json)

    def fail_published(self, relative_path: str, reason_json: str) -> Path | None:
        """Moves a published file from the processed area to the failed one, with its reason,
        when a later stage could not use it. `relative_path` is the name its message carries.
        None when it is not (or not yet) in the processed area."""
        relative = Path(os.fsdecode(name_bytes(relative_path)))
        if relative.is_absolute() or ".." in relative.parts:
            return None
        processed = _fitting(self.processed / relative, self.processed, reserve=0)
        if not processed.is_file() or not self._inside(processed, self.processed):
            return None
        return _move_with_reason(processed, self.failed / relative, self.failed, reason_json)

    @staticmethod
    def _inside(path: Path, area: Path) -> bool:
        return path.resolve().is_relative_to(area)

    def delete(self, path: Path, state: FileState) -> None:
        self._ensure_unchanged(path, state)
        path.unlink()

    def _move(self, path: Path, state: FileState, area: Path, reserve: int) -> Path:
        self._ensure_unchanged(path, state)
        return _link_then_unlink(path, area / self._relative(path), area, reserve)

    def _ensure_unchanged(self, path: Path, state: FileState) -> None:
        if self.state_of(path) != state:
            raise FileChangedError

    def _takes(self, path: Path) -> bool:
        """True for a path inside the inbox, outside its areas, with no ignored name in it, and
        reached through real folders only."""
        text = str(path)
        if not text.startswith(self._root_prefix):
            return False
        if any(text == area or text.startswith(area + os.sep) for area in self._area_texts):
            return False
        names = text[len(self._root_prefix) :].split(os.sep)
        if any(self._ignored.match(name) for name in names):
            return False
        folder = str(self.root)
        for name in names[:-1]:
            folder = os.path.join(folder, name)
            try:
                if not stat.S_ISDIR(os.lstat(folder).st_mode):  # a link, say
                    return False
            except OSError:
                return False
        return True

    def _walk(self, folder: Path) -> Iterator[tuple[Path, FileState]]:
        folders = [folder]
        while folders:
            current = folders.pop()
            try:
                with os.scandir(current) as entries:
                    found = list(entries)
            except FileNotFoundError:
                continue
            except OSError as error:
                log.warning("can't list %s: %s", current, error.strerror)
                continue
            for entry in found:
                path = Path(entry.path)
                if self._ignored.match(entry.name) or path in self._areas:
                    continue
                try:
                    entry_stat = entry.stat(follow_symlinks=False)
                except FileNotFoundError:
                    continue
                if stat.S_ISDIR(entry_stat.st_mode):
                    folders.append(path)
                else:
                    yield path, _state(entry_stat)


def _read_exactly(fd: int, size: int) -> bytes:
    """`size` bytes, or fewer at the end of the file. Plain reads into a buffer of the file's
    size: a buffered file's read(n) takes n bytes of memory first (a mmap for large n) and
    checks whether the file is a terminal, system calls that cost as much as the read."""
    chunks, remaining = [], size
    while remaining > 0 and (chunk := os.read(fd, remaining)):
        chunks.append(chunk)
        remaining -= len(chunk)
    return chunks[0] if len(chunks) == 1 else b"".join(chunks)


def _ensure_hard_links_reach(root: Path, area: Path) -> None:
    """Moves are hard links: they fail across file systems, and across mount points even of one
    file system (two Docker bind mounts, say). Better to find out at start-up, with a probe."""
    probe = root / f".newswire-link-probe-{os.getpid()}"  # a dot name: never taken as a file
    linked = area / probe.name
    try:
        probe.touch()
        os.link(probe, linked)
    except OSError as error:
        raise InboxSetupError(
            f"files can't be moved from {root} to {area} atomically ({error.strerror}): "
            "both need write access and one file system, under one mount point"
        ) from error
    finally:
        linked.unlink(missing_ok=True)
        probe.unlink(missing_ok=True)


def _state(found: os.stat_result) -> FileState:
    if stat.S_ISREG(found.st_mode):
        kind = FileKind.REGULAR
    elif stat.S_ISLNK(found.st_mode):
        kind = FileKind.SYMLINK
    else:
        kind = FileKind.OTHER
    return FileState(kind, found.st_size, found.st_mtime_ns, found.st_ino)


def _link_then_unlink(path: Path, wanted: Path, area: Path, reserve: int) -> Path:
    """Moves `path` to `wanted` in `area`, or `wanted (2)`… when that name is taken: never
    overwriting. A name that does not fit (with `reserve` more bytes) is shortened."""
    target = _link(path, wanted, area, reserve)
    path.unlink()
    return target


def _move_with_reason(path: Path, wanted: Path, area: Path, reason_json: str) -> Path:
    """`_link_then_unlink` with the reason written between the two steps, so that a file in the
    failed area always has its reason: if the reason can't be written, the move is undone."""
    target = _link(path, wanted, area, _REASON_RESERVE)
    try:
        _write_reason(target, reason_json)
    except BaseException:
        if target != path:
            target.unlink(missing_ok=True)
        raise
    path.unlink()
    return target


def _link(path: Path, wanted: Path, area: Path, reserve: int) -> Path:
    """A new hard link to `path` at `wanted`, or at `wanted (2)`… when that name is taken (or
    at the link an earlier, interrupted move made). When a file there has the name of one of
    `wanted`'s folders (`world` dropped, then `world/x.txt`), the link goes to the top of the
    area under a short unique name instead."""
    flat = False
    for number in range(1, _MAX_NUMBERED + 1):
        candidate = (
            wanted.with_name(f"{wanted.stem} ({number}){wanted.suffix}") if number > 1 else wanted
        )
        target = (
            area / _short_name(candidate, area, reserve)
            if flat
            else _fitting(candidate, area, reserve)
        )
        while True:
            try:
                os.link(path, target, follow_symlinks=False)
            except FileNotFoundError as error:
                if target.parent.is_dir():
                    raise FileChangedError from error  # the file itself went away meanwhile
                try:
                    target.parent.mkdir(parents=True, exist_ok=True)
                except (FileExistsError, NotADirectoryError):
                    flat, target = True, area / _short_name(candidate, area, reserve)
                continue
            except NotADirectoryError:
                flat, target = True, area / _short_name(candidate, area, reserve)
                continue
            except FileExistsError:
                if not os.path.samestat(os.lstat(target), os.lstat(path)):
                    break  # taken by another file: the next number
                # Else an earlier run made this link and died before the unlink.
            return target
    raise FileExistsError(errno.EEXIST, f"{_MAX_NUMBERED} names taken", str(wanted))


def _fitting(wanted: Path, area: Path, reserve: int) -> Path:
    """`wanted`, or a shortened unique name for it when its name (plus `reserve` bytes) is over
    NAME_MAX or its path over PATH_MAX; a path still too long loses its folders."""
    name_max, path_max = _limits(area)
    name = os.fsencode(wanted.name)
    if len(name) + reserve <= name_max and len(os.fsencode(wanted)) + reserve < path_max:
        return wanted
    shortened = wanted.with_name(_short_name(wanted, area, reserve))
    if len(os.fsencode(shortened)) + reserve < path_max:
        return shortened
    return area / shortened.name


def _short_name(wanted: Path, area: Path, reserve: int) -> str:
    """The start of `wanted`'s name, `~`, a hash of its path relative to `area`, its extension:
    unique, and short enough for NAME_MAX with `reserve` more bytes."""
    name_max, _ = _limits(area)
    name = os.fsencode(wanted.name)
    digest = hashlib.sha256(os.fsencode(wanted.relative_to(area))).hexdigest()[:_HASH_CHARS]
    stem, dot, extension = name.rpartition(b".")
    if not dot or not stem or len(extension) > 16:
        stem, extension = name, b""
    suffix = b"~" + digest.encode() + (b"." + extension if extension else b"")
    keep = max(0, name_max - reserve - len(suffix))
    # Cut at a character boundary when the name is UTF-8, so the short name stays readable.
    start = stem[:keep].decode("utf-8", "ignore").encode() if _is_utf8(stem) else stem[:keep]
    return os.fsdecode(start + suffix)


@functools.lru_cache(maxsize=8)
def _limits(folder: Path) -> tuple[int, int]:
    """NAME_MAX and PATH_MAX of the area's file system (asked once per area: a statfs each)."""
    try:
        return os.pathconf(folder, "PC_NAME_MAX"), os.pathconf(folder, "PC_PATH_MAX")
    except (OSError, ValueError):
        return 255, 4096


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _write_reason(target: Path, reason_json: str) -> None:
    reason = target.with_name(f"{target.name}{REASON_SUFFIX}")
    partial = reason.with_name(f".{reason.name}.partial")
    partial.write_text(reason_json, encoding="utf-8")
    partial.replace(reason)


def _leases_work(root: Path) -> bool:
    """Whether this process can take read leases on files it creates in `root` (Linux, a local
    file system): then a file's writers can be told. Lease breaks are signalled with SIGIO,
    whose default action ends the process: it is ignored here, and a writer opening a leased
    file simply waits the few milliseconds until the read is done."""
    if not hasattr(fcntl, "F_SETLEASE"):
        return False
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGIO, signal.SIG_IGN)
    elif signal.getsignal(signal.SIGIO) is not signal.SIG_IGN:
        return False  # a lease break would end the process: do without
    probe = root / f".newswire-lease-probe-{os.getpid()}"  # a dot name: never taken as a file
    try:
        probe.touch()
        fd = os.open(probe, os.O_RDONLY | os.O_CLOEXEC)
        try:
            fcntl.fcntl(fd, fcntl.F_SETLEASE, fcntl.F_RDLCK)
        finally:
            os.close(fd)
    except OSError:
        return False
    finally:
        probe.unlink(missing_ok=True)
    return True


def _lease_or_raise(fd: int) -> None:
    try:
        fcntl.fcntl(fd, fcntl.F_SETLEASE, fcntl.F_RDLCK)
    except OSError as error:
        if error.errno in (errno.EAGAIN, errno.EWOULDBLOCK):
            raise FileBeingWrittenError from error
        raise WritersUnknownError from error  # another owner, or no leases on this file system
