"""What only the embedded log has to prove: durability across SIGKILL, several processes writing
one file, and a silent member losing its partitions. Real processes on a real SQLite file."""

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from newswire.embedded.event_log import SqliteEventLog
from newswire.event_log import CommitRefusedError, Record

pytestmark = pytest.mark.integration

TOPIC = "articles.raw"

PRODUCER = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from newswire.embedded.event_log import SqliteEventLog

    path, name, count = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
    producer = SqliteEventLog(path).producer(client_id=name)
    for i in range(count):
        key = f"{name}-{i}".encode()
        producer.send("articles.raw", key, key).result()
        print(key.decode(), flush=True)  # printed only once acknowledged
    producer.close()
    """
)


def _producer(path: Path, name: str, count: int) -> "subprocess.Popen[str]":
    return subprocess.Popen(
        [sys.executable, "-c", PRODUCER, str(path), name, str(count)],
        stdout=subprocess.PIPE,
        text=True,
    )


def _everything(log: SqliteEventLog) -> list[tuple[int, int, bytes | None]]:
    consumer = log.consumer(f"check-{time.time_ns()}", [TOPIC], client_id="check")
    try:
        records = []
        while batch := consumer.poll(2.0, 1000):
            records += batch
    finally:
        consumer.close()
    return [(r.partition, r.offset, r.key) for r in records]


def test_every_acknowledged_message_survives_sigkill(tmp_path: Path) -> None:
    path = tmp_path / "log.sqlite3"
    SqliteEventLog(path).ensure_topics([TOPIC])
    producer = _producer(path, "killed", 1_000_000)
    assert producer.stdout is not None
    acknowledged = [producer.stdout.readline().strip() for _ in range(300)]
    os.kill(producer.pid, signal.SIGKILL)
    producer.wait()

    stored = {key.decode() for _, _, key in _everything(SqliteEventLog(path)) if key}
    assert set(acknowledged) <= stored


def test_processes_appending_at_once_get_dense_offsets_and_lose_nothing(tmp_path: Path) -> None:
    path = tmp_path / "log.sqlite3"
    SqliteEventLog(path).ensure_topics([TOPIC])
    writers = [_producer(path, f"writer{n}", 500) for n in range(3)]
    for writer in writers:
        writer.communicate(timeout=120)
        assert writer.returncode == 0

    records = _everything(SqliteEventLog(path))
    assert len({key for _, _, key in records}) == len(records) == 1500
    for partition in {p for p, _, _ in records}:
        offsets = sorted(o for p, o, _ in records if p == partition)
        assert offsets == list(range(len(offsets)))


def test_a_member_that_stops_polling_loses_its_partitions_and_cannot_commit_them(
    tmp_path: Path,
) -> None:
    log = SqliteEventLog(tmp_path / "log.sqlite3", session_timeout_s=2.0, max_poll_interval_s=1.0)
    log.ensure_topics([TOPIC])
    silent = log.consumer("group", [TOPIC], client_id="silent")
    silent.poll(0.1, 1)
    assert len(silent.assignment()) == 3
    producer = log.producer(client_id="test")
    for i in range(30):
        producer.send(TOPIC, f"k{i}".encode(), b"v")
    producer.flush()
    producer.close()

    # Past the max poll interval its heartbeats stop; past the session timeout after the last
    # one, `silent` no longer counts as alive.
    time.sleep(3.5)
    survivor = log.consumer("group", [TOPIC], client_id="survivor")
    taken: list[Record] = []
    deadline = time.monotonic() + 10
    while len(taken) < 30 and time.monotonic() < deadline:
        taken += survivor.poll(0.2, 100)
    assert len(taken) == 30
    assert len(survivor.assignment()) == 3
    with pytest.raises(CommitRefusedError):
        silent.commit({(TOPIC, 0): 1})
    survivor.commit({(TOPIC, r.partition): r.offset + 1 for r in taken})
    silent.close()
    survivor.close()


def test_a_member_busy_longer_than_the_session_timeout_keeps_its_partitions(
    tmp_path: Path,
) -> None:
    log = SqliteEventLog(tmp_path / "log.sqlite3", session_timeout_s=1.0)
    log.ensure_topics([TOPIC])
    busy = log.consumer("group", [TOPIC], client_id="busy")
    busy.poll(0.1, 1)
    assert len(busy.assignment()) == 3
    newcomer = log.consumer("group", [TOPIC], client_id="newcomer")
    deadline = time.monotonic() + 3.5  # three session timeouts without a poll from `busy`
    while time.monotonic() < deadline:
        newcomer.poll(0.2, 10)
        assert newcomer.assignment() == set(), "took partitions from a live, busy member"
    busy.commit({(TOPIC, 0): 0})  # still its own
    busy.poll(0.1, 1)  # back from its batch: it gives up the newcomer's share
    deadline = time.monotonic() + 5
    while not newcomer.assignment() and time.monotonic() < deadline:
        newcomer.poll(0.2, 10)
        busy.poll(0.1, 1)
    assert len(newcomer.assignment()) + len(busy.assignment()) == 3
    assert newcomer.assignment()
    assert not newcomer.assignment() & busy.assignment()
    busy.close()
    newcomer.close()


def test_the_partitions_of_a_member_whose_process_died_go_to_the_others(tmp_path: Path) -> None:
    path = tmp_path / "log.sqlite3"
    SqliteEventLog(path).ensure_topics([TOPIC])
    member = textwrap.dedent(
        """
        import os, sys
        from pathlib import Path
        from newswire.embedded.event_log import SqliteEventLog

        consumer = SqliteEventLog(Path(sys.argv[1]), session_timeout_s=1.0).consumer(
            "group", [sys.argv[2]], client_id="doomed"
        )
        consumer.poll(0.1, 1)
        print(len(consumer.assignment()), flush=True)
        os.kill(os.getpid(), 9)  # its heartbeat thread dies with it
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", member, str(path), TOPIC],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.stdout.strip() == "3"
    survivor = SqliteEventLog(path, session_timeout_s=1.0).consumer(
        "group", [TOPIC], client_id="survivor"
    )
    deadline = time.monotonic() + 10
    while len(survivor.assignment()) < 3 and time.monotonic() < deadline:
        survivor.poll(0.2, 10)
    assert len(survivor.assignment()) == 3
    survivor.close()


