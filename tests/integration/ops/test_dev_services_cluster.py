"""`newswire dev-services up --brokers 3 --es-nodes 3` for real: the clusters form, `status
--json` names every node's pid, a node killed with kill -9 shows as dead and is the only one
`up` starts again, and `down` stops them all.

One cluster for the whole module (in a dev home of its own, brokers from 19092, Elasticsearch
from 19200, clear of the single-node servers on 9092/9200); the tests run in order.
"""

import shlex
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from kafka.admin import NewTopic

from newswire.adapters.elasticsearch import create_client
from newswire.adapters.kafka import new_admin
from newswire.settings import Settings
from newswire_ops.dev_services.processes import is_alive, service_marker
from newswire_ops.dev_services.server import port_is_free
from tests.support.cluster import LocalCluster

pytestmark = pytest.mark.cluster


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalCluster]:
    cluster = LocalCluster(tmp_path_factory.mktemp("cluster-dev-home"))
    busy = cluster.busy_ports()
    if busy:
        pytest.skip(f"ports {busy} are taken by another process: the cluster needs them")
    try:
        cluster.up()
        yield cluster
    finally:
        cluster.down()


def _brokers(cluster: LocalCluster) -> list[int]:
    admin = new_admin(Settings(kafka_bootstrap_servers=cluster.bootstrap_servers))
    try:
        brokers = admin.describe_cluster()["brokers"]
        return sorted(broker["broker_id"] for broker in brokers if not broker["is_fenced"])
    finally:
        admin.close()


def _elasticsearch_nodes(cluster: LocalCluster) -> list[str]:
    client = create_client(Settings(elasticsearch_url=cluster.elasticsearch_urls[0]))
    try:
        health = client.cluster.health(wait_for_nodes="3", timeout="30s")
        assert health["number_of_nodes"] == 3
        return sorted(node["name"] for node in client.nodes.info()["nodes"].values())
    finally:
        client.close()


def _carries_marker(pid: int, name: str) -> bool:
    cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    return service_marker(name).encode() in cmdline


def test_three_brokers_and_three_elasticsearch_nodes_form_clusters(
    cluster: LocalCluster,
) -> None:
    assert _brokers(cluster) == [0, 1, 2]
    assert _elasticsearch_nodes(cluster) == [f"elasticsearch-{k}" for k in range(3)]
    admin = new_admin(Settings(kafka_bootstrap_servers=cluster.bootstrap_servers))
    try:
        admin.create_topics([NewTopic("three-copies", 3, 3)])
        (topic,) = admin.describe_topics(["three-copies"])
        assert all(len(partition["replica_nodes"]) == 3 for partition in topic["partitions"])
    finally:
        admin.close()


def test_status_json_gives_each_node_its_pid_and_port(cluster: LocalCluster) -> None:
    nodes = cluster.nodes()

    assert [(n["service"], n["name"], n["port"]) for n in nodes] == [
        ("kafka", "kafka-0", 19092),
        ("kafka", "kafka-1", 19192),
        ("kafka", "kafka-2", 19292),
        ("elasticsearch", "elasticsearch-0", 19200),
        ("elasticsearch", "elasticsearch-1", 19201),
        ("elasticsearch", "elasticsearch-2", 19202),
    ]
    assert all(node["alive"] and node["ready"] for node in nodes)
    assert all(_carries_marker(node["pid"], node["name"]) for node in nodes)
    assert len({node["pid"] for node in nodes}) == 6


def test_env_names_every_broker_and_the_shared_snapshot_folder(cluster: LocalCluster) -> None:
    exported = dict(
        shlex.split(line.removeprefix("export "))[0].split("=", 1)
        for line in cluster.dev_services("env").splitlines()
        if line.startswith("export ")
    )

    assert exported["KAFKA_BOOTSTRAP_SERVERS"] == (
        "127.0.0.1:19092,127.0.0.1:19192,127.0.0.1:19292"
    )
    assert exported["ELASTICSEARCH_URL"] == (
        "http://127.0.0.1:19200,http://127.0.0.1:19201,http://127.0.0.1:19202"
    )
    assert exported["NEWSWIRE_SNAPSHOT_REPOSITORY_PATH"] == str(cluster.home / "snapshots")


def test_up_restarts_only_the_nodes_killed(cluster: LocalCluster) -> None:
    before = {node["name"]: node["pid"] for node in cluster.nodes()}
    cluster.kill("kafka-1")
    cluster.kill("elasticsearch-2")

    dead = {node["name"] for node in cluster.nodes() if not node["alive"]}
    assert dead == {"kafka-1", "elasticsearch-2"}
    assert "kafka-1: stopped" in cluster.dev_services("status").splitlines()

    started = time.monotonic()
    cluster.up()
    restart_s = time.monotonic() - started

    after = {node["name"]: node["pid"] for node in cluster.nodes()}
    changed = {name for name in before if after[name] != before[name]}
    assert changed == {"kafka-1", "elasticsearch-2"}
    assert all(pid is not None and is_alive(pid) for pid in after.values())
    assert _brokers(cluster) == [0, 1, 2]
    assert _elasticsearch_nodes(cluster) == [f"elasticsearch-{k}" for k in range(3)]
    print(f"restarting one broker and one Elasticsearch node took {restart_s:.1f}s")


def test_down_node_stops_one_node_cleanly(cluster: LocalCluster) -> None:
    pid = cluster.node("elasticsearch-1")["pid"]

    assert cluster.stop("elasticsearch-1").strip() == "elasticsearch-1: stopped"
    assert not is_alive(pid)
    assert [n["name"] for n in cluster.nodes() if not n["alive"]] == ["elasticsearch-1"]
    cluster.up()
    assert cluster.node("elasticsearch-1")["ready"]


def test_down_stops_every_node(cluster: LocalCluster) -> None:
    pids = [node["pid"] for node in cluster.nodes()]

    stopped = cluster.down().splitlines()

    assert sorted(stopped) == sorted(f"{node}: stopped" for node in _names())
    assert not any(is_alive(pid) for pid in pids)
    assert not any(node["alive"] for node in cluster.nodes())
    assert all(port_is_free(port) for port in cluster.ports())


def _names() -> list[str]:
    return [f"kafka-{k}" for k in range(3)] + [f"elasticsearch-{k}" for k in range(3)]
