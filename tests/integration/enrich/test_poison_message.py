"""A message that stops every replica handling it, on a real Kafka broker and the embedded log:
its batch is retried one message at a time, it is set aside as `enrich_crashed` after its
starts run out, and every other message of the partition is enriched once more or less.

The replica's death is the service's loop ending in the middle of a batch with nothing
committed: an exception no handler takes, or (on the embedded log) the process killed outright.
"""

import subprocess
import sys
import textwrap
import time
import uuid
from pathlib import Path

import pytest

from newswire.adapters.kafka import KafkaEventLog
from newswire.embedded.event_log import SqliteEventLog
from newswire.enriched import EnrichedArticle
from newswire.event_log import EventLog, Record
from newswire.messages import DeadLetter, RawArticle
from newswire.settings import Settings
from newswire_enrich.documents import DocumentInput, InProcessReader, ReadDocument
from newswire_enrich.service import EnrichService
from tests.support.enrichers import fake_enricher, raw_article

pytestmark = pytest.mark.integration

POISON = "This document stops whoever reads it."
KEY = b"one-partition"  # every raw message on one partition, in order


class ReplicaDiedError(BaseException):
    """The replica is gone: nothing catches this, nothing is committed."""


class DiesOnPoison(InProcessReader):
    def __init__(self) -> None:
        super().__init__()
        self.poison_starts = 0

    def read(self, document: DocumentInput) -> ReadDocument:
        if POISON in document.content:
            self.poison_starts += 1
            raise ReplicaDiedError
        return super().read(document)


def _raws() -> list[RawArticle]:
    good = [raw_article(f"Story {n}\n\nBody of story {n}.", f"s{n}.txt") for n in range(6)]
    return [*good[:3], raw_article(f"Poison\n\n{POISON}", "poison.txt"), *good[3:]]


def _produce(event_log: EventLog, topic: str, raws: list[RawArticle]) -> None:
    producer = event_log.producer(client_id="test")
    for raw in raws:
        producer.send(topic, KEY, raw.model_dump_json().encode())
    producer.flush()
    producer.close()


def _everything(event_log: EventLog, topic: str) -> list[Record]:
    reader = event_log.reader(topic, None, client_id="test")
    try:
        for partition in reader.partitions():
            reader.seek(partition, 0)
        ends = sum(reader.end_offsets().values())
        found: list[Record] = []
        deadline = time.monotonic() + 30
        while len(found) < ends and time.monotonic() < deadline:
            found += reader.poll(0.5, 100)
        return found
    finally:
        reader.close()


def _run_replica(event_log: EventLog, topics: dict[str, str], reader: DiesOnPoison) -> bool:
    """One replica until it has caught up (True) or died (False)."""
    consumer = event_log.consumer(topics["group"], [topics["raw"]], client_id="test")
    producer = event_log.producer(client_id="test")
    enricher = fake_enricher()
    enricher.reader = reader
    service = EnrichService(
        consumer,
        producer,
        enricher,
        enriched_topic=topics["enriched"],
        dlq_topic=topics["dlq"],
        batch_size=8,
        poll_timeout_s=0.5,
        max_attempts=2,
    )
    deadline = time.monotonic() + 60
    try:
        while time.monotonic() < deadline:
            records = consumer.poll(0.5, 8)
            if records:
                service.process(records)
            elif consumer.assignment() and consumer.lag() == 0:
                return True
        raise AssertionError("the replica never caught up")
    except ReplicaDiedError:
        return False
    finally:
        consumer.close()  # leaves the group, commits nothing
        producer.close()


@pytest.fixture(params=["kafka", "embedded"])
def event_log_and_topics(
    request: pytest.FixtureRequest, tmp_path: Path
) -> tuple[EventLog, dict[str, str]]:
    name = f"poison-{uuid.uuid4().hex[:8]}"
    topics = {kind: f"{name}.{kind}" for kind in ("raw", "enriched", "dlq", "group")}
    event_log: EventLog
    if request.param == "kafka":
        servers: str = request.getfixturevalue("kafka_bootstrap_servers")
        event_log = KafkaEventLog(Settings(kafka_bootstrap_servers=servers))
    else:
        event_log = SqliteEventLog(tmp_path / "event-log.sqlite3", session_timeout_s=1.0)
    event_log.ensure_topics([topics["raw"], topics["enriched"], topics["dlq"]])
    return event_log, topics


