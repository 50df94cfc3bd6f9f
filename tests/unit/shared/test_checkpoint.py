"""A checkpoint commits the offsets of handled records only after what they caused is durable."""

import logging
from collections.abc import Mapping
from concurrent.futures import Future

import pytest

from newswire.checkpoint import Checkpoint
from newswire.embedded.event_log import LogRecord
from newswire.event_log import CommitRefusedError, EventLogError, PartitionKey


class RecordingConsumer:
    def __init__(self, events: list[str], refuses: bool = False) -> None:
        self.events = events
        self.refuses = refuses
        self.committed: list[dict[PartitionKey, int]] = []

    def commit(
        self,
        next_offsets: Mapping[PartitionKey, int],
        notes: Mapping[PartitionKey, str] | None = None,
    ) -> None:
        self.events.append("commit")
        if self.refuses:
            raise CommitRefusedError("partition t/0 now belongs to another member")
        self.committed.append(dict(next_offsets))


class RecordingSink:
    def __init__(self, name: str, events: list[str]) -> None:
        self.name = name
        self.events = events

    def flush(self) -> None:
        self.events.append(f"flush {self.name}")


class Acknowledgement(Future[None]):
    """Completes (or fails) when the checkpoint waits for it."""

    def __init__(self, name: str, events: list[str], error: Exception | None = None) -> None:
        super().__init__()
        self.name = name
        self.events = events
        self.error = error

    def result(self, timeout: float | None = None) -> None:
        self.events.append(f"acknowledged {self.name}")
        if self.error is not None:
            raise self.error


def record(offset: int, partition: int = 0) -> LogRecord:
    return LogRecord("t", partition, offset, b"key", b"value")


def test_offsets_are_committed_only_after_the_sinks_flushed_and_every_send_was_acknowledged() -> (
    None
):
    events: list[str] = []
    consumer = RecordingConsumer(events)
    checkpoint = Checkpoint(consumer, [RecordingSink("dlq", events), RecordingSink("out", events)])
    checkpoint.handled([record(0), record(1)])
    checkpoint.wait_for(Acknowledgement("a", events))
    checkpoint.wait_for(Acknowledgement("b", events))
    assert events == []

    checkpoint.commit()

    assert events == ["flush dlq", "flush out", "acknowledged a", "acknowledged b", "commit"]
    assert consumer.committed == [{("t", 0): 2}]


def test_each_partition_is_committed_one_past_its_highest_handled_record() -> None:
    consumer = RecordingConsumer([])
    checkpoint = Checkpoint(consumer)
    checkpoint.handled([record(5), record(7)])
    checkpoint.handled([record(8)])  # e.g. dead-lettered: it moves the offset on all the same
    checkpoint.handled([record(3, partition=1)])

    checkpoint.commit()

    assert consumer.committed == [{("t", 0): 9, ("t", 1): 4}]


def test_a_send_the_log_did_not_acknowledge_is_raised_and_nothing_is_committed() -> None:
    events: list[str] = []
    consumer = RecordingConsumer(events)
    checkpoint = Checkpoint(consumer)
    checkpoint.handled([record(0)])
    checkpoint.wait_for(Acknowledgement("a", events, EventLogError("not acknowledged")))

    with pytest.raises(EventLogError):
        checkpoint.commit()

    assert "commit" not in events


def test_a_commit_refused_after_a_rebalance_is_logged_once_and_not_raised(
    caplog: pytest.LogCaptureFixture,
) -> None:
    checkpoint = Checkpoint(RecordingConsumer([], refuses=True))
    checkpoint.handled([record(0)])

    with caplog.at_level(logging.WARNING, logger="newswire.checkpoint"):
        checkpoint.commit()

    (line,) = caplog.records
    assert "partition t/0 now belongs to another member" in line.getMessage()


def test_a_checkpoint_with_nothing_handled_commits_nothing() -> None:
    events: list[str] = []
    checkpoint = Checkpoint(RecordingConsumer(events), [RecordingSink("dlq", events)])
    assert checkpoint.next_offsets == {}

    checkpoint.commit()

    assert events == ["flush dlq"]
