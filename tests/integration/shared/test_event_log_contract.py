"""One contract for the event log, run against both adapters: a real Kafka broker and the
embedded SQLite log. The services rely on exactly these behaviours, so both must show them."""

import time
from collections.abc import Callable
from pathlib import Path

import pytest

from newswire.adapters.kafka import KafkaEventLog
from newswire.embedded.event_log import SqliteEventLog
from newswire.event_log import (
    EventConsumer,
    EventLog,
    MessageTooLargeError,
    Record,
    next_offsets,
)
from newswire.settings import Settings

pytestmark = pytest.mark.integration

MAX_MESSAGE_BYTES = 64 * 1024


@pytest.fixture(params=["kafka", "embedded"])
def event_log(request: pytest.FixtureRequest, tmp_path: Path) -> EventLog:
    if request.param == "kafka":
        servers: str = request.getfixturevalue("kafka_bootstrap_servers")
        settings = Settings(
            kafka_bootstrap_servers=servers, kafka_max_message_bytes=MAX_MESSAGE_BYTES
        )
        return KafkaEventLog(settings)
    return SqliteEventLog(
        tmp_path / "event-log.sqlite3", partitions=3, max_message_bytes=MAX_MESSAGE_BYTES
    )


@pytest.fixture
def new_topic(
    request: pytest.FixtureRequest, event_log: EventLog, tmp_path: Path
) -> Callable[[], str]:
    """A fresh topic name, created with 3 partitions."""
    if isinstance(event_log, KafkaEventLog):
        names: Callable[[], str] = request.getfixturevalue("kafka_topic")
    else:
        counter = iter(range(1000))

        def names() -> str:
            return f"topic-{next(counter)}"

    def create() -> str:
        name = names()
        event_log.ensure_topics([name])
        return name

    return create


@pytest.fixture
def group() -> Callable[[], str]:
    made = iter(range(1000))
    return lambda: f"group-{time.time_ns()}-{next(made)}"


def _produce(event_log: EventLog, topic: str, messages: list[tuple[bytes | None, bytes]]) -> None:
    producer = event_log.producer(client_id="test")
    try:
        sends = [producer.send(topic, key, value) for key, value in messages]
        producer.flush()
        for send in sends:
            send.result(timeout=30)
    finally:
        producer.close()


def _consume(consumer: EventConsumer, count: int, timeout_s: float = 60) -> list[Record]:
    """Poll until `count` records came (or time ran out); returns what came."""
    records: list[Record] = []
    deadline = time.monotonic() + timeout_s
    while len(records) < count and time.monotonic() < deadline:
        records += consumer.poll(0.5, count - len(records))
    return records


def _keyed(count: int, keys: int = 5) -> list[tuple[bytes | None, bytes]]:
    return [(f"key-{i % keys}".encode(), f"value-{i}".encode()) for i in range(count)]


def test_what_is_acknowledged_is_consumed_with_its_key_in_order_per_key(
    event_log: EventLog, new_topic: Callable[[], str], group: Callable[[], str]
) -> None:
    topic = new_topic()
    messages = _keyed(60)
    _produce(event_log, topic, messages)
    consumer = event_log.consumer(group(), [topic], client_id="test")
    try:
        records = _consume(consumer, len(messages))
        assert consumer.poll(0.5, 10) == []
    finally:
        consumer.close()
    assert sorted((r.key, r.value) for r in records) == sorted(messages)
    partitions_of_key: dict[bytes | None, set[int]] = {}
    for record in records:
        partitions_of_key.setdefault(record.key, set()).add(record.partition)
    assert all(len(partitions) == 1 for partitions in partitions_of_key.values())
    for key in partitions_of_key:
        values = [r.value for r in sorted(records, key=lambda r: r.offset) if r.key == key]
        assert values == [value for k, value in messages if k == key]
    assert {r.topic for r in records} == {topic}


def test_a_new_member_resumes_after_the_commit_and_rereads_what_was_not_committed(
    event_log: EventLog, new_topic: Callable[[], str], group: Callable[[], str]
) -> None:
    topic, group_id = new_topic(), group()
    _produce(event_log, topic, _keyed(30))
    first = event_log.consumer(group_id, [topic], client_id="test")
    try:
        read = _consume(first, 30)
        committed = [r for r in read if r.offset < 4]  # a prefix of every partition
        first.commit(next_offsets(committed))
    finally:
        first.close()
    second = event_log.consumer(group_id, [topic], client_id="test")
    try:
        again = _consume(second, 30 - len(committed), timeout_s=60)
        assert second.poll(1.0, 10) == []
    finally:
        second.close()
    not_committed = {(r.partition, r.offset) for r in read} - {
        (r.partition, r.offset) for r in committed
    }
    assert {(r.partition, r.offset) for r in again} == not_committed
    for (_, partition), offset in next_offsets(committed).items():
        assert event_log.committed(group_id, topic, partition) == offset


