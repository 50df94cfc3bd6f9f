"""The event log the services talk through: topics of keyed messages, split into partitions, read
by consumer groups that commit their offsets.

This is the port; two adapters implement it. `newswire.adapters.kafka` is Apache Kafka, for
several machines and for other teams reading `articles.enriched`. `newswire.embedded.event_log`
is a durable log in one SQLite file, for running Newswire with nothing installed. The services
only see the protocols below, so they behave the same on both: a message is acknowledged once it
is durable, and an offset is committed only after what the message caused is durable too
(at-least-once; keys make replays harmless).
"""

from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import Future
from typing import NamedTuple, Protocol

PartitionKey = tuple[str, int]
"""(topic, partition)."""


class Committed(NamedTuple):
    """A group's commit on a partition: the next offset to read, and the note kept with it."""

    offset: int
    note: str


class EventLogError(Exception):
    """The event log could not be reached or refused a request."""


class MessageTooLargeError(EventLogError):
    """The log will never take this message: it is over a size limit."""


class CommitRefusedError(EventLogError):
    """The partitions moved to another member of the group before the commit: that member
    reads again from the last commit, which consumers absorb by keying on the article id."""


class Record(Protocol):
    """One message as consumed. Kafka's ConsumerRecord has this shape."""

    @property
    def topic(self) -> str: ...

    @property
    def partition(self) -> int: ...

    @property
    def offset(self) -> int: ...

    @property
    def key(self) -> bytes | None: ...

    @property
    def value(self) -> bytes | None: ...


class EventProducer(Protocol):
    def send(self, topic: str, key: bytes | None, value: bytes | None) -> "Future[None]":
        """Queue a message; the future completes once the log acknowledged it durably, or fails
        with the reason (MessageTooLargeError when it can never be taken). Returns at once.
        A message with a key and no value (None) is a tombstone: it deletes the key for the
        readers of a compacted topic, and is delivered to consumers as such."""
        ...

    def flush(self) -> None:
        """Wait until every message sent so far is acknowledged or failed."""
        ...

    def close(self, timeout_s: float | None = None) -> None: ...


class EventConsumer(Protocol):
    """A member of a consumer group; the group's partitions are shared among its members."""

    def poll(self, timeout_s: float, max_records: int) -> Sequence[Record]:
        """The next messages of the partitions assigned to this member, waiting at most
        `timeout_s` for some. Calling it often is what keeps a member in its group."""
        ...

    def commit(
        self,
        next_offsets: Mapping[PartitionKey, int],
        notes: Mapping[PartitionKey, str] | None = None,
    ) -> None:
        """Record, per partition, the offset of the next message to read, with a short note kept
        beside it ("" unless given; Kafka's commit metadata): the group's members read it back
        with `committed_notes`. Raises CommitRefusedError when a partition is no longer this
        member's."""
        ...

    def committed_notes(self, partitions: Iterable[PartitionKey]) -> dict[PartitionKey, Committed]:
        """The group's last commit on each of `partitions` (left out: none yet)."""
        ...

    def keep_alive(self) -> None:
        """Tell the group this member is still at work on what it polled, during a slow batch:
        what a poll does for its membership, fetching nothing. Partitions may move meanwhile
        (then the batch's commit is refused, harmlessly)."""
        ...

    def assignment(self) -> set[PartitionKey]:
        """The partitions this member reads now (the group shares them out)."""
        ...

    def pause_all(self) -> None:
        """Stop fetching from the assigned partitions; poll() still keeps the membership."""
        ...

    def resume_all(self) -> None: ...

    def seek(self, topic: str, partition: int, offset: int) -> None:
        """Read `partition` from `offset` on the next poll()."""
        ...

    def lag(self) -> int:
        """Messages in the assigned partitions not yet read by this member; EventLogError when
        the log cannot tell (a rebalance, a timeout)."""
        ...

    def close(self) -> None:
        """Leave the group without committing anything more."""
        ...


class TimedRecord(Record, Protocol):
    """A message with the time the log took it (Kafka's record timestamp)."""

    @property
    def timestamp(self) -> int:
        """Milliseconds since the epoch."""
        ...


class TopicReader(Protocol):
    """Reads every partition of one topic, outside any group's sharing of partitions: what a
    tool such as `newswire consume` needs (from the beginning, from a time, from a group's
    committed offsets). Its commits are the named group's, so a restarted reader continues."""

    def partitions(self) -> list[int]: ...

    def end_offsets(self) -> dict[int, int]:
        """Per partition, the offset the next message will get."""
        ...

    def offsets_for_time(self, timestamp_ms: int) -> dict[int, int]:
        """Per partition, the first offset whose message was taken at or after `timestamp_ms`
        (the end offset when none was)."""
        ...

    def committed(self) -> dict[int, int]:
        """The group's committed offsets (partitions without one are left out); {} without a
        group."""
        ...

    def seek(self, partition: int, offset: int) -> None: ...

    def poll(self, timeout_s: float, max_records: int) -> Sequence[TimedRecord]:
        """The next messages from the positions sought, waiting at most `timeout_s`."""
        ...

    def commit(self, next_offsets: Mapping[int, int]) -> None:
        """Record the group's offsets (the next message to read, per partition); an error
        without a group."""
        ...

    def close(self) -> None: ...


class EventLog(Protocol):
    """Opens producers and consumers, and answers the few questions tools ask of the log."""

    def describe(self) -> str:
        """Where the log is, for people: `Kafka at host:port` or the SQLite file."""
        ...

    def ensure_topics(self, names: Iterable[str]) -> None:
        """Create the topics that do not exist yet, each configured for its use (see the
        adapters); existing ones are left as they are."""
        ...

    def producer(self, client_id: str) -> EventProducer: ...

    def consumer(self, group_id: str, topics: Sequence[str], client_id: str) -> EventConsumer: ...

    def find(self, topic: str, key: bytes) -> Record | None:
        """The latest message with this key, or None. May read the whole partition: for tools
        such as `newswire status`, not for the services' hot paths."""
        ...

    def committed(self, group_id: str, topic: str, partition: int) -> int | None:
        """The group's committed offset (next message to read) on a partition, if any."""
        ...

    def reader(self, topic: str, group_id: str | None, client_id: str) -> TopicReader:
        """A reader of every partition of `topic` (see TopicReader); `group_id` names whose
        offsets it reads and commits (None: it commits nothing)."""
        ...


def next_offsets(records: Iterable[Record]) -> dict[PartitionKey, int]:
    """Per partition, the offset just past the last of `records`: what a consumer commits once
    every one of them is handled."""
    offsets: dict[PartitionKey, int] = {}
    for record in records:
        where = (record.topic, record.partition)
        offsets[where] = max(offsets.get(where, 0), record.offset + 1)
    return offsets
