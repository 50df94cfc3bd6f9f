"""Starts of batches that never finished, counted in the group's commit notes: after a stop, the
batch's messages are handled one at a time, and one that stops its consumer again and again is
given back as exhausted, while the others pass."""

from collections.abc import Iterable, Mapping

from newswire.delivery_attempts import DeliveryAttempts, InFlight
from newswire.embedded.event_log import LogRecord
from newswire.event_log import Committed, PartitionKey

P0 = ("raw", 0)


class GroupCommits:
    """What the log keeps of a group's commits, shared by the members that come and go."""

    def __init__(self) -> None:
        self.offsets: dict[PartitionKey, Committed] = {}
        self.sought: list[tuple[PartitionKey, int]] = []
        self.asked = 0

    def commit(
        self,
        next_offsets: Mapping[PartitionKey, int],
        notes: Mapping[PartitionKey, str] | None = None,
    ) -> None:
        for where, offset in next_offsets.items():
            self.offsets[where] = Committed(offset, (notes or {}).get(where, ""))

    def committed_notes(self, partitions: Iterable[PartitionKey]) -> dict[PartitionKey, Committed]:
        self.asked += 1
        return {where: self.offsets[where] for where in partitions if where in self.offsets}

    def seek(self, topic: str, partition: int, offset: int) -> None:
        self.sought.append(((topic, partition), offset))


def records(first: int, last: int, partition: int = 0) -> list[LogRecord]:
    return [LogRecord("raw", partition, o, b"k", b"v") for o in range(first, last + 1)]


def finish(attempts: DeliveryAttempts, group: GroupCommits, polled: list[LogRecord]) -> list[int]:
    """Handle what `begin` says (successfully) and commit it; returns the offsets handled."""
    attempt = attempts.begin(polled)
    done = attempt.handle + attempt.exhausted
    offsets = {P0: max(r.offset for r in done) + 1}
    group.commit(offsets, attempt.notes_when_done)
    attempts.done(attempt, offsets)
    return [r.offset for r in attempt.handle]


def test_a_batch_is_noted_as_started_at_its_first_offset_and_its_commit_clears_the_note() -> None:
    group = GroupCommits()
    attempts = DeliveryAttempts(group, max_attempts=3)
    attempt = attempts.begin(records(0, 4))
    assert [r.offset for r in attempt.handle] == [0, 1, 2, 3, 4]
    assert group.offsets[P0] == Committed(0, InFlight(1, 4).encode())
    group.commit({P0: 5}, attempt.notes_when_done)
    attempts.done(attempt, {P0: 5})
    assert group.offsets[P0] == Committed(5, "")


def test_after_a_stop_mid_batch_its_messages_are_handled_one_at_a_time_then_batches_resume() -> (
    None
):
    group = GroupCommits()
    DeliveryAttempts(group, max_attempts=3).begin(records(0, 4))  # ... and the member died
    successor = DeliveryAttempts(group, max_attempts=3)
    handled = []
    position = 0
    while position < 8:
        polled = records(position, 7)
        handled.append(finish(successor, group, polled))
        position = group.offsets[P0].offset
    assert handled == [[0], [1], [2], [3], [4], [5, 6, 7]]
    assert group.sought[:4] == [(P0, 1), (P0, 2), (P0, 3), (P0, 4)]
    assert group.offsets[P0] == Committed(8, "")


def test_a_message_that_stops_its_consumer_every_time_is_exhausted_and_the_rest_pass() -> None:
    group = GroupCommits()
    DeliveryAttempts(group, max_attempts=2).begin(records(0, 3))  # died in the batch
    member = DeliveryAttempts(group, max_attempts=2)
    assert finish(member, group, records(0, 3)) == [0]  # innocent
    starts = 0
    while True:  # offset 1 is the poison: each member that starts it dies
        attempt = DeliveryAttempts(group, max_attempts=2).begin(records(1, 3))
        if attempt.exhausted:
            break
        starts += 1
        assert [r.offset for r in attempt.handle] == [1]
    assert starts == 2
    assert [r.offset for r in attempt.exhausted] == [1]
    assert attempt.handle == []
    group.commit({P0: 2}, attempt.notes_when_done)
    assert finish(DeliveryAttempts(group, 2), group, records(2, 3)) == [2]
    assert finish(DeliveryAttempts(group, 2), group, records(3, 3)) == [3]


def test_a_position_other_than_the_groups_commit_is_handled_as_it_is_without_a_note() -> None:
    group = GroupCommits()
    group.commit({P0: 10})
    attempt = DeliveryAttempts(group, 3).begin(records(12, 14))  # sought past the commit
    assert [r.offset for r in attempt.handle] == [12, 13, 14]
    assert group.offsets[P0] == Committed(10, "")  # not moved by a note


def test_a_member_asks_the_group_only_for_partitions_it_did_not_commit_itself() -> None:
    group = GroupCommits()
    attempts = DeliveryAttempts(group, 3)
    finish(attempts, group, records(0, 4))
    finish(attempts, group, records(5, 9))
    assert group.asked == 1
    attempts.forget()  # a refused commit: the partitions may have moved
    finish(attempts, group, records(10, 11))
    assert group.asked == 2


def test_a_note_not_written_here_means_nothing_is_in_flight() -> None:
    assert InFlight.decode("") is None
    assert InFlight.decode("written by another tool") is None
    assert InFlight.decode('{"starts": 2}') is None
    assert InFlight.decode(InFlight(2, 9).encode()) == InFlight(2, 9)
