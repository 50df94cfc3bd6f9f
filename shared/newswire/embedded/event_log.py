"""The event log in one SQLite file: topics, partitions, offsets and consumer groups, durably.

It implements the same port as Kafka (`newswire.event_log`) with the same promises, for one
machine: a message is acknowledged once its transaction is committed (WAL, `synchronous=FULL`);
offsets are dense per partition; a group's committed offsets (and the note kept with each, as
Kafka's commit metadata) survive restarts; a member loses its partitions to the others when its
process stops (a thread renews its heartbeat, as Kafka's consumer's does, so a member busy with a
slow batch keeps them) or when it has not polled for `max_poll_interval_s` (Kafka's
max.poll.interval.ms), and a commit for a partition it no longer owns is refused. Several
processes share the file (ingest, enrich and the indexer are separate processes), so every
decision is taken inside a transaction.

Partitions: a key always lands in the same partition (crc32 of the key, stable across processes
and versions, unlike Python's `hash`); messages without a key go round-robin. Sending to a topic
nobody created creates it with the default partition count, as Kafka's auto-create does.

Nothing is ever deleted: the log is the history to rebuild any index from (`newswire reindex
--from-embedded`, and re-enrichment from `articles.raw`). There is no retention or compaction: a
tombstone (a keyed message without a value) is kept and delivered like any message, so readers
see what a compacted Kafka topic shows them before compaction runs.
"""

import contextlib
import itertools
import queue
import sqlite3
import threading
import time
import uuid
import zlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path

from newswire.embedded.sqlite import connect
from newswire.event_log import (
    CommitRefusedError,
    Committed,
    EventLogError,
    MessageTooLargeError,
    PartitionKey,
)

SCHEMA = """
CREATE TABLE IF NOT EXISTS topics (
    name TEXT PRIMARY KEY,
    partitions INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS records (
    topic TEXT NOT NULL,
    partition INTEGER NOT NULL,
    offset INTEGER NOT NULL,
    key BLOB,
    value BLOB,
    appended_at REAL NOT NULL,
    PRIMARY KEY (topic, partition, offset)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS records_by_key ON records (topic, key);
CREATE TABLE IF NOT EXISTS group_offsets (
    group_id TEXT NOT NULL,
    topic TEXT NOT NULL,
    partition INTEGER NOT NULL,
    next_offset INTEGER NOT NULL,
    note TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (group_id, topic, partition)
);
CREATE TABLE IF NOT EXISTS group_members (
    group_id TEXT NOT NULL,
    member_id TEXT NOT NULL,
    heartbeat_at REAL NOT NULL,
    PRIMARY KEY (group_id, member_id)
);
CREATE TABLE IF NOT EXISTS partition_owners (
    group_id TEXT NOT NULL,
    topic TEXT NOT NULL,
    partition INTEGER NOT NULL,
    member_id TEXT NOT NULL,
    PRIMARY KEY (group_id, topic, partition)
);
"""

# A producer commits what was queued meanwhile in one transaction (one fsync), up to this much.
MAX_BATCH_MESSAGES = 1000
MAX_BATCH_BYTES = 16 * 1024 * 1024
# How long the sender waits after a batch's first message for others to join it, as the Kafka
# producer's `linger_ms`: a producer sending one message at a time (ingest, file by file) then
# commits tens in one fsync, not each alone. The sender sleeps rather than waits on the queue, so
# a send meanwhile wakes no thread.
LINGER_S = 0.005
# How often an idle consumer looks for new messages: other processes write, so it must look.
FETCH_INTERVAL_S = 0.02
# How often a member renews its heartbeat and looks at who else is in its group.
HEARTBEAT_INTERVAL_S = 1.0
DEFAULT_SESSION_TIMEOUT_S = 10.0
DEFAULT_MAX_POLL_INTERVAL_S = 300.0
_COMMIT = (
    "INSERT OR REPLACE INTO group_offsets (group_id, topic, partition, next_offset, note) "
    "VALUES (?, ?, ?, ?, ?)"
)


@dataclass(frozen=True)
class LogRecord:
    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    timestamp: int = 0  # when it was appended, ms since the epoch (read by `TopicReader`s)


