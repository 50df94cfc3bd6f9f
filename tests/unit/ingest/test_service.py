"""The ingest loop on real files and a fake publisher whose acknowledgements the test gives."""

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from newswire.messages import DeadLetter, RawArticle
from newswire.settings import Settings
from newswire_ingest.inbox import Inbox
from newswire_ingest.metrics import IngestMetrics
from newswire_ingest.ports import Delivered, MessageTooLargeError
from newswire_ingest.service import IngestService

WAIT_S = 10.0


class FakePublisher:
    """The `Publisher` port: records what is published and holds every delivery until the test
    settles it."""

    def __init__(self) -> None:
        self.published: list[RawArticle | DeadLetter] = []
        self._waiting: list[Delivered] = []
        self._lock = threading.Lock()

    def publish_article(self, article: RawArticle, delivered: Delivered) -> None:
        self._record(article, delivered)

    def publish_dead_letter(self, letter: DeadLetter, key: str, delivered: Delivered) -> None:
        self._record(letter, delivered)

    def _record(self, message: RawArticle | DeadLetter, delivered: Delivered) -> None:
        with self._lock:
            self.published.append(message)
            self._waiting.append(delivered)

    def unacknowledged(self) -> int:
        with self._lock:
            return len(self._waiting)

    def await_unacknowledged(self, count: int) -> None:
        deadline = time.monotonic() + WAIT_S
        while self.unacknowledged() != count:
            assert time.monotonic() < deadline, f"not {count} unacknowledged in time"
            time.sleep(0.01)

    def settle_all(self, error: BaseException | None = None) -> None:
        with self._lock:
            waiting, self._waiting = self._waiting, []
        for delivered in waiting:
            delivered(error)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        ingest_inbox=tmp_path / "inbox",
        ingest_processed_dir=tmp_path / "processed",
        ingest_failed_dir=tmp_path / "failed",
        ingest_settle_s=0.0,
    )


def drop(settings: Settings, name: str, data: bytes = b"A story.\n") -> Path:
    path = settings.ingest_inbox / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


@dataclass
class OnceRun:
    service: IngestService
    all_acknowledged: bool | None = None


@contextmanager
def running_once(settings: Settings, publisher: FakePublisher) -> Iterator[OnceRun]:
    """`run(once=True)` in a thread, which must have ended by itself when the block is left."""
    inbox = Inbox(
        settings.ingest_inbox,
        settings.ingest_processed_dir,
        settings.ingest_failed_dir,
        settings.ingest_ignore_patterns,
    )
    run = OnceRun(IngestService(settings, inbox, publisher, IngestMetrics()))

    def once() -> None:
        run.all_acknowledged = run.service.run(once=True)

    thread = threading.Thread(target=once, daemon=True)
    thread.start()
    yield run
    thread.join(WAIT_S)
    assert not thread.is_alive(), "the run did not end"


def metric(run: OnceRun, name: str, **labels: str) -> float:
    value = run.service.metrics.registry.get_sample_value(f"newswire_ingest_{name}_total", labels)
    return value or 0.0


def test_a_file_leaves_the_inbox_only_after_the_log_acknowledged_it(settings: Settings) -> None:
    dropped = drop(settings, "world/a.txt")
    publisher = FakePublisher()

    with running_once(settings, publisher) as run:
        publisher.await_unacknowledged(1)
        time.sleep(0.2)  # time enough for a wrong implementation to move it
        assert dropped.exists()
        assert not (settings.ingest_processed_dir / "world/a.txt").exists()
        publisher.settle_all()

    assert run.all_acknowledged
    assert not dropped.exists()
    assert (settings.ingest_processed_dir / "world/a.txt").read_bytes() == b"A story.\n"


def test_a_file_the_log_did_not_acknowledge_stays_in_the_inbox_and_the_run_says_so(
    settings: Settings,
) -> None:
    dropped = drop(settings, "a.txt")
    publisher = FakePublisher()

    with running_once(settings, publisher) as run:
        publisher.await_unacknowledged(1)
        publisher.settle_all(TimeoutError("no broker answered"))

    assert run.all_acknowledged is False
    assert dropped.read_bytes() == b"A story.\n"
    assert metric(run, "publish_errors") == 1
    assert metric(run, "files_published") == 0