def test_a_message_that_stops_every_replica_is_set_aside_and_the_others_enriched(
    event_log_and_topics: tuple[EventLog, dict[str, str]],
) -> None:
    event_log, topics = event_log_and_topics
    raws = _raws()
    _produce(event_log, topics["raw"], raws)
    reader = DiesOnPoison()

    replicas = 1
    while not _run_replica(event_log, topics, reader):
        replicas += 1
        assert replicas <= 10, "the poison message was never set aside"

    # Started with its batch, then twice alone (max_attempts=2), then set aside unread.
    assert reader.poison_starts == 3
    assert replicas == 4
    (letter,) = [
        DeadLetter.model_validate_json(r.value or b"")
        for r in _everything(event_log, topics["dlq"])
    ]
    assert letter.error_type == "enrich_crashed"
    assert letter.reason.startswith("enrich stopped 2 times while handling this message")
    assert letter.original_base64 is not None
    enriched = [
        EnrichedArticle.model_validate_json(r.value or b"")
        for r in _everything(event_log, topics["enriched"])
    ]
    innocent = {raw.id for raw in raws if POISON not in raw.content}
    assert {article.content_sha256 for article in enriched} == innocent


REPLICA = textwrap.dedent(
    """
    import os, sys
    from pathlib import Path
    from newswire.embedded.event_log import SqliteEventLog
    from newswire_enrich.documents import InProcessReader
    from newswire_enrich.service import EnrichService
    from tests.support.enrichers import fake_enricher

    class KillsItsProcess(InProcessReader):
        def read(self, document):
            if sys.argv[2] in document.content:
                print("started the poison", flush=True)
                os.kill(os.getpid(), 9)  # a crash in native code, the OOM killer: no goodbye
            return super().read(document)

    log = SqliteEventLog(Path(sys.argv[1]), session_timeout_s=1.0)
    consumer = log.consumer("enrich", ["raw"], client_id="replica")
    producer = log.producer(client_id="replica")
    enricher = fake_enricher()
    enricher.reader = KillsItsProcess()
    service = EnrichService(
        consumer, producer, enricher, enriched_topic="enriched", dlq_topic="dlq",
        batch_size=8, poll_timeout_s=0.5, max_attempts=2,
    )
    while True:
        records = consumer.poll(0.5, 8)
        if records:
            service.process(records)
        elif consumer.assignment() and consumer.lag() == 0:
            break
    consumer.close()
    producer.close()
    """
)


def test_a_replica_process_killed_by_a_message_each_time_is_restarted_until_it_is_set_aside(
    tmp_path: Path,
) -> None:
    path = tmp_path / "event-log.sqlite3"
    event_log = SqliteEventLog(path, session_timeout_s=1.0)
    event_log.ensure_topics(["raw", "enriched", "dlq"])
    raws = _raws()
    _produce(event_log, "raw", raws)

    runs = []
    for _ in range(10):  # a supervisor restarting the replica
        run = subprocess.run(
            [sys.executable, "-c", REPLICA, str(path), POISON],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
            cwd=Path(__file__).resolve().parents[3],
        )
        runs.append(run.returncode)
        if run.returncode == 0:
            break
    assert runs == [-9, -9, -9, 0]
    letters = [
        DeadLetter.model_validate_json(r.value or b"") for r in _everything(event_log, "dlq")
    ]
    assert [letter.error_type for letter in letters] == ["enrich_crashed"]
    enriched = _everything(event_log, "enriched")
    assert (
        len({EnrichedArticle.model_validate_json(r.value or b"").content_sha256 for r in enriched})
        == 6
    )