def test_groups_read_independently(
    event_log: EventLog, new_topic: Callable[[], str], group: Callable[[], str]
) -> None:
    topic = new_topic()
    _produce(event_log, topic, _keyed(10))
    for group_id in (group(), group()):
        consumer = event_log.consumer(group_id, [topic], client_id="test")
        try:
            records = _consume(consumer, 10)
            consumer.commit(next_offsets(records))
        finally:
            consumer.close()
        assert len(records) == 10


def test_members_of_one_group_share_the_partitions_and_read_everything_once(
    event_log: EventLog, new_topic: Callable[[], str], group: Callable[[], str]
) -> None:
    topic, group_id = new_topic(), group()
    members = [event_log.consumer(group_id, [topic], client_id=f"m{i}") for i in range(2)]
    try:
        # Both join before anything is there to read, then share what comes.
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not all(m.assignment() for m in members):
            for member in members:
                member.poll(0.2, 1)
        _produce(event_log, topic, _keyed(90, keys=30))
        read: list[list[Record]] = [[], []]
        deadline = time.monotonic() + 60
        while sum(map(len, read)) < 90 and time.monotonic() < deadline:
            for member, records in zip(members, read, strict=True):
                records.extend(member.poll(0.2, 100))
        for member, records in zip(members, read, strict=True):
            member.commit(next_offsets(records))
    finally:
        for member in members:
            member.close()
    everything = [(r.partition, r.offset) for records in read for r in records]
    assert len(everything) == len(set(everything)) == 90
    assert all(read), "each member should have had partitions of its own"
    assert not {r.partition for r in read[0]} & {r.partition for r in read[1]}


def test_pause_seek_and_lag(
    event_log: EventLog, new_topic: Callable[[], str], group: Callable[[], str]
) -> None:
    topic = new_topic()
    _produce(event_log, topic, [(b"same-key", f"v{i}".encode()) for i in range(10)])
    consumer = event_log.consumer(group(), [topic], client_id="test")
    try:
        first = _consume(consumer, 4)
        assert len(first) == 4
        partition = first[0].partition
        assert consumer.lag() == 6
        consumer.pause_all()
        assert consumer.poll(1.0, 10) == []
        consumer.resume_all()
        consumer.seek(topic, partition, 2)
        rest = _consume(consumer, 8)
        assert [r.offset for r in rest] == list(range(2, 10))
        assert consumer.lag() == 0
    finally:
        consumer.close()


def test_a_message_over_the_size_limit_fails_as_too_large(
    event_log: EventLog, new_topic: Callable[[], str]
) -> None:
    topic = new_topic()
    producer = event_log.producer(client_id="test")
    try:
        too_large = producer.send(topic, b"k", b"x" * (MAX_MESSAGE_BYTES + 1))
        fine = producer.send(topic, b"k", b"small")
        producer.flush()
        with pytest.raises(MessageTooLargeError):
            too_large.result(timeout=30)
        fine.result(timeout=30)
    finally:
        producer.close()


def test_find_returns_the_latest_message_with_a_key(
    event_log: EventLog, new_topic: Callable[[], str]
) -> None:
    topic = new_topic()
    _produce(event_log, topic, [(b"a", b"first"), (b"b", b"other"), (b"a", b"second")])
    found = event_log.find(topic, b"a")
    assert found is not None
    assert (found.key, found.value) == (b"a", b"second")
    assert event_log.find(topic, b"absent") is None


def test_a_note_committed_beside_an_offset_is_read_back_by_the_next_member(
    event_log: EventLog, new_topic: Callable[[], str], group: Callable[[], str]
) -> None:
    topic, group_id = new_topic(), group()
    _produce(event_log, topic, _keyed(9, keys=9))
    first = event_log.consumer(group_id, [topic], client_id="test")
    try:
        read = _consume(first, 9)
        firsts = {
            (r.topic, r.partition): min(o.offset for o in read if o.partition == r.partition)
            for r in read
        }
        first.commit(firsts, {where: f"started at {offset}" for where, offset in firsts.items()})
        first.keep_alive()  # fetches nothing, keeps the membership
        assert first.poll(0.5, 10) == []
    finally:
        first.close()
    second = event_log.consumer(group_id, [topic], client_id="test")
    try:
        notes = second.committed_notes([*firsts, (topic, 99)])
        assert notes == {
            where: (offset, f"started at {offset}") for where, offset in firsts.items()
        }
        again = _consume(second, 9)
        second.commit(next_offsets(again))  # a commit without notes clears them
        assert {note for _, note in second.committed_notes(firsts).values()} == {""}
    finally:
        second.close()
    assert sorted(r.value or b"" for r in again) == sorted(r.value or b"" for r in read)


def test_keep_alive_fetches_nothing_and_leaves_the_partitions_readable(
    event_log: EventLog, new_topic: Callable[[], str], group: Callable[[], str]
) -> None:
    topic = new_topic()
    _produce(event_log, topic, _keyed(6))
    consumer = event_log.consumer(group(), [topic], client_id="test")
    try:
        first = _consume(consumer, 1)
        consumer.keep_alive()
        rest = _consume(consumer, 5)
    finally:
        consumer.close()
    assert sorted(r.value or b"" for r in first + rest) == sorted(v for _, v in _keyed(6))
