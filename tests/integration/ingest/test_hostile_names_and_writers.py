"""Ingest against what people really drop and what really breaks: names of any bytes and length,
writers that keep a file open, and background threads that fail. The real service on real
folders and the real (embedded) event log; file-system events only (no rescan comes in time),
so a test also proves that events keep flowing."""

import fnmatch
import os
import shutil
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from newswire.backends import open_event_log
from newswire.event_log import EventLogError
from newswire.file_names import escaped_name
from newswire.messages import DeadLetter, RawArticle
from newswire.settings import Settings
from newswire_ingest.app import ingest_service
from newswire_ingest.dead_letters import DeadLetterFollower
from newswire_ingest.service import IngestService
from newswire_ingest.watcher import InboxWatcher

pytestmark = pytest.mark.integration

WAIT_S = 30.0
NAME_MAX = 255
PATH_MAX = 4096
IGNORED = Settings().ingest_ignore_patterns


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        event_log="embedded",
        data_dir=tmp_path / "data",
        ingest_inbox=tmp_path / "inbox",
        ingest_processed_dir=tmp_path / "processed",
        ingest_failed_dir=tmp_path / "failed",
        # Longer than any wait below: only file-system events can bring a file in time.
        ingest_rescan_interval_s=600.0,
        ingest_metrics_port=0,
    )


@contextmanager
def running(settings: Settings) -> Iterator[tuple[IngestService, threading.Thread]]:
    with ingest_service(settings, watch=True) as service:
        thread = threading.Thread(target=service.run, daemon=True)
        thread.start()
        try:
            yield service, thread
        finally:
            service.stop()
            thread.join(WAIT_S)


def eventually(condition: Callable[[], bool], what: str, timeout_s: float = WAIT_S) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, f"no {what} within {timeout_s} s"
        time.sleep(0.05)


def gone(path: Path) -> Callable[[], bool]:
    return lambda: not os.path.lexists(path)


def drop(settings: Settings, name: bytes, data: bytes) -> Path:
    path = Path(os.fsdecode(os.fsencode(settings.ingest_inbox) + b"/" + name))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def files_in(folder: Path) -> dict[bytes, Path]:
    """Every file below `folder` by its bytes."""
    found: dict[bytes, Path] = {}
    for parent, _, names in os.walk(os.fsencode(folder)):
        for name in names:
            path = Path(os.fsdecode(os.path.join(parent, name)))
            if not name.endswith(b".reason.json"):
                found[path.read_bytes()] = path
    return found


def raw_messages(settings: Settings) -> list[RawArticle]:
    consumer = open_event_log(settings).consumer(f"t-{uuid.uuid4().hex}", [settings.raw_topic], "t")
    found: list[RawArticle] = []
    try:
        while records := consumer.poll(0.2, 1000):
            found += [RawArticle.model_validate_json(record.value or b"") for record in records]
    finally:
        consumer.close()
    return found


def metric(service: IngestService, name: str, **labels: str) -> float:
    value = service.metrics.registry.get_sample_value(f"newswire_ingest_{name}_total", labels)
    return value or 0.0


# --- names as bytes ------------------------------------------------------------------------


def _acceptable(name: bytes) -> bool:
    return (
        b"/" not in name
        and b"\x00" not in name
        and name not in (b".", b"..")
        and not any(fnmatch.fnmatch(os.fsdecode(name), pattern) for pattern in IGNORED)
    )


NAMES = st.binary(min_size=1, max_size=NAME_MAX).filter(_acceptable)
# Names people type: short, with control characters, newlines and non-UTF-8 bytes among them.
ODD_NAMES = st.builds(
    lambda stem, odd: stem + odd + b".txt",
    st.binary(min_size=1, max_size=20).filter(_acceptable),
    st.sampled_from([b"", b"\n", b"\r\n", b"\x1b[31m", b"\xff", b"\xe9", b"\\x41", b" (2)"]),
).filter(_acceptable)
PATHS = st.lists(st.one_of(NAMES, ODD_NAMES), min_size=1, max_size=16).filter(
    lambda parts: len(b"/".join(parts)) < PATH_MAX - 512
)


def _blocked(inbox: Path, parts: list[bytes]) -> bool:
    """Whether the inbox holds a folder where `parts` needs a file, or a file where it needs a
    folder."""
    here = os.fsencode(inbox)
    for number, part in enumerate(parts, start=1):
        here = os.path.join(here, part)
        if os.path.lexists(here) and os.path.isdir(here) != (number < len(parts)):
            return True
    return False


