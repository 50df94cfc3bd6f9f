"""`newswire up` on a three-broker Kafka and three-node Elasticsearch cluster (issue 29) loses a
node under load and goes on: kill -9 of the broker leading most partitions of the raw topic,
then of the Elasticsearch node holding most primaries, both started again later; and all brokers
restarted one by one. Each time every distinct article ends searchable exactly once, nothing is
dead-lettered, and the pipeline runs on (a service may exit and be restarted by it, as
supervised); topics are replicated 3 times with `min.insync.replicas` 2 and indices once.

CI runs a slice of the BBC corpus (`NEWSWIRE_NODE_LOSS_FILES`, default 300 files; `all` for the
whole corpus, which `benchmarks/node_loss.py` runs and times). Recovery times are printed.
"""

import os
import time
import urllib.error
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from kafka import TopicPartition
from kafka.admin import ConfigResource, ConfigResourceType

from benchmarks.corpus import bbc_files
from newswire.adapters.elasticsearch import create_client
from newswire.adapters.kafka import new_admin, new_consumer
from newswire.settings import Settings
from tests.support.cluster import LocalCluster
from tests.support.pipeline import (
    RunningPipeline,
    eventually,
    get_json,
    listed_once_per_content,
    sha256_of,
    stack_env,
)

pytestmark = [pytest.mark.integration, pytest.mark.cluster]

RECOVERY_TIMEOUT_S = 900


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalCluster]:
    local = LocalCluster(tmp_path_factory.mktemp("node-loss-cluster"), elasticsearch_port=19250)
    if busy := local.busy_ports():
        pytest.skip(f"ports {busy} are taken: the cluster needs them")
    local.up()
    try:
        yield local
    finally:
        local.down()


