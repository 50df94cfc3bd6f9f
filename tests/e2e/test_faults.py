"""Faults during a run of the whole corpus through `newswire up`: a service killed with SIGKILL
at a random moment, Elasticsearch stopped for 60 s, the Kafka broker restarted. After each, the
index holds exactly the corpus's distinct articles: none missing, none doubled.

The moment is random on purpose (the seed is printed, and NEWSWIRE_FAULT_SEED replays one).
The servers that are stopped are private ones started for the test, so nothing else notices.
"""

import os
import random
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from benchmarks.corpus import bbc_files
from newswire.settings import DevServicesSettings
from newswire_ops.dev_services.elasticsearch_node import ElasticsearchNode
from newswire_ops.dev_services.kafka_server import KafkaServer
from newswire_ops.dev_services.server import free_port
from tests.support.pipeline import (
    RunningPipeline,
    eventually,
    listed_once_per_content,
    sha256_of,
    stack_env,
)

pytestmark = pytest.mark.integration

ELASTICSEARCH_OUTAGE_S = 60


@pytest.fixture
def chance() -> random.Random:
    seed = int(os.environ.get("NEWSWIRE_FAULT_SEED", time.time_ns() % 1_000_000))
    print(f"fault seed: {seed} (NEWSWIRE_FAULT_SEED={seed} replays it)")
    return random.Random(seed)


@pytest.fixture
def private_kafka(tmp_path: Path) -> Iterator[KafkaServer]:
    server = KafkaServer(
        DevServicesSettings(
            home=tmp_path / "kafka",
            kafka_port=free_port(),
            kafka_controller_port=free_port(),
            kafka_heap="512m",
        )
    )
    server.up()
    yield server
    server.down()


def _run_corpus_with(
    tmp_path: Path,
    shared_dir: Path,
    kafka: str,
    elasticsearch: str,
    fault: Callable[[RunningPipeline], None],
) -> None:
    corpus = bbc_files(shared_dir)
    files = {f"{path.parent.name}/{path.name}": path for path in corpus}
    expected = {sha256_of(path) for path in corpus}  # byte-identical files: listed once
    env = stack_env(kafka, elasticsearch, f"test-fault-{uuid.uuid4().hex[:8]}")
    pipeline = RunningPipeline(tmp_path / "pipeline", "up", env)
    try:
        for section in sorted({path.parent.name for path in corpus}):
            pipeline.drop([p for p in corpus if p.parent.name == section], folder=section)
        fault(pipeline)
        assert eventually(lambda: pipeline.total() == len(expected), 900, interval_s=2), (
            f"{pipeline.total()} of {len(expected)} searchable\n{pipeline.log()[-3000:]}"
        )
        ids = pipeline.ids()
        assert listed_once_per_content(ids, files) == []
        assert [p for p in pipeline.inbox.rglob("*") if p.is_file()] == []
        output = pipeline.stop()
        assert pipeline.process.returncode == 0, output[-2000:]
    finally:
        pipeline.kill_everything()


def _mid_stream(pipeline: RunningPipeline, chance: random.Random, low: int, high: int) -> None:
    """Wait until between `low` and `high` articles (a random number) are searchable."""
    wanted = chance.randint(low, high)
    assert eventually(lambda: pipeline.total() >= wanted, 600, interval_s=0.2)


@pytest.mark.parametrize("victim", ["newswire_ingest", "newswire_enrich", "newswire_indexer"])
def test_a_service_killed_at_a_random_moment_loses_and_doubles_nothing(
    tmp_path: Path,
    shared_dir: Path,
    kafka_bootstrap_servers: str,
    elasticsearch_url: str,
    chance: random.Random,
    victim: str,
) -> None:
    def kill(pipeline: RunningPipeline) -> None:
        if victim == "newswire_ingest":
            # Ingest publishes the corpus in seconds: kill it while files are still moving.
            wanted = chance.randint(50, 1500)
            processed = pipeline.folder / "processed"
            assert eventually(lambda: sum(1 for _ in processed.rglob("*.txt")) >= wanted, 300, 0.01)
        else:
            _mid_stream(pipeline, chance, 100, 1500)
        pipeline.kill(victim)
        name = victim.removeprefix("newswire_")
        assert eventually(lambda: f"{name} exited" in pipeline.log(), 30)

    _run_corpus_with(tmp_path, shared_dir, kafka_bootstrap_servers, elasticsearch_url, kill)


def test_elasticsearch_stopped_for_a_minute_loses_and_doubles_nothing(
    tmp_path: Path,
    shared_dir: Path,
    kafka_bootstrap_servers: str,
    private_elasticsearch: ElasticsearchNode,
    chance: random.Random,
) -> None:
    def outage(pipeline: RunningPipeline) -> None:
        _mid_stream(pipeline, chance, 100, 1500)
        private_elasticsearch.down()
        time.sleep(ELASTICSEARCH_OUTAGE_S)
        private_elasticsearch.up()

    _run_corpus_with(
        tmp_path, shared_dir, kafka_bootstrap_servers, private_elasticsearch.address, outage
    )


def test_the_kafka_broker_restarted_loses_and_doubles_nothing(
    tmp_path: Path,
    shared_dir: Path,
    private_kafka: KafkaServer,
    elasticsearch_url: str,
    chance: random.Random,
) -> None:
    def restart(pipeline: RunningPipeline) -> None:
        _mid_stream(pipeline, chance, 100, 1500)
        private_kafka.down()
        private_kafka.up()

    _run_corpus_with(tmp_path, shared_dir, private_kafka.address, elasticsearch_url, restart)
