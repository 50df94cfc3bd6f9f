"""Faults during a run of the whole corpus through `newswire up`: a service killed with SIGKILL
at a random moment, Elasticsearch stopped for 60 s, the Kafka broker restarted. After each, the
index holds exactly the corpus's distinct articles: none missing, none doubled; and agency
stories sent in three versions (in any order), some then killed, show their latest version or
nothing.

The moment is random on purpose (the seed is printed, and NEWSWIRE_FAULT_SEED replays one).
The servers that are stopped are private ones started for the test, so nothing else notices.
"""

import json
import os
import random
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from benchmarks.corpus import bbc_files
from newswire.enriched import story_id
from newswire.settings import DevServicesSettings
from newswire_ops.dev_services.elasticsearch_node import ElasticsearchNode
from newswire_ops.dev_services.kafka_server import KafkaServer
from newswire_ops.dev_services.server import free_port
from tests.support.pipeline import (
    RunningPipeline,
    eventually,
    get_json,
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


AGENCY_STORIES = 5
KILLED = 2  # the first stories are killed after their third version


def _agency_stories(folder: Path) -> dict[str, str]:
    """ninjs files for AGENCY_STORIES stories, three versions each and a kill for the first
    KILLED; returns the live stories' ids and the title their latest version has."""
    folder.mkdir(parents=True)
    live: dict[str, str] = {}
    for n in range(AGENCY_STORIES):
        uri = f"urn:newsml:faults.example:{uuid.uuid4().hex[:8]}:{n}"
        versions = [(v, f"Faulty wombat report {n} version {v}", "usable") for v in (1, 2, 3)]
        if n < KILLED:
            versions.append((4, f"Faulty wombat report {n} withdrawn", "canceled"))
        for version, title, status in versions:
            item = {
                "uri": uri,
                "version": str(version),
                "headline": title,
                "body_text": f"Wombat report {n}.",
                "pubstatus": status,
            }
            (folder / f"story-{n}-v{version}.json").write_text(json.dumps(item))
        if n >= KILLED:
            live[story_id(f"guid:{uri}")] = versions[-1][1]
    return live


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
    agency = tmp_path / "agency"
    live = _agency_stories(agency)
    env = stack_env(kafka, elasticsearch, f"test-fault-{uuid.uuid4().hex[:8]}")
    pipeline = RunningPipeline(tmp_path / "pipeline", "up", env)
    try:
        for section in sorted({path.parent.name for path in corpus}):
            pipeline.drop([p for p in corpus if p.parent.name == section], folder=section)
        pipeline.drop(sorted(agency.iterdir(), key=lambda _: random.random()), folder="agency")
        fault(pipeline)
        wanted = len(expected) + len(live)
        assert eventually(lambda: pipeline.total() == wanted, 900, interval_s=2), (
            f"{pipeline.total()} of {wanted} searchable\n{pipeline.log()[-3000:]}"
        )
        ids = pipeline.ids()
        assert listed_once_per_content([i for i in ids if i not in live], files) == []
        reports = get_json(pipeline.url("/articles/search?q=faulty+wombat&size=20"))["hits"]
        assert {hit["id"]: hit["title"] for hit in reports} == live
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