@contextlib.contextmanager
def _write_transaction(connection: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """BEGIN IMMEDIATE takes the write lock up front, so reads inside see what the write
    will be based on (no other process appends in between)."""
    connection.execute("BEGIN IMMEDIATE")
    try:
        yield connection
    except BaseException:
        connection.execute("ROLLBACK")
        raise
    connection.execute("COMMIT")


def partition_for(key: bytes, partitions: int) -> int:
    return zlib.crc32(key) % partitions


def _end_offset(connection: sqlite3.Connection, topic: str, partition: int) -> int:
    row = connection.execute(
        "SELECT max(offset) FROM records WHERE topic = ? AND partition = ?", (topic, partition)
    ).fetchone()
    return 0 if row[0] is None else int(row[0]) + 1


def _live_members(
    connection: sqlite3.Connection, group_id: str, session_timeout_s: float
) -> list[str]:
    rows = connection.execute(
        "SELECT member_id FROM group_members WHERE group_id = ? AND heartbeat_at > ? "
        "ORDER BY member_id",
        (group_id, time.time() - session_timeout_s),
    ).fetchall()
    return [str(row[0]) for row in rows]


def _topic_partitions(connection: sqlite3.Connection, topics: Sequence[str]) -> list[PartitionKey]:
    placeholders = ",".join("?" * len(topics))
    rows = connection.execute(
        f"SELECT name, partitions FROM topics WHERE name IN ({placeholders})", tuple(topics)
    ).fetchall()
    return sorted((str(name), p) for name, count in rows for p in range(int(count)))


def _assignment(
    connection: sqlite3.Connection,
    group_id: str,
    topics: Sequence[str],
    member_id: str,
    session_timeout_s: float,
) -> set[PartitionKey]:
    """Round-robin of the sorted partitions over the sorted live members: every member computes
    the same answer from the same rows, so no coordinator is needed."""
    members = _live_members(connection, group_id, session_timeout_s)
    if member_id not in members:
        return set()
    rank = members.index(member_id)
    partitions = _topic_partitions(connection, topics)
    return {p for i, p in enumerate(partitions) if i % len(members) == rank}


def _keep_offset_notes(connection: sqlite3.Connection) -> None:
    """Logs made before offsets had notes: add the column (inside the caller's write
    transaction; once per file)."""
    columns = connection.execute("PRAGMA table_info(group_offsets)").fetchall()
    if not any(name == "note" for _, name, *_ in columns):
        connection.execute("ALTER TABLE group_offsets ADD COLUMN note TEXT NOT NULL DEFAULT ''")


def _allow_tombstones(connection: sqlite3.Connection) -> None:
    """Logs made before tombstones had `value NOT NULL`: copy their records into the table as
    it is now (inside the caller's write transaction; once per file)."""
    columns = connection.execute("PRAGMA table_info(records)").fetchall()
    if not any(name == "value" and not_null for _, name, _, not_null, _, _ in columns):
        return
    connection.execute("ALTER TABLE records RENAME TO records_before_tombstones")
    connection.execute("DROP INDEX IF EXISTS records_by_key")
    for statement in SCHEMA.split(";"):
        if "records" in statement and statement.strip():
            connection.execute(statement)
    connection.execute("INSERT INTO records SELECT * FROM records_before_tombstones")
    connection.execute("DROP TABLE records_before_tombstones")


@dataclass
class _Pending:
    topic: str
    key: bytes | None
    value: bytes | None  # None: a tombstone
    delivery: "Future[None]"

    @property
    def size(self) -> int:
        return len(self.value or b"") + len(self.key or b"")


class SqliteEventProducer:
    """Queues sends; a sender thread commits them in batches and completes their futures."""

    def __init__(self, log: "SqliteEventLog") -> None:
        self._log = log
        self._queue: queue.SimpleQueue[_Pending | None] = queue.SimpleQueue()
        self._unfinished = 0
        self._finished = threading.Condition()
        self._round_robin = itertools.count()
        self._closed = False
        self._sender = threading.Thread(target=self._send_batches, name="sqlite-log-producer")
        self._sender.daemon = True
        self._sender.start()

    def send(self, topic: str, key: bytes | None, value: bytes | None) -> "Future[None]":
        delivery: Future[None] = Future()
        pending = _Pending(topic, key, value, delivery)
        size = pending.size
        if size > self._log.max_message_bytes:
            delivery.set_exception(
                MessageTooLargeError(
                    f"{size} bytes is over the log's limit of {self._log.max_message_bytes}"
                )
            )
            return delivery
        if self._closed:
            delivery.set_exception(EventLogError("the producer is closed"))
            return delivery
        with self._finished:
            self._unfinished += 1
        self._queue.put(pending)
        return delivery

    def flush(self) -> None:
        with self._finished:
            self._finished.wait_for(lambda: self._unfinished == 0)

    def close(self, timeout_s: float | None = None) -> None:
        if self._closed:
            return
        self._closed = True
        self._queue.put(None)
        self._sender.join(timeout_s)

    def _send_batches(self) -> None:
        connection = connect(self._log.path)
        try:
            while (batch := self._next_batch()) is not None:
                if batch:
                    self._append(connection, batch)
        finally:
            connection.close()

    def _next_batch(self) -> list[_Pending] | None:
        """What was queued, at least one send; None once closed and drained."""
        first = self._queue.get()
        if first is None:
            return None
        batch, size = [first], first.size
        time.sleep(LINGER_S)
        while len(batch) < MAX_BATCH_MESSAGES and size < MAX_BATCH_BYTES:
            try:
                pending = self._queue.get_nowait()
            except queue.Empty:
                break
            if pending is None:
                self._queue.put(None)  # finish this batch first, then stop
                break
            batch.append(pending)
            size += pending.size
        return batch

    def _append(self, connection: sqlite3.Connection, batch: list[_Pending]) -> None:
        try:
            with _write_transaction(connection):
                ends: dict[PartitionKey, int] = {}
                now = time.time()
                for pending in batch:
                    partitions = self._log.partitions_of(connection, pending.topic)
                    if pending.key is not None:
                        partition = partition_for(pending.key, partitions)
                    else:
                        partition = next(self._round_robin) % partitions
                    where = (pending.topic, partition)
                    if where not in ends:
                        ends[where] = _end_offset(connection, pending.topic, partition)
                    connection.execute(
                        "INSERT INTO records VALUES (?, ?, ?, ?, ?, ?)",
                        (pending.topic, partition, ends[where], pending.key, pending.value, now),
                    )
                    ends[where] += 1
        except sqlite3.Error as error:
            failure = EventLogError(f"embedded log {self._log.path}: {error}")
            for pending in batch:
                pending.delivery.set_exception(failure)
        else:
            for pending in batch:
                pending.delivery.set_result(None)
        finally:
            with self._finished:
                self._unfinished -= len(batch)
                self._finished.notify_all()


class SqliteEventConsumer:
    """A member of a consumer group; used from one thread at a time, like Kafka's consumer
    (its heartbeat thread aside)."""

    def __init__(
        self,
        log: "SqliteEventLog",
        group_id: str,
        topics: Sequence[str],
        client_id: str,
        session_timeout_s: float,
        *,
        max_poll_interval_s: float = DEFAULT_MAX_POLL_INTERVAL_S,
    ) -> None:
        self._log = log
        self._group_id = group_id
        self._topics = list(topics)
        self._member_id = f"{client_id}-{uuid.uuid4().hex[:12]}"
        self._session_timeout_s = session_timeout_s
        self._max_poll_interval_s = max_poll_interval_s
        self._connection = connect(log.path)
        self._positions: dict[PartitionKey, int] = {}
        self._paused = False
        self._next_heartbeat = 0.0
        self._last_poll = time.monotonic()
        self._closing = threading.Event()
        self._heartbeats = threading.Thread(
            target=self._beat, name=f"sqlite-log-heartbeat-{group_id}", daemon=True
        )
        self._heartbeats.start()

    @property
    def member_id(self) -> str:
        return self._member_id

    def assignment(self) -> set[PartitionKey]:
        return set(self._positions)

    def poll(self, timeout_s: float, max_records: int) -> list[LogRecord]:
        deadline = time.monotonic() + timeout_s
        while True:
            self._last_poll = time.monotonic()
            self._keep_membership()
            records = [] if self._paused else self._fetch(max_records)
            remaining = deadline - time.monotonic()
            if records or remaining <= 0:
                return records
            time.sleep(min(FETCH_INTERVAL_S, remaining))

    def commit(
        self,
        next_offsets: Mapping[PartitionKey, int],
        notes: Mapping[PartitionKey, str] | None = None,
    ) -> None:
        notes = notes or {}
        with _write_transaction(self._connection) as connection:
            owned = self._owned(connection)
            lost = sorted(set(next_offsets) - owned)
            if lost:
                raise CommitRefusedError(
                    f"{self._member_id} no longer owns {lost} in group {self._group_id}"
                )
            connection.executemany(
                _COMMIT,
                [
                    (self._group_id, t, p, offset, notes.get((t, p), ""))
                    for (t, p), offset in next_offsets.items()
                ],
            )

    def committed_notes(self, partitions: Iterable[PartitionKey]) -> dict[PartitionKey, Committed]:
        found = {}
        for topic, partition in partitions:
            row = self._connection.execute(
                "SELECT next_offset, note FROM group_offsets "
                "WHERE group_id = ? AND topic = ? AND partition = ?",
                (self._group_id, topic, partition),
            ).fetchone()
            if row is not None:
                found[(topic, partition)] = Committed(int(row[0]), str(row[1]))
        return found

    def keep_alive(self) -> None:
        self._last_poll = time.monotonic()
        self._keep_membership()

    def pause_all(self) -> None:
        self._paused = True

    def resume_all(self) -> None:
        self._paused = False

    def seek(self, topic: str, partition: int, offset: int) -> None:
        self._positions[(topic, partition)] = offset

    def lag(self) -> int:
        return sum(
            max(0, _end_offset(self._connection, topic, partition) - position)
            for (topic, partition), position in self._positions.items()
        )

    def close(self) -> None:
        self._closing.set()
        self._heartbeats.join()
        with contextlib.suppress(sqlite3.Error), _write_transaction(self._connection) as connection:
            for table in ("group_members", "partition_owners"):
                connection.execute(
                    f"DELETE FROM {table} WHERE group_id = ? AND member_id = ?",
                    (self._group_id, self._member_id),
                )
        self._connection.close()

    def _beat(self) -> None:
        """Renew this member's heartbeat every second, as long as it polls within the max poll
        interval: a process that is alive keeps its partitions through a slow batch, one that
        died (or stopped polling) loses them after the session timeout."""
        connection = connect(self._log.path)
        try:
            while not self._closing.wait(HEARTBEAT_INTERVAL_S):
                if time.monotonic() - self._last_poll > self._max_poll_interval_s:
                    continue
                with contextlib.suppress(sqlite3.Error), _write_transaction(connection):
                    connection.execute(
                        "UPDATE group_members SET heartbeat_at = ? "
                        "WHERE group_id = ? AND member_id = ?",
                        (time.time(), self._group_id, self._member_id),
                    )
        finally:
            connection.close()

    def _keep_membership(self) -> None:
        """Renew the heartbeat and follow the group's assignment, once a second.

        A partition changes hands in two steps, so two members never read it at once: its old
        owner releases it at its next heartbeat, and only then may the new one claim it (or at
        once if the old owner is dead: no heartbeat for the session timeout).
        """
        if time.monotonic() < self._next_heartbeat:
            return
        self._next_heartbeat = time.monotonic() + HEARTBEAT_INTERVAL_S
        with _write_transaction(self._connection) as connection:
            connection.execute(
                "INSERT OR REPLACE INTO group_members VALUES (?, ?, ?)",
                (self._group_id, self._member_id, time.time()),
            )
            assigned = _assignment(
                connection, self._group_id, self._topics, self._member_id, self._session_timeout_s
            )
            live = set(_live_members(connection, self._group_id, self._session_timeout_s))
            for topic, partition in self._owned(connection) - assigned:
                connection.execute(
                    "DELETE FROM partition_owners WHERE group_id = ? AND topic = ? "
                    "AND partition = ? AND member_id = ?",
                    (self._group_id, topic, partition, self._member_id),
                )
            for topic, partition in assigned:
                row = connection.execute(
                    "SELECT member_id FROM partition_owners "
                    "WHERE group_id = ? AND topic = ? AND partition = ?",
                    (self._group_id, topic, partition),
                ).fetchone()
                if row is None or row[0] not in live:
                    connection.execute(
                        "INSERT OR REPLACE INTO partition_owners VALUES (?, ?, ?, ?)",
                        (self._group_id, topic, partition, self._member_id),
                    )
            owned = self._owned(connection)
        for lost in set(self._positions) - owned:
            del self._positions[lost]
        for topic, partition in owned - set(self._positions):
            committed = self._log.committed(self._group_id, topic, partition)
            self._positions[(topic, partition)] = committed or 0

    def _owned(self, connection: sqlite3.Connection) -> set[PartitionKey]:
        rows = connection.execute(
            "SELECT topic, partition FROM partition_owners WHERE group_id = ? AND member_id = ?",
            (self._group_id, self._member_id),
        ).fetchall()
        return {(str(topic), int(partition)) for topic, partition in rows}

    def _fetch(self, max_records: int) -> list[LogRecord]:
        records: list[LogRecord] = []
        for (topic, partition), position in sorted(self._positions.items()):
            if len(records) >= max_records:
                break
            rows = self._connection.execute(
                "SELECT offset, key, value FROM records WHERE topic = ? AND partition = ? "
                "AND offset >= ? ORDER BY offset LIMIT ?",
                (topic, partition, position, max_records - len(records)),
            ).fetchall()
            for offset, key, value in rows:
                records.append(LogRecord(topic, partition, int(offset), key, value))
            if rows:
                self._positions[(topic, partition)] = int(rows[-1][0]) + 1
        return records


class SqliteEventLog:
    def __init__(
        self,
        path: Path,
        partitions: int = 3,
        max_message_bytes: int = 16 * 1024 * 1024,
        session_timeout_s: float = DEFAULT_SESSION_TIMEOUT_S,
        max_poll_interval_s: float = DEFAULT_MAX_POLL_INTERVAL_S,
    ) -> None:
        self.path = path
        self.default_partitions = partitions
        self.max_message_bytes = max_message_bytes
        self.session_timeout_s = session_timeout_s
        self.max_poll_interval_s = max_poll_interval_s
        self._partition_counts: dict[str, int] = {}
        try:
            connection = connect(path)
            try:
                with _write_transaction(connection):
                    for statement in SCHEMA.split(";"):
                        if statement.strip():
                            connection.execute(statement)
                    _allow_tombstones(connection)
                    _keep_offset_notes(connection)
            finally:
                connection.close()
        except sqlite3.Error as error:
            raise EventLogError(f"embedded log {path}: {error}") from error

    def describe(self) -> str:
        return f"embedded log {self.path}"

    def ensure_topics(self, names: Iterable[str]) -> None:
        connection = connect(self.path)
        try:
            with _write_transaction(connection):
                connection.executemany(
                    "INSERT OR IGNORE INTO topics VALUES (?, ?)",
                    [(name, self.default_partitions) for name in names],
                )
        finally:
            connection.close()

    def producer(self, client_id: str) -> SqliteEventProducer:
        return SqliteEventProducer(self)

    def consumer(self, group_id: str, topics: Sequence[str], client_id: str) -> SqliteEventConsumer:
        return SqliteEventConsumer(
            self,
            group_id,
            topics,
            client_id,
            self.session_timeout_s,
            max_poll_interval_s=self.max_poll_interval_s,
        )

    def find(self, topic: str, key: bytes) -> LogRecord | None:
        connection = connect(self.path)
        try:
            row = connection.execute(
                "SELECT partition, offset, value FROM records WHERE topic = ? AND key = ? "
                "ORDER BY appended_at DESC, offset DESC LIMIT 1",
                (topic, key),
            ).fetchone()
        finally:
            connection.close()
        return None if row is None else LogRecord(topic, int(row[0]), int(row[1]), key, row[2])

    def committed(self, group_id: str, topic: str, partition: int) -> int | None:
        connection = connect(self.path)
        try:
            return self.committed_on(connection, group_id, topic, partition)
        finally:
            connection.close()

    def reader(self, topic: str, group_id: str | None, client_id: str) -> "SqliteTopicReader":
        return SqliteTopicReader(self, topic, group_id)

    def committed_on(
        self, connection: sqlite3.Connection, group_id: str, topic: str, partition: int
    ) -> int | None:
        row = connection.execute(
            "SELECT next_offset FROM group_offsets "
            "WHERE group_id = ? AND topic = ? AND partition = ?",
            (group_id, topic, partition),
        ).fetchone()
        return None if row is None else int(row[0])

    def partitions_of(self, connection: sqlite3.Connection, topic: str) -> int:
        """The topic's partition count, creating the topic on first use (inside the caller's
        write transaction)."""
        if topic not in self._partition_counts:
            row = connection.execute(
                "SELECT partitions FROM topics WHERE name = ?", (topic,)
            ).fetchone()
            if row is None:
                connection.execute(
                    "INSERT INTO topics VALUES (?, ?)", (topic, self.default_partitions)
                )
                self._partition_counts[topic] = self.default_partitions
            else:
                self._partition_counts[topic] = int(row[0])
        return self._partition_counts[topic]


class SqliteTopicReader:
    """Every partition of one topic, read from positions the caller seeks (`TopicReader`). Its
    commits go straight to the group's offsets: the reader is no member sharing partitions, so
    there is nobody whose ownership to check (as a Kafka consumer that assigns partitions
    itself commits without a group generation)."""

    def __init__(self, log: SqliteEventLog, topic: str, group_id: str | None) -> None:
        self._log = log
        self._topic = topic
        self._group_id = group_id
        self._connection = connect(log.path)
        self._positions: dict[int, int] = {}

    def partitions(self) -> list[int]:
        row = self._connection.execute(
            "SELECT partitions FROM topics WHERE name = ?", (self._topic,)
        ).fetchone()
        if row is None:
            raise EventLogError(f"{self._log.describe()} has no topic {self._topic!r}")
        return list(range(int(row[0])))

    def end_offsets(self) -> dict[int, int]:
        return {p: _end_offset(self._connection, self._topic, p) for p in self.partitions()}

    def offsets_for_time(self, timestamp_ms: int) -> dict[int, int]:
        offsets = {}
        for partition, end in self.end_offsets().items():
            # Appended in offset order by one writer at a time, so the times only grow.
            row = self._connection.execute(
                "SELECT min(offset) FROM records WHERE topic = ? AND partition = ? "
                "AND appended_at >= ?",
                (self._topic, partition, timestamp_ms / 1000),
            ).fetchone()
            offsets[partition] = end if row[0] is None else int(row[0])
        return offsets

    def committed(self) -> dict[int, int]:
        if self._group_id is None:
            return {}
        rows = self._connection.execute(
            "SELECT partition, next_offset FROM group_offsets WHERE group_id = ? AND topic = ?",
            (self._group_id, self._topic),
        ).fetchall()
        return {int(partition): int(offset) for partition, offset in rows}

    def seek(self, partition: int, offset: int) -> None:
        self._positions[partition] = offset

    def poll(self, timeout_s: float, max_records: int) -> list[LogRecord]:
        deadline = time.monotonic() + timeout_s
        while True:
            records = self._fetch(max_records)
            remaining = deadline - time.monotonic()
            if records or remaining <= 0:
                return records
            time.sleep(min(FETCH_INTERVAL_S, remaining))

    def commit(self, next_offsets: Mapping[int, int]) -> None:
        if self._group_id is None:
            raise EventLogError("a reader without a group has no offsets to commit")
        with _write_transaction(self._connection) as connection:
            connection.executemany(
                _COMMIT,
                [
                    (self._group_id, self._topic, p, offset, "")
                    for p, offset in next_offsets.items()
                ],
            )

    def close(self) -> None:
        self._connection.close()

    def _fetch(self, max_records: int) -> list[LogRecord]:
        records: list[LogRecord] = []
        for partition, position in sorted(self._positions.items()):
            if len(records) >= max_records:
                break
            rows = self._connection.execute(
                "SELECT offset, key, value, appended_at FROM records WHERE topic = ? "
                "AND partition = ? AND offset >= ? ORDER BY offset LIMIT ?",
                (self._topic, partition, position, max_records - len(records)),
            ).fetchall()
            for offset, key, value, appended_at in rows:
                records.append(
                    LogRecord(
                        self._topic, partition, int(offset), key, value, round(appended_at * 1000)
                    )
                )
            if rows:
                self._positions[partition] = int(rows[-1][0]) + 1
        return records
