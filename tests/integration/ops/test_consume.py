"""`newswire consume` on both event logs (a real Kafka broker and the embedded SQLite log), run
as the command a person types: from the beginning, resuming in a group after kill -9, --since."""

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from newswire.adapters.kafka import KafkaEventLog
from newswire.embedded.event_log import SqliteEventLog
from newswire.event_log import EventLog
from newswire.settings import Settings

pytestmark = pytest.mark.integration

REPO_ROOT = Path(__file__).resolve().parents[3]
TOPIC_PARTITIONS = 3


class ConsumeCase:
    """An event log with one fresh topic, and the environment that points `newswire` at it."""

    def __init__(self, log: EventLog, topic: str, env: dict[str, str]) -> None:
        self.log, self.topic, self.env = log, topic, env

    def publish(self, messages: list[tuple[str, dict[str, Any] | None]]) -> None:
        producer = self.log.producer("test-consume")
        try:
            sent = [
                producer.send(
                    self.topic, key.encode(), None if value is None else json.dumps(value).encode()
                )
                for key, value in messages
            ]
            for future in sent:
                future.result(timeout=30)
        finally:
            producer.close()

    def command(self, *args: str) -> list[str]:
        return [sys.executable, "-m", "newswire_ops", "consume", self.topic, *args]

    def run(self, *args: str) -> list[dict[str, Any]]:
        done = subprocess.run(
            self.command(*args),
            check=False,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
        return [json.loads(line) for line in done.stdout.splitlines()]


@pytest.fixture(params=["kafka", "embedded"])
def case(request: pytest.FixtureRequest, tmp_path: Path) -> ConsumeCase:
    env = {k: v for k, v in os.environ.items() if k != "KAFKA_BOOTSTRAP_SERVERS"}
    env["PYTHONPATH"] = os.pathsep.join(sys.path)
    env["NEWSWIRE_LOG_LEVEL"] = "WARNING"
    log: EventLog
    if request.param == "kafka":
        servers: str = request.getfixturevalue("kafka_bootstrap_servers")
        names: Callable[[], str] = request.getfixturevalue("kafka_topic")
        topic = names()
        log = KafkaEventLog(
            Settings(kafka_bootstrap_servers=servers, topic_partitions=TOPIC_PARTITIONS)
        )
        env |= {"NEWSWIRE_EVENT_LOG": "kafka", "KAFKA_BOOTSTRAP_SERVERS": servers}
    else:
        topic = "articles.enriched"
        log = SqliteEventLog(tmp_path / "event-log.sqlite3", partitions=TOPIC_PARTITIONS)
        env |= {"NEWSWIRE_EVENT_LOG": "embedded", "NEWSWIRE_DATA_DIR": str(tmp_path)}
    log.ensure_topics([topic])
    return ConsumeCase(log, topic, env)


def stories(first: int, count: int) -> list[tuple[str, dict[str, Any] | None]]:
    return [(f"story-{n}", {"id": f"story-{n}", "n": n}) for n in range(first, first + count)]


def test_from_the_beginning_prints_every_message_with_tombstones_as_null(
    case: ConsumeCase,
) -> None:
    case.publish([*stories(0, 20), ("story-3", None)])

    lines = case.run("--from-beginning")

    assert len(lines) == 21
    assert {tuple(sorted(line)) for line in lines} == {
        ("key", "offset", "partition", "timestamp", "topic", "value")
    }
    assert all(line["topic"] == case.topic for line in lines)
    by_key = {line["key"]: line for line in lines if line["value"] is not None}
    assert sorted(by_key) == sorted(f"story-{n}" for n in range(20))
    assert all(line["value"]["id"] == line["key"] for line in by_key.values())
    tombstones = [line for line in lines if line["value"] is None]
    assert [line["key"] for line in tombstones] == ["story-3"]
    # The tombstone follows the message it kills, in that key's partition.
    killed = by_key["story-3"]
    assert tombstones[0]["partition"] == killed["partition"]
    assert tombstones[0]["offset"] > killed["offset"]
    datetime.fromisoformat(tombstones[0]["timestamp"])


def test_a_group_killed_with_sigkill_continues_from_its_committed_offsets(
    case: ConsumeCase,
) -> None:
    case.publish(stories(0, 30))
    follower = subprocess.Popen(
        case.command("--group", "resumer", "--follow"),
        env=case.env,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert follower.stdout is not None
    before = [json.loads(follower.stdout.readline()) for _ in range(30)]
    time.sleep(1)  # its commit of what it printed
    follower.send_signal(signal.SIGKILL)
    follower.wait(timeout=30)
    case.publish(stories(30, 15))

    after = case.run("--group", "resumer")

    seen = {(line["partition"], line["offset"]) for line in before}
    assert {line["key"] for line in after} == {f"story-{n}" for n in range(30, 45)}
    assert not seen & {(line["partition"], line["offset"]) for line in after}


def test_since_starts_at_the_first_message_taken_at_or_after_that_time(
    case: ConsumeCase,
) -> None:
    case.publish(stories(0, 10))
    time.sleep(1.5)
    since = datetime.now(UTC)
    time.sleep(0.5)
    case.publish(stories(10, 5))

    lines = case.run("--since", since.isoformat())

    assert sorted(line["key"] for line in lines) == sorted(f"story-{n}" for n in range(10, 15))
    assert all(datetime.fromisoformat(line["timestamp"]) >= since for line in lines)
