"""Ingest end to end: real files in a real inbox, published to a real Kafka broker."""

import base64
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from kafka.consumer.fetcher import ConsumerRecord

from newswire import __version__
from newswire.adapters.kafka import new_consumer
from newswire.messages import DeadLetter, RawArticle
from newswire.settings import Settings
from newswire_ingest.app import ingest_service
from newswire_ingest.service import IngestService
from newswire_ops.dev_services.server import free_port

pytestmark = pytest.mark.integration

SETTLE_S = 0.4
WAIT_S = 30.0
QUIET_S = 1.0


@pytest.fixture
def settings(
    tmp_path: Path, kafka_bootstrap_servers: str, kafka_topic: Callable[[], str]
) -> Settings:
    return Settings(
        kafka_bootstrap_servers=kafka_bootstrap_servers,
        raw_topic=kafka_topic(),
        dlq_topic=kafka_topic(),
        ingest_inbox=tmp_path / "inbox",
        ingest_processed_dir=tmp_path / "processed",
        ingest_failed_dir=tmp_path / "failed",
        ingest_settle_s=SETTLE_S,
        ingest_rescan_interval_s=1.0,
        ingest_metrics_port=0,
    )


def drop(settings: Settings, name: str | bytes, data: bytes) -> Path:
    path = settings.ingest_inbox / os.fsdecode(name)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def files_under(folder: Path) -> dict[str, bytes]:
    """Every file below `folder` (links too, not followed) by relative path, with its bytes."""
    found = {}
    for parent, _, names in os.walk(folder):
        for name in names:
            path = Path(parent, name)
            relative = path.relative_to(folder).as_posix()
            found[relative] = os.readlink(path).encode() if path.is_symlink() else path.read_bytes()
    return found