def test_a_rejected_file_is_dead_lettered_then_moved_to_failed_with_its_reason(
    settings: Settings,
) -> None:
    drop(settings, "empty.txt", b"")
    publisher = FakePublisher()

    with running_once(settings, publisher) as run:
        publisher.await_unacknowledged(1)
        assert not (settings.ingest_failed_dir / "empty.txt").exists()
        publisher.settle_all()

    (letter,) = publisher.published
    assert isinstance(letter, DeadLetter)
    assert (letter.error_type, letter.source) == ("empty", "inbox:empty.txt")
    reason = json.loads((settings.ingest_failed_dir / "empty.txt.reason.json").read_text())
    assert reason == letter.model_dump(mode="json", exclude={"original_base64"})
    assert metric(run, "files_failed", error_type="empty") == 1


def test_an_article_too_large_for_the_log_is_dead_lettered_instead(settings: Settings) -> None:
    drop(settings, "a.txt")
    publisher = FakePublisher()

    with running_once(settings, publisher):
        publisher.await_unacknowledged(1)
        publisher.settle_all(MessageTooLargeError("1,048,576 bytes at most"))
        publisher.await_unacknowledged(1)
        publisher.settle_all()

    article, letter = publisher.published
    assert isinstance(article, RawArticle)
    assert isinstance(letter, DeadLetter)
    assert letter.error_type == "message_too_large"
    assert "1,048,576 bytes at most" in letter.reason
    assert (settings.ingest_failed_dir / "a.txt").exists()


def test_no_more_files_are_in_flight_than_allowed(settings: Settings) -> None:
    settings = settings.model_copy(update={"ingest_max_in_flight_files": 2})
    for number in range(5):
        drop(settings, f"{number}.txt", f"Story {number}\n".encode())
    publisher = FakePublisher()

    with running_once(settings, publisher) as run:
        for expected in (2, 2, 1):
            publisher.await_unacknowledged(expected)
            time.sleep(0.1)  # time enough for a wrong implementation to send more
            assert publisher.unacknowledged() == expected
            publisher.settle_all()

    assert run.all_acknowledged
    assert len(list(settings.ingest_processed_dir.iterdir())) == 5


def test_a_published_file_is_deleted_when_so_configured(settings: Settings) -> None:
    settings = settings.model_copy(update={"ingest_after_publish": "delete"})
    dropped = drop(settings, "a.txt")
    publisher = FakePublisher()

    with running_once(settings, publisher):
        publisher.await_unacknowledged(1)
        publisher.settle_all()

    assert not dropped.exists()
    assert list(settings.ingest_processed_dir.iterdir()) == []


def test_a_file_rewritten_while_its_message_was_in_flight_is_published_again(
    settings: Settings,
) -> None:
    dropped = drop(settings, "a.txt", b"First version.\n")
    publisher = FakePublisher()

    with running_once(settings, publisher):
        publisher.await_unacknowledged(1)
        dropped.write_bytes(b"Second, longer version.\n")
        publisher.settle_all()
        publisher.await_unacknowledged(1)
        publisher.settle_all()

    assert [m.content for m in publisher.published if isinstance(m, RawArticle)] == [
        "First version.\n",
        "Second, longer version.\n",
    ]
    assert (settings.ingest_processed_dir / "a.txt").read_bytes() == b"Second, longer version.\n"


def test_metrics_count_files_seen_published_failed_and_bytes(settings: Settings) -> None:
    drop(settings, "a.txt", b"12345")
    drop(settings, "b.txt", b"1234567")
    drop(settings, "c.bin", b"\x00\x01")
    publisher = FakePublisher()

    with running_once(settings, publisher) as run:
        publisher.await_unacknowledged(3)
        publisher.settle_all()

    assert metric(run, "files_seen") == 3
    assert metric(run, "files_published") == 2
    assert metric(run, "bytes_published") == 12
    assert metric(run, "files_failed", error_type="binary") == 1