def test_a_log_made_before_tombstones_keeps_its_records_and_takes_tombstones(
    tmp_path: Path,
) -> None:
    path = tmp_path / "event-log.sqlite3"
    SqliteEventLog(path, partitions=1).ensure_topics(["enriched"])
    old = sqlite3.connect(path)  # what earlier versions made: a value was required
    old.executescript(
        "DROP TABLE records; CREATE TABLE records (topic TEXT NOT NULL, partition INTEGER NOT "
        "NULL, offset INTEGER NOT NULL, key BLOB, value BLOB NOT NULL, appended_at REAL NOT "
        "NULL, PRIMARY KEY (topic, partition, offset)) WITHOUT ROWID; CREATE INDEX "
        "records_by_key ON records (topic, key); INSERT INTO records VALUES "
        "('enriched', 0, 0, X'7331', X'7b7d', 0.0);"
    )
    old.close()

    log = SqliteEventLog(path, partitions=1)
    producer = log.producer(client_id="test")
    producer.send("enriched", b"s1", None).result(timeout=10)
    producer.close()
    consumer = log.consumer("readers", ["enriched"], client_id="test")
    records: list[Record] = []
    deadline = time.monotonic() + 10
    while len(records) < 2 and time.monotonic() < deadline:
        records += consumer.poll(1.0, 10)
    consumer.close()
    assert [(r.key, r.value) for r in records] == [(b"s1", b"{}"), (b"s1", None)]