def records(settings: Settings, topic: str, at_least: int) -> list[ConsumerRecord]:
    """The topic's messages, once `at_least` have come and no more for a quiet second."""
    consumer = new_consumer(
        settings,
        topic,
        group_id=None,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    found: list[ConsumerRecord] = []
    deadline = time.monotonic() + WAIT_S
    try:
        while True:
            batches = consumer.poll(timeout_ms=int(QUIET_S * 1000))
            arrived = [record for batch in batches.values() for record in batch]
            found.extend(arrived)
            if len(found) >= at_least and not arrived:
                return found
            assert time.monotonic() < deadline, f"{len(found)} messages on {topic}, not {at_least}"
    finally:
        consumer.close()


def articles(settings: Settings, at_least: int) -> list[RawArticle]:
    found = records(settings, settings.raw_topic, at_least)
    for record in found:
        assert record.key == RawArticle.model_validate_json(record.value).id.encode()
    return [RawArticle.model_validate_json(record.value) for record in found]


def dead_letters(settings: Settings, at_least: int) -> dict[bytes, DeadLetter]:
    found = records(settings, settings.dlq_topic, at_least)
    return {record.key: DeadLetter.model_validate_json(record.value) for record in found}


def ingest_once(settings: Settings) -> bool:
    with ingest_service(settings, watch=False) as service:
        return service.run(once=True)


@contextmanager
def running(settings: Settings) -> Iterator[IngestService]:
    with ingest_service(settings, watch=True) as service:
        thread = threading.Thread(target=service.run, daemon=True)
        thread.start()
        try:
            yield service
        finally:
            service.stop()
            thread.join(WAIT_S)


def eventually(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + WAIT_S
    while not condition():
        assert time.monotonic() < deadline, f"no {what} within {WAIT_S} s"
        time.sleep(0.05)


def test_files_present_at_start_in_nested_folders_are_published_and_moved(
    settings: Settings, shared_dir: Path
) -> None:
    bbc = shared_dir / "corpora/bbc"
    dropped = {
        "business/001.txt": (bbc / "business/001.txt").read_bytes(),
        "sport/199.txt": (bbc / "sport/199.txt").read_bytes(),  # the Latin-1 one
        "tech/deep/er/001.txt": (bbc / "tech/001.txt").read_bytes(),
        "a b/ünïcödé “odd” & $x #1.txt": (bbc / "politics/001.txt").read_bytes(),
    }
    for name, data in dropped.items():
        drop(settings, name, data)
    drop(settings, b"caf\xe9.txt", b"A name that is not UTF-8.\n")

    assert ingest_once(settings)

    published = {article.relative_path: article for article in articles(settings, at_least=5)}
    assert sorted(published) == sorted([*dropped, "caf\\xe9.txt"])
    for name, data in dropped.items():
        assert published[name].id == hashlib.sha256(data).hexdigest()
        assert published[name].size_bytes == len(data)
    assert published["sport/199.txt"].encoding == "cp1252"
    assert "a £15.8m signing from Parma" in published["sport/199.txt"].content
    assert published["business/001.txt"].content == dropped["business/001.txt"].decode()
    processed = files_under(settings.ingest_processed_dir)
    assert {name: processed[name] for name in dropped} == dropped
    assert files_under(settings.ingest_inbox) == {}


def test_a_slow_writer_is_read_only_once_the_file_is_complete(settings: Settings) -> None:
    chunks = [f"Paragraph {n} of a long story.\n".encode() * 50 for n in range(8)]
    slow = settings.ingest_inbox / "slow.txt"

    with running(settings):
        with slow.open("wb") as file:
            for chunk in chunks:
                file.write(chunk)
                file.flush()
                time.sleep(SETTLE_S / 3)
        eventually((settings.ingest_processed_dir / "slow.txt").exists, "processed file")

    (article,) = articles(settings, at_least=1)
    assert article.content == b"".join(chunks).decode()


@pytest.mark.parametrize("temporary_name", [".story.txt", "story.txt.part"])
def test_a_file_written_under_a_temporary_name_is_taken_only_once_renamed(
    settings: Settings, temporary_name: str
) -> None:
    temporary = settings.ingest_inbox / temporary_name

    with running(settings):
        with temporary.open("wb") as file:
            file.write(b"The first half, then a pause ")
            file.flush()
            time.sleep(SETTLE_S * 3)  # long enough to look complete, had the name not said
            assert articles(settings, at_least=0) == []
            file.write(b"and the second half.\n")
        temporary.rename(settings.ingest_inbox / "story.txt")
        eventually((settings.ingest_processed_dir / "story.txt").exists, "processed file")

    (article,) = articles(settings, at_least=1)
    assert (article.relative_path, article.content) == (
        "story.txt",
        "The first half, then a pause and the second half.\n",
    )


def test_files_in_folders_made_after_the_start_are_picked_up(
    settings: Settings, tmp_path: Path
) -> None:
    with running(settings):
        drop(settings, "made/later/one.txt", b"One.\n")
        batch = tmp_path / "batch"
        for name in ["two.txt", "deeper/three.txt"]:
            (batch / name).parent.mkdir(parents=True, exist_ok=True)
            (batch / name).write_bytes(f"{name}\n".encode())
        batch.rename(settings.ingest_inbox / "batch")  # a whole folder moved in at once
        eventually(lambda: len(files_under(settings.ingest_processed_dir)) == 3, "3 files")

    assert sorted(article.relative_path for article in articles(settings, at_least=3)) == [
        "batch/deeper/three.txt",
        "batch/two.txt",
        "made/later/one.txt",
    ]


def test_the_same_content_dropped_twice_is_one_article_id_and_no_file_is_overwritten(
    settings: Settings,
) -> None:
    story = b"The same story, word for word.\n"
    drop(settings, "a.txt", story)
    drop(settings, "elsewhere/a.txt", story)
    assert ingest_once(settings)
    drop(settings, "a.txt", story)
    assert ingest_once(settings)

    published = articles(settings, at_least=3)

    assert {article.id for article in published} == {hashlib.sha256(story).hexdigest()}
    assert len(published) == 3
    assert files_under(settings.ingest_processed_dir) == {
        "a.txt": story,
        "a (2).txt": story,
        "elsewhere/a.txt": story,
    }


def test_a_file_over_the_size_limit_goes_to_failed_with_its_reason_and_a_dead_letter(
    settings: Settings,
) -> None:
    settings = settings.model_copy(update={"ingest_max_file_bytes": 1000})
    drop(settings, "big.txt", b"x" * 1001)
    drop(settings, "small.txt", b"x" * 1000)

    assert ingest_once(settings)

    (article,) = articles(settings, at_least=1)
    assert article.relative_path == "small.txt"
    letter = dead_letters(settings, at_least=1)[b"big.txt"]
    assert (letter.error_type, letter.source, letter.original_base64) == (
        "too_large",
        "inbox:big.txt",
        None,
    )
    assert "1,001 bytes, over the limit of 1,000" in letter.reason
    assert files_under(settings.ingest_failed_dir).keys() == {"big.txt", "big.txt.reason.json"}
    reason = json.loads((settings.ingest_failed_dir / "big.txt.reason.json").read_text())
    assert reason["error_type"] == "too_large"
    assert reason["service_version"] == __version__
    assert reason["failed_at"] == letter.failed_at.isoformat().replace("+00:00", "Z")


def test_binary_and_empty_files_go_to_failed_with_the_original_bytes_dead_lettered(
    settings: Settings,
) -> None:
    picture = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10"
    drop(settings, "photos/picture.txt", picture)
    drop(settings, "empty.txt", b"")

    assert ingest_once(settings)

    letters = dead_letters(settings, at_least=2)
    assert letters[b"photos/picture.txt"].error_type == "unsupported_format"
    assert base64.b64decode(letters[b"photos/picture.txt"].original_base64 or "") == picture
    assert letters[b"empty.txt"].error_type == "empty"
    assert articles(settings, at_least=0) == []
    failed = files_under(settings.ingest_failed_dir)
    assert (failed["photos/picture.txt"], failed["empty.txt"]) == (picture, b"")
    assert {"photos/picture.txt.reason.json", "empty.txt.reason.json"} < failed.keys()


def test_symbolic_links_are_never_followed_out_of_the_inbox(
    settings: Settings, tmp_path: Path
) -> None:
    secret = tmp_path / "outside/secret.txt"
    secret.parent.mkdir()
    secret.write_bytes(b"Not for the pipeline.\n")
    settings.ingest_inbox.mkdir()
    (settings.ingest_inbox / "story.txt").symlink_to(secret)
    (settings.ingest_inbox / "folder").symlink_to(secret.parent)

    assert ingest_once(settings)

    assert articles(settings, at_least=0) == []
    letters = dead_letters(settings, at_least=2)
    assert {key: letter.error_type for key, letter in letters.items()} == {
        b"story.txt": "not_a_regular_file",
        b"folder": "not_a_regular_file",
    }
    assert os.readlink(settings.ingest_failed_dir / "story.txt") == str(secret)
    assert os.readlink(settings.ingest_failed_dir / "folder") == str(secret.parent)
    assert secret.read_bytes() == b"Not for the pipeline.\n"


def service_environment(settings: Settings, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "KAFKA_BOOTSTRAP_SERVERS": settings.kafka_bootstrap_servers,
        "NEWSWIRE_RAW_TOPIC": settings.raw_topic,
        "NEWSWIRE_DLQ_TOPIC": settings.dlq_topic,
        "NEWSWIRE_INGEST_INBOX": str(settings.ingest_inbox),
        "NEWSWIRE_INGEST_PROCESSED_DIR": str(settings.ingest_processed_dir),
        "NEWSWIRE_INGEST_FAILED_DIR": str(settings.ingest_failed_dir),
        "NEWSWIRE_INGEST_SETTLE_S": "0",
        "NEWSWIRE_INGEST_METRICS_PORT": "0",
        **extra,
    }


def ingest_once_in_a_process(settings: Settings) -> int:
    """`python -m newswire_ingest --once`, as a person runs it; its exit status."""
    once = subprocess.run(
        [sys.executable, "-m", "newswire_ingest", "--once"],
        env=service_environment(settings),
        timeout=WAIT_S * 3,  # an unreachable Kafka takes 30 s to give up on
        check=False,
    )
    return once.returncode


def scraped(port: int, metric: str) -> float | None:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as page:
            lines = page.read().decode().splitlines()
    except OSError:
        return None  # not serving yet
    values = [float(line.split()[1]) for line in lines if line.startswith(f"{metric} ")]
    return values[0] if values else None


def test_a_service_killed_while_files_await_their_ack_loses_nothing_after_a_restart(
    settings: Settings, shared_dir: Path
) -> None:
    shutil.copytree(shared_dir / "corpora/bbc", settings.ingest_inbox)
    dropped = files_under(settings.ingest_inbox)
    port = free_port()
    service = subprocess.Popen(
        [sys.executable, "-m", "newswire_ingest"],
        env=service_environment(settings, NEWSWIRE_INGEST_METRICS_PORT=str(port)),
    )
    try:
        # Kill -9 while some files are read and sent but not acknowledged yet.
        def midway() -> bool:
            published = scraped(port, "newswire_ingest_files_published_total") or 0
            read = scraped(port, "newswire_ingest_files_seen_total") or 0
            return 300 <= published < read

        eventually(midway, "files read and not yet acknowledged")
    finally:
        service.send_signal(signal.SIGKILL)
        service.wait(WAIT_S)
    left = files_under(settings.ingest_inbox)
    assert 0 < len(left) < len(dropped)

    assert ingest_once_in_a_process(settings) == 0
    published = articles(settings, at_least=len(dropped))
    assert {article.id for article in published} == {
        hashlib.sha256(data).hexdigest() for data in dropped.values()
    }
    assert files_under(settings.ingest_processed_dir) == dropped
    assert files_under(settings.ingest_inbox) == {}


def test_sigterm_stops_the_service_cleanly_after_a_logged_line_per_file(
    settings: Settings,
) -> None:
    service = subprocess.Popen(
        [sys.executable, "-m", "newswire_ingest"],
        env=service_environment(settings),
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        drop(settings, "a.txt", b"A story.\n")
        eventually((settings.ingest_processed_dir / "a.txt").exists, "processed file")
    finally:
        service.send_signal(signal.SIGTERM)
        _, log = service.communicate(timeout=WAIT_S)

    assert service.returncode == 0
    assert "published a.txt as " in log


def test_ingest_once_exits_non_zero_and_keeps_the_files_when_kafka_is_unreachable(
    settings: Settings,
) -> None:
    drop(settings, "a.txt", b"A story.\n")
    nowhere = settings.model_copy(update={"kafka_bootstrap_servers": f"127.0.0.1:{free_port()}"})

    assert ingest_once_in_a_process(nowhere) == 1
    assert files_under(settings.ingest_inbox) == {"a.txt": b"A story.\n"}


def test_the_whole_bbc_corpus_is_published_and_moved_with_nothing_left_behind(
    settings: Settings, shared_dir: Path
) -> None:
    shutil.copytree(shared_dir / "corpora/bbc", settings.ingest_inbox)
    dropped = files_under(settings.ingest_inbox)

    assert ingest_once(settings)

    published = articles(settings, at_least=len(dropped))
    assert sorted(article.relative_path for article in published) == sorted(dropped)
    assert files_under(settings.ingest_processed_dir) == dropped
    assert files_under(settings.ingest_inbox) == {}
