"""Committing a consumer's offsets only once what its records caused is durable: at-least-once
delivery, made explicit in one place for every consumer loop.

A loop takes a `Checkpoint` for each batch it reads, tells it which records it has handled and
which acknowledgements their handling still waits for (sends to the log), then calls `commit()`.
That first flushes the sinks (the producers the records were sent on), then waits for every
acknowledgement (one that failed raises, and nothing is committed: the batch is read again after
a restart), and only then commits, per partition, the offset just past the last handled record.

A commit the log refuses because the partitions moved to another member of the group meanwhile
(`CommitRefusedError`) is not an error: that member reads again from the last commit, and every
write downstream is keyed by article id, so the replay is harmless. It is logged here, once.

The idea is quix-streams' `checkpointing/` (its sinks flush before the offsets are committed).
"""

import logging
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import Future
from typing import Protocol

from newswire.event_log import CommitRefusedError, PartitionKey, Record, next_offsets

log = logging.getLogger(__name__)


class Committer(Protocol):
    """What a checkpoint needs of the consumer: `EventConsumer.commit`."""

    def commit(
        self,
        next_offsets: Mapping[PartitionKey, int],
        notes: Mapping[PartitionKey, str] | None = None,
    ) -> None: ...


class Sink(Protocol):
    """Where handling a record writes, e.g. an `EventProducer`."""

    def flush(self) -> None:
        """Return once everything written so far is acknowledged (or failed)."""
        ...


class Checkpoint:
    """The records of one batch that have been handled, and what must be durable before their
    offsets are committed. Take a new one for the next batch."""

    def __init__(self, consumer: Committer, sinks: Sequence[Sink] = ()) -> None:
        self._consumer = consumer
        self._sinks = sinks
        self._handled: list[Record] = []
        self._acknowledgements: list[Future[None]] = []

    def handled(self, records: Iterable[Record]) -> None:
        """`records` are dealt with, or will be once the sinks are flushed and what `wait_for`
        was given is acknowledged."""
        self._handled.extend(records)

    def wait_for(self, acknowledgement: "Future[None]") -> None:
        """Commit only once `acknowledgement` completed; if it fails, commit nothing."""
        self._acknowledgements.append(acknowledgement)

    @property
    def next_offsets(self) -> dict[PartitionKey, int]:
        """Per partition, the offset `commit` records: one past the last handled record."""
        return next_offsets(self._handled)

    def commit(self, notes: Mapping[PartitionKey, str] | None = None) -> bool:
        """Flush the sinks, wait for every acknowledgement (raising the error of one that
        failed), then commit the offsets of the handled records, if any, with `notes` beside
        them (`EventConsumer.commit`). False when the log refused the commit."""
        for sink in self._sinks:
            sink.flush()
        for acknowledgement in self._acknowledgements:
            acknowledgement.result()
        offsets = self.next_offsets
        if not offsets:
            return True
        try:
            self._consumer.commit(offsets, notes)
        except CommitRefusedError as error:
            log.warning(
                "offsets not committed: the partitions moved to another member of the group, "
                "which reads them again from the last commit (%s)",
                error,
            )
            return False
        return True
