"""File-system events on a real folder: writers' closes and moves in are told apart, any name
comes through, and a watcher that stopped can be started again."""

import os
import threading
import time
from pathlib import Path

from newswire_ingest.watcher import InboxWatcher

WAIT_S = 10.0


class Noticed:
    def __init__(self) -> None:
        self.events: list[tuple[Path, bool]] = []
        self._lock = threading.Lock()

    def __call__(self, path: Path, closed: bool) -> None:
        with self._lock:
            self.events.append((path, closed))

    def wait_for(self, path: Path, closed: bool) -> None:
        deadline = time.monotonic() + WAIT_S
        while (path, closed) not in list(self.events):
            assert time.monotonic() < deadline, f"no event {(path, closed)}: {self.events}"
            time.sleep(0.02)


def test_a_closed_file_and_a_file_moved_in_are_reported_as_complete(tmp_path: Path) -> None:
    noticed = Noticed()
    with InboxWatcher(tmp_path, noticed):
        (tmp_path / "written.txt").write_bytes(b"text")
        (tmp_path / ".staged").write_bytes(b"text")
        (tmp_path / ".staged").rename(tmp_path / "moved.txt")

        noticed.wait_for(tmp_path / "written.txt", closed=True)
        noticed.wait_for(tmp_path / "moved.txt", closed=True)


def test_a_name_that_is_not_utf8_comes_through_as_its_bytes(tmp_path: Path) -> None:
    noticed = Noticed()
    path = Path(os.fsdecode(os.fsencode(tmp_path) + b"/caf\xe9\n.txt"))
    with InboxWatcher(tmp_path, noticed):
        path.write_bytes(b"text")
        noticed.wait_for(path, closed=True)
        (tmp_path / "after.txt").write_bytes(b"text")  # and events keep coming
        noticed.wait_for(tmp_path / "after.txt", closed=True)

    assert os.fsencode(path).endswith(b"/caf\xe9\n.txt")


def test_a_stopped_watcher_is_started_again_and_events_flow_again(tmp_path: Path) -> None:
    noticed, restarts = Noticed(), []
    with InboxWatcher(tmp_path, noticed, on_restart=lambda: restarts.append(1)) as watcher:
        watcher._stop()  # as if its threads had died
        assert not watcher.is_running()

        watcher.ensure_running()

        assert watcher.is_running()
        assert restarts == [1]
        (tmp_path / "after-restart.txt").write_bytes(b"text")
        noticed.wait_for(tmp_path / "after-restart.txt", closed=True)


def test_changes_inside_a_folder_are_not_reported_as_the_folder(tmp_path: Path) -> None:
    noticed = Noticed()
    (tmp_path / "world").mkdir()
    with InboxWatcher(tmp_path, noticed):
        (tmp_path / "world" / "a.txt").write_bytes(b"text")
        noticed.wait_for(tmp_path / "world" / "a.txt", closed=True)

    assert (tmp_path / "world", False) not in noticed.events
