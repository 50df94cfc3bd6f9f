"""File-system events on a real folder, through both readers (inotify directly, and watchdog):
writers' closes and moves in are told apart, any name comes through, new and moved folders are
followed, and a watcher that stopped can be started again."""

import functools
import os
import shutil
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from inotify_simple import flags

from newswire_ingest.inotify_events import InotifyEvents
from newswire_ingest.watcher import InboxWatcher

WAIT_S = 10.0

Watch = Callable[..., InboxWatcher]
_LINUX_ONLY = pytest.mark.skipif(sys.platform != "linux", reason="inotify is Linux's")


@pytest.fixture(
    params=[
        pytest.param(True, id="inotify", marks=_LINUX_ONLY),
        pytest.param(False, id="watchdog"),
    ]
)
def watch(request: pytest.FixtureRequest) -> Watch:
    return functools.partial(InboxWatcher, use_inotify=request.param)


class Noticed:
    def __init__(self) -> None:
        self.events: list[tuple[Path, bool]] = []
        self._lock = threading.Lock()

    def __call__(self, noticed: list[tuple[Path, bool]]) -> None:
        with self._lock:
            self.events.extend(noticed)

    def wait_for(self, path: Path, closed: bool) -> None:
        deadline = time.monotonic() + WAIT_S
        while (path, closed) not in list(self.events):
            assert time.monotonic() < deadline, f"no event {(path, closed)}: {self.events}"
            time.sleep(0.02)

    def wait_for_path(self, path: Path) -> None:
        """Either flag: watchdog reports a folder moved in from outside as created."""
        deadline = time.monotonic() + WAIT_S
        while path not in self.paths():
            assert time.monotonic() < deadline, f"no event at {path}: {self.events}"
            time.sleep(0.02)

    def paths(self) -> set[Path]:
        with self._lock:
            return {path for path, _ in self.events}


def test_a_closed_file_and_a_file_moved_in_are_reported_as_complete(
    tmp_path: Path, watch: Watch
) -> None:
    noticed = Noticed()
    with watch(tmp_path, noticed):
        (tmp_path / "written.txt").write_bytes(b"text")
        (tmp_path / ".staged").write_bytes(b"text")
        (tmp_path / ".staged").rename(tmp_path / "moved.txt")

        noticed.wait_for(tmp_path / "written.txt", closed=True)
        noticed.wait_for(tmp_path / "moved.txt", closed=True)


def test_a_name_that_is_not_utf8_comes_through_as_its_bytes(tmp_path: Path, watch: Watch) -> None:
    noticed = Noticed()
    path = Path(os.fsdecode(os.fsencode(tmp_path) + b"/caf\xe9\n.txt"))
    with watch(tmp_path, noticed):
        path.write_bytes(b"text")
        noticed.wait_for(path, closed=True)
        (tmp_path / "after.txt").write_bytes(b"text")  # and events keep coming
        noticed.wait_for(tmp_path / "after.txt", closed=True)

    assert os.fsencode(path).endswith(b"/caf\xe9\n.txt")


def test_a_stopped_watcher_is_started_again_and_events_flow_again(
    tmp_path: Path, watch: Watch
) -> None:
    noticed, restarts = Noticed(), []
    with watch(tmp_path, noticed, on_restart=lambda: restarts.append(1)) as watcher:
        watcher._stop()  # as if its threads had died
        assert not watcher.is_running()

        watcher.ensure_running()

        assert watcher.is_running()
        assert restarts == [1]
        (tmp_path / "after-restart.txt").write_bytes(b"text")
        noticed.wait_for(tmp_path / "after-restart.txt", closed=True)


def test_changes_inside_a_folder_are_not_reported_as_the_folder(
    tmp_path: Path, watch: Watch
) -> None:
    noticed = Noticed()
    (tmp_path / "world").mkdir()
    with watch(tmp_path, noticed):
        (tmp_path / "world" / "a.txt").write_bytes(b"text")
        noticed.wait_for(tmp_path / "world" / "a.txt", closed=True)

    assert (tmp_path / "world", False) not in noticed.events


def test_files_in_new_folders_moved_in_folders_and_renamed_folders_are_reported(
    tmp_path: Path, watch: Watch
) -> None:
    noticed = Noticed()
    staged = tmp_path.parent / f"{tmp_path.name}-staged"
    (staged / "desk" / "sport").mkdir(parents=True)
    (staged / "desk" / "sport" / "old.txt").write_bytes(b"text")
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    with watch(inbox, noticed):
        (inbox / "world" / "europe").mkdir(parents=True)
        noticed.wait_for(inbox / "world", closed=False)
        time.sleep(0.2)  # for the folders' watches to be in place
        (inbox / "world" / "europe" / "a.txt").write_bytes(b"text")
        noticed.wait_for(inbox / "world" / "europe" / "a.txt", closed=True)

        staged.joinpath("desk").rename(inbox / "desk")  # a folder moved in, with what it holds
        noticed.wait_for_path(inbox / "desk")
        time.sleep(0.2)
        (inbox / "desk" / "sport" / "new.txt").write_bytes(b"text")
        noticed.wait_for(inbox / "desk" / "sport" / "new.txt", closed=True)

        (inbox / "world").rename(inbox / "news")
        time.sleep(0.2)
        (inbox / "news" / "europe" / "b.txt").write_bytes(b"text")
        noticed.wait_for(inbox / "news" / "europe" / "b.txt", closed=True)
    shutil.rmtree(staged, ignore_errors=True)


@_LINUX_ONLY
def test_folders_moved_away_and_excluded_folders_are_not_watched(tmp_path: Path) -> None:
    noticed = Noticed()
    inbox, elsewhere = tmp_path / "inbox", tmp_path / "elsewhere"
    (inbox / "processed").mkdir(parents=True)
    (inbox / "leaving").mkdir()
    elsewhere.mkdir()
    with InboxWatcher(inbox, noticed, excluded=[inbox / "processed"], use_inotify=True):
        (inbox / "leaving").rename(elsewhere / "left")
        (inbox / "processed" / "done.txt").write_bytes(b"text")
        (elsewhere / "left" / "x.txt").write_bytes(b"text")
        (inbox / "last.txt").write_bytes(b"text")
        noticed.wait_for(inbox / "last.txt", closed=True)  # events are read in order

    assert noticed.paths() == {inbox / "last.txt"}


@_LINUX_ONLY
def test_when_the_system_dropped_events_the_whole_inbox_is_reported(tmp_path: Path) -> None:
    noticed = Noticed()
    events = InotifyEvents(tmp_path, noticed)
    events.start()
    try:
        (tmp_path / "made-unseen").mkdir()
        # What the kernel sends when its queue was full:
        brought = events._handle(-1, flags.Q_OVERFLOW, "")

        assert brought == [(tmp_path, True)]
        assert str(tmp_path / "made-unseen") in events._watches  # and new folders are watched
    finally:
        events.stop(timeout_s=5)
    assert not events.is_alive()
