"""How often a consumer group started messages it never finished, counted durably, so that a
message that stops its consumer every time (a crash in native code, the kernel's OOM killer, a
hang ended by kill -9) is set aside after a few starts instead of stopping every replica of the
group in turn, forever.

The count lives where the group's offsets do: in the note committed beside each partition's
offset (Kafka's commit metadata; the embedded log's `note` column). Before a batch is handled,
the offset it starts from is committed again with a note saying "the messages from here through
offset T are being tried, the k-th time"; the batch done, its commit clears the note. A member
that takes the partition over after a crash (this one restarted, or another) reads the note and
knows which messages were in flight when their consumer stopped.

Those messages are then handled **one at a time**, each announced in the note before it starts:
the innocent ones of the crashed batch pass one by one, and the one that stops its consumer is
found; once it has been started `max_attempts` times on its own (or with its batch) it is given
back as *exhausted*, for the loop to dead-letter without handling, and the partition moves on.
A message is so started at most `max_attempts` + 1 times (its batch, then alone).

It costs one more commit per batch. The idea of a durable delivery count is Kafka's own in share
groups (KIP-932: a record is archived after `group.share.delivery.count.limit` deliveries);
in-memory retry counters (Spring Kafka's, say) die with the process that crashed, which is
exactly the case this is for.
"""

import json
import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from newswire.event_log import CommitRefusedError, Committed, PartitionKey, Record

log = logging.getLogger(__name__)


class AttemptsConsumer(Protocol):
    """What counting attempts needs of an `EventConsumer`."""

    def commit(
        self,
        next_offsets: Mapping[PartitionKey, int],
        notes: Mapping[PartitionKey, str] | None = None,
    ) -> None: ...

    def committed_notes(
        self, partitions: Iterable[PartitionKey]
    ) -> dict[PartitionKey, Committed]: ...

    def seek(self, topic: str, partition: int, offset: int) -> None: ...


@dataclass(frozen=True)
class InFlight:
    """A note's meaning: the messages from the committed offset through `through` were in
    flight when their consumer stopped; the first of them was started `starts` times."""

    starts: int
    through: int

    def encode(self) -> str:
        return json.dumps({"starts": self.starts, "through": self.through})

    @classmethod
    def decode(cls, note: str) -> "InFlight | None":
        """None for an empty note, or one not written here."""
        if not note:
            return None
        try:
            fields = json.loads(note)
            return cls(int(fields["starts"]), int(fields["through"]))
        except (ValueError, TypeError, KeyError):
            return None


@dataclass
class Attempt:
    """What to do with a polled batch: handle `handle`, dead-letter `exhausted` unhandled (both
    are then committed), and commit `notes_when_done` with their offsets. The polled records
    in neither were sought back to and come again at the next poll."""

    handle: list[Record] = field(default_factory=list)
    exhausted: list[Record] = field(default_factory=list)
    notes_when_done: dict[PartitionKey, str] = field(default_factory=dict)


class DeliveryAttempts:
    """Counts the starts of one consumer's batches (see the module docstring)."""

    def __init__(self, consumer: AttemptsConsumer, max_attempts: int) -> None:
        self._consumer = consumer
        self._max_attempts = max_attempts
        self._known: dict[PartitionKey, Committed] = {}  # what this member last committed

    def begin(self, records: Sequence[Record]) -> Attempt:
        """Decide what of `records` to handle now, and commit that it is being started."""
        by_partition: dict[PartitionKey, list[Record]] = {}
        for record in records:
            by_partition.setdefault((record.topic, record.partition), []).append(record)
        committed = self._committed(
            {where: batch[0].offset for where, batch in by_partition.items()}
        )
        attempt = Attempt()
        starting: dict[PartitionKey, int] = {}
        notes: dict[PartitionKey, str] = {}
        for where, batch in by_partition.items():
            batch.sort(key=lambda record: record.offset)
            first = batch[0].offset
            # Nothing committed yet: the member reads from where its position was reset to.
            last_commit = committed.get(where, Committed(first, ""))
            if last_commit.offset != first:
                # Not read from the group's commit (a seek, a stale position): nothing is known,
                # and a note committed here would move the group's offset: handle as it is.
                attempt.handle.extend(batch)
                continue
            in_flight = InFlight.decode(last_commit.note)
            if in_flight is None or in_flight.through < first:
                attempt.handle.extend(batch)
                starting[where], notes[where] = first, InFlight(1, batch[-1].offset).encode()
                attempt.notes_when_done[where] = ""
                continue
            # A batch through `in_flight.through` never finished: one message at a time.
            alone = batch[0]
            if len(batch) > 1:
                self._consumer.seek(alone.topic, alone.partition, first + 1)
            after = InFlight(0, in_flight.through).encode() if first < in_flight.through else ""
            if in_flight.starts >= self._max_attempts:
                log.warning(
                    "%s[%d] offset %d was started %d times and never finished: set aside",
                    alone.topic,
                    alone.partition,
                    first,
                    in_flight.starts,
                )
                attempt.exhausted.append(alone)
            else:
                attempt.handle.append(alone)
                starting[where] = first
                notes[where] = InFlight(in_flight.starts + 1, in_flight.through).encode()
            attempt.notes_when_done[where] = after
        if starting:
            try:
                self._consumer.commit(starting, notes)
            except CommitRefusedError as error:  # handled anyway; its commit will be refused
                log.info("attempts not noted: the partitions moved (%s)", error)
            else:
                for where, offset in starting.items():
                    self._known[where] = Committed(offset, notes[where])
        return attempt

    def done(self, attempt: Attempt, next_offsets: Mapping[PartitionKey, int]) -> None:
        """`attempt`'s records were committed at `next_offsets` with its notes."""
        for where, offset in next_offsets.items():
            self._known[where] = Committed(offset, attempt.notes_when_done.get(where, ""))

    def forget(self) -> None:
        """The last commit was refused (partitions moved): ask the group next time."""
        self._known.clear()

    def _committed(self, firsts: Mapping[PartitionKey, int]) -> dict[PartitionKey, Committed]:
        known = {
            where: self._known[where]
            for where, first in firsts.items()
            if where in self._known and self._known[where].offset == first
        }
        unknown = [where for where in firsts if where not in known]
        if unknown:
            known.update(self._consumer.committed_notes(unknown))
        return known