def test_files_of_any_name_end_published_or_failed_with_a_reason_and_events_keep_flowing(
    settings: Settings,
) -> None:
    """Generated names as bytes — up to NAME_MAX, nested up to PATH_MAX, control characters,
    newlines, invalid UTF-8 — each dropped twice with different content (the second collides
    with the first in the processed area), some of them empty (refused: the failed area)."""
    names: dict[bytes, bytes] = {}  # content → the name it was dropped under
    with running(settings) as (service, thread):

        @hypothesis_settings(
            max_examples=40,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
        )
        @given(path=PATHS, empty=st.booleans())
        def every_file_ends_somewhere(path: list[bytes], empty: bool) -> None:
            name = b"/".join(path)
            # Folders stay in the inbox: a name that is a folder there now can't be a file.
            assume(not _blocked(settings.ingest_inbox, path))
            contents = [b"" if empty else uuid.uuid4().hex.encode(), uuid.uuid4().hex.encode()]
            for content in contents:
                names[content] = name
                dropped = drop(settings, name, content)
                eventually(gone(dropped), f"{name!r} out of the inbox")
            processed = files_in(settings.ingest_processed_dir)
            failed = files_in(settings.ingest_failed_dir)
            for content in contents:
                if content in processed:
                    continue
                assert content in failed, f"{name!r}: neither processed nor failed"
                failed_file = failed[content]
                reason = failed_file.with_name(failed_file.name + ".reason.json")
                assert DeadLetter.model_validate_json(reason.read_bytes()).error_type == "empty"

        every_file_ends_somewhere()

        assert thread.is_alive(), "the service stopped"
        published = {article.content.encode(): article for article in raw_messages(settings)}
        for content in files_in(settings.ingest_processed_dir):
            # the message names the file as dropped, losslessly, whatever name it got there
            assert published[content].relative_path == escaped_name(names[content])
        drop(settings, b"world/after.txt", b"A normal story after all that.\n")
        eventually(
            lambda: b"A normal story after all that.\n" in files_in(settings.ingest_processed_dir),
            "normal file published by events alone",
        )
        assert metric(service, "watcher_restarts") == 0


def test_a_name_too_long_for_processed_and_one_not_utf8_are_published_and_named_in_the_message(
    settings: Settings,
) -> None:
    long_name = b"x" * 251 + b".txt"
    latin1 = b"caf\xe9 \\x41\nsecond line.txt"
    with running(settings):
        for name, content in [(long_name, b"one"), (long_name, b"two"), (latin1, b"three")]:
            dropped = drop(settings, name, content)
            eventually(gone(dropped), "file out of the inbox")

    by_content = {article.content: article.relative_path for article in raw_messages(settings)}
    assert by_content == {
        "one": escaped_name(long_name),
        "two": escaped_name(long_name),
        "three": "caf\\xe9 \\\\x41\nsecond line.txt",
    }
    assert set(files_in(settings.ingest_processed_dir)) == {b"one", b"two", b"three"}


# --- writers -------------------------------------------------------------------------------


def test_a_file_kept_open_for_30_s_with_appends_every_2_s_is_one_article_with_every_paragraph(
    settings: Settings,
) -> None:
    paragraphs = [f"Paragraph {number} of the story.\n\n".encode() for number in range(16)]
    with running(settings):
        path = settings.ingest_inbox / "slow.txt"
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as writer:
            for paragraph in paragraphs:
                writer.write(paragraph)
                writer.flush()
                time.sleep(2.0)
                assert path.exists(), "taken while its writer still had it open"
        eventually(lambda: not path.exists(), "file out of the inbox")

    assert [article.content.encode() for article in raw_messages(settings)] == [
        b"".join(paragraphs)
    ]


def test_a_file_written_then_renamed_in_and_a_copied_file_are_taken_once_each(
    settings: Settings, shared_dir: Path
) -> None:
    story = (shared_dir / "corpora/bbc/business/001.txt").read_bytes()
    with running(settings):
        staged = settings.ingest_inbox / ".staging.part"
        staged.write_bytes(b"Renamed in.\n\nWhole.\n")
        staged.rename(settings.ingest_inbox / "renamed.txt")
        shutil.copy(shared_dir / "corpora/bbc/business/001.txt", settings.ingest_inbox)
        eventually(lambda: len(files_in(settings.ingest_processed_dir)) == 2, "both files")

    assert sorted(article.content.encode() for article in raw_messages(settings)) == sorted(
        [b"Renamed in.\n\nWhole.\n", story]
    )


# --- background threads ------------------------------------------------------------------


def test_a_stopped_watcher_is_started_again_at_the_next_rescan(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = settings.model_copy(update={"ingest_rescan_interval_s": 0.5})
    watchers: list[InboxWatcher] = []
    original = InboxWatcher.__enter__

    def remember(watcher: InboxWatcher) -> InboxWatcher:
        watchers.append(watcher)
        return original(watcher)

    monkeypatch.setattr(InboxWatcher, "__enter__", remember)
    with running(settings) as (service, thread):
        (watcher,) = watchers
        watcher._stop()  # as if its threads had died
        assert not watcher.is_running()
        eventually(lambda: metric(service, "watcher_restarts") == 1, "watcher restart")
        assert watcher.is_running()
        assert thread.is_alive()


def test_the_dead_letter_follower_retries_a_failing_log_and_a_failing_move(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = {"poll": 0, "move": 0}
    follower_class = DeadLetterFollower
    original_batch = follower_class._follow_a_batch

    def flaky_batch(follower: DeadLetterFollower) -> None:
        calls["poll"] += 1
        if calls["poll"] <= 2:
            raise EventLogError("the log is unreachable (test)")
        original_batch(follower)

    monkeypatch.setattr(follower_class, "_follow_a_batch", flaky_batch)
    with running(settings) as (service, thread):
        eventually(lambda: calls["poll"] > 3, "the follower polling again after two errors")
        assert thread.is_alive()
        assert metric(service, "dead_letter_errors") == 2


def test_a_follower_that_breaks_stops_the_service_so_its_supervisor_restarts_it(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(follower: DeadLetterFollower) -> None:
        raise RuntimeError("a bug in the follower (test)")

    monkeypatch.setattr(DeadLetterFollower, "_follow_a_batch", broken)
    with ingest_service(settings, watch=True) as service:
        outcome: list[bool] = []
        thread = threading.Thread(target=lambda: outcome.append(service.run()), daemon=True)
        thread.start()
        thread.join(WAIT_S)

    assert outcome == [False], "run() must end, and report failure"