def _corpus_slice(shared_dir: Path) -> list[Path]:
    corpus = bbc_files(shared_dir)
    wanted = os.environ.get("NEWSWIRE_NODE_LOSS_FILES", "300")
    if wanted == "all":
        return corpus
    step = max(1, len(corpus) // int(wanted))
    return corpus[::step][: int(wanted)]


class ClusterRun:
    """The pipeline on the cluster, a slice of the corpus dropped, and what to check after."""

    def __init__(self, cluster: LocalCluster, folder: Path, files: list[Path]) -> None:
        self.cluster = cluster
        self.name = f"loss-{uuid.uuid4().hex[:8]}"
        urls = ",".join(cluster.elasticsearch_urls)
        self.env = stack_env(cluster.bootstrap_servers, urls, self.name)
        self.settings = Settings(
            kafka_bootstrap_servers=cluster.bootstrap_servers,
            elasticsearch_url=urls,
            raw_topic=f"{self.name}.raw",
            dlq_topic=f"{self.name}.dlq",
            enriched_topic=f"{self.name}.enriched",
            index_alias=f"{self.name}-alias",
        )
        self.files = {f"{path.parent.name}/{path.name}": path for path in files}
        self.distinct = len({sha256_of(path) for path in files})
        self.pipeline = RunningPipeline(folder, "up", self.env)
        assert eventually(lambda: get_json(self.pipeline.url("/healthz")) is not None, 300), (
            self.pipeline.log()[-3000:]
        )

    def drop(self) -> None:
        for section in sorted({path.parent.name for path in self.files.values()}):
            self.pipeline.drop(
                [p for p in self.files.values() if p.parent.name == section], folder=section
            )

    def searchable(self) -> int:
        """The search's total, asked again (as a client does) while the API answers 503."""
        for _ in range(60):
            try:
                return self.pipeline.total()
            except urllib.error.HTTPError as error:
                if error.code != 503:
                    raise
                time.sleep(1)
        return self.pipeline.total()

    def wait_for(self, count: int, timeout_s: float) -> float:
        started = time.monotonic()
        assert eventually(lambda: self.searchable() >= count, timeout_s, interval_s=1), (
            f"{self.searchable()} of {count} searchable\n{self.pipeline.log()[-3000:]}"
        )
        return time.monotonic() - started

    def check_everything_once(self) -> None:
        assert eventually(lambda: self.searchable() == self.distinct, RECOVERY_TIMEOUT_S, 2), (
            f"{self.searchable()} of {self.distinct} searchable\n{self.pipeline.log()[-3000:]}"
        )
        assert listed_once_per_content(self.pipeline.ids(), self.files) == []
        assert self.dead_letters() == 0
        assert self.pipeline.process.poll() is None, "the pipeline itself exited"
        assert [p for p in self.pipeline.inbox.rglob("*") if p.is_file()] == []

    def dead_letters(self) -> int:
        consumer = new_consumer(self.settings)
        try:
            partitions = consumer.partitions_for_topic(self.settings.dlq_topic) or set()
            ends = consumer.end_offsets(
                [TopicPartition(self.settings.dlq_topic, p) for p in partitions]
            )
            return sum(ends.values())
        finally:
            consumer.close()

    def leader_of_most_raw_partitions(self) -> str:
        admin = new_admin(self.settings)
        try:
            (topic,) = admin.describe_topics([self.settings.raw_topic])
        finally:
            admin.close()
        leaders = Counter(partition["leader_id"] for partition in topic["partitions"])
        return f"kafka-{leaders.most_common(1)[0][0]}"

    def node_with_most_primaries(self) -> str:
        client = create_client(self.settings)
        try:
            answer: Any = client.cat.shards(index=f"{self.name}*", format="json").body
            shards: list[dict[str, Any]] = answer
        finally:
            client.close()
        primaries = Counter(s["node"] for s in shards if s["prirep"] == "p" and s.get("node"))
        return str(primaries.most_common(1)[0][0])

    def durability(self) -> tuple[set[int], set[str], set[str]]:
        """Replication factors of the topics, their min.insync.replicas, the indices' replicas."""
        admin = new_admin(self.settings)
        topics = [self.settings.raw_topic, self.settings.enriched_topic, self.settings.dlq_topic]
        try:
            described = admin.describe_topics(topics)
            configs = admin.describe_configs(
                [ConfigResource(ConfigResourceType.TOPIC, t) for t in topics]
            ).get("topic", {})
        finally:
            admin.close()
        factors = {len(p["replica_nodes"]) for t in described for p in t["partitions"]}
        insync = {str(configs[t]["min.insync.replicas"]["value"]) for t in topics}
        client = create_client(self.settings)
        try:
            settings = client.indices.get_settings(index=f"{self.name}*").body
        finally:
            client.close()
        replicas = {s["settings"]["index"]["number_of_replicas"] for s in settings.values()}
        return factors, insync, replicas

    def close(self) -> None:
        self.pipeline.kill_everything()


def test_a_broker_and_a_node_killed_under_load_lose_and_double_nothing(
    cluster: LocalCluster, tmp_path: Path, shared_dir: Path
) -> None:
    run = ClusterRun(cluster, tmp_path / "pipeline", _corpus_slice(shared_dir))
    try:
        run.drop()
        run.wait_for(run.distinct // 4, 600)
        broker = run.leader_of_most_raw_partitions()
        killed_at = time.monotonic()
        cluster.kill(broker)
        progress = run.searchable()
        broker_recovery = run.wait_for(min(run.distinct, progress + 20), 300)
        node = run.node_with_most_primaries()
        node_killed_at = time.monotonic()
        cluster.kill(node)
        node_recovery = run.wait_for(min(run.distinct, run.searchable() + 20), 300)
        cluster.up()  # both come back
        run.check_everything_once()
        total = time.monotonic() - killed_at
        print(
            f"\nnode loss: {run.distinct} articles; after kill -9 of {broker} the next 20 were "
            f"searchable in {broker_recovery:.1f} s; after kill -9 of {node}, in "
            f"{node_recovery:.1f} s; everything once {total:.1f} s after the first kill "
            f"({time.monotonic() - node_killed_at:.1f} s after the second)"
        )
        factors, insync, replicas = run.durability()
        assert factors == {3}
        assert insync == {"2"}
        assert replicas == {"1"}
    finally:
        run.close()


def test_brokers_restarted_one_by_one_under_load_lose_and_double_nothing(
    cluster: LocalCluster, tmp_path: Path, shared_dir: Path
) -> None:
    run = ClusterRun(cluster, tmp_path / "pipeline", _corpus_slice(shared_dir))
    try:
        run.drop()
        run.wait_for(run.distinct // 5, 600)
        started = time.monotonic()
        for node in [n["name"] for n in cluster.nodes() if n["service"] == "kafka"]:
            cluster.stop(node)
            cluster.up()
        rolled = time.monotonic() - started
        run.check_everything_once()
        print(
            f"\nrolling restart of the brokers: {rolled:.1f} s; everything once "
            f"{time.monotonic() - started:.1f} s after the first stop"
        )
    finally:
        run.close()
