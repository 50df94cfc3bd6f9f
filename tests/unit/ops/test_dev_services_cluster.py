"""Dev-services clusters without servers: node names, ports, configuration, remembered sizes,
`status --json`, and stopping several processes at once."""

import json
import time
from pathlib import Path

import pytest

from newswire.settings import DevServicesSettings
from newswire_ops.cli import main
from newswire_ops.dev_services.cluster import (
    ServiceCluster,
    remember_sizes,
    remembered_sizes,
    sized_settings,
    stop_all,
)
from newswire_ops.dev_services.elasticsearch_node import ElasticsearchNode, SecureElasticsearchNode
from newswire_ops.dev_services.kafka_server import KafkaServer, SecureKafkaServer
from newswire_ops.dev_services.processes import ManagedProcess, is_alive, service_marker
from newswire_ops.dev_services.server import DevServiceError
from newswire_ops.snapshots import describe_snapshot


def _cluster_settings(home: Path, brokers: int = 3, nodes: int = 3) -> DevServicesSettings:
    return DevServicesSettings(home=home, kafka_brokers=brokers, elasticsearch_nodes=nodes)


def _properties(server: KafkaServer) -> dict[str, str]:
    return dict(line.split("=", 1) for line in server.server_properties().splitlines())


def test_a_single_node_keeps_its_name_home_and_ports(tmp_path: Path) -> None:
    settings = DevServicesSettings(home=tmp_path)
    kafka, elasticsearch = KafkaServer(settings), ElasticsearchNode(settings)

    assert (kafka.name, kafka.home, tuple(kafka.ports)) == (
        "kafka",
        tmp_path / "kafka",
        (9092, 9093),
    )
    assert (elasticsearch.name, elasticsearch.home) == ("elasticsearch", tmp_path / "elasticsearch")
    assert tuple(elasticsearch.ports) == (9200, 9300)
    assert _properties(kafka)["node.id"] == "1"
    assert _properties(kafka)["controller.quorum.voters"] == "1@127.0.0.1:9093"
    assert "default.replication.factor" not in _properties(kafka)
    assert elasticsearch.node_settings() == {"path.repo": str(tmp_path / "snapshots")}


def test_broker_k_listens_on_the_base_ports_plus_100_k(tmp_path: Path) -> None:
    cluster = ServiceCluster(SecureKafkaServer, _cluster_settings(tmp_path))

    assert [node.name for node in cluster.nodes] == ["kafka-0", "kafka-1", "kafka-2"]
    assert [tuple(node.ports) for node in cluster.nodes] == [
        (9092, 9093, 9094),
        (9192, 9193, 9194),
        (9292, 9293, 9294),
    ]
    assert [node.home for node in cluster.nodes] == [
        tmp_path / f"kafka-{k}-secure" for k in range(3)
    ]
    assert cluster.address == "127.0.0.1:9092,127.0.0.1:9192,127.0.0.1:9292"


def test_every_broker_is_a_voter_and_topics_get_three_replicas_two_in_sync(
    tmp_path: Path,
) -> None:
    settings = _cluster_settings(tmp_path)
    properties = [_properties(KafkaServer(settings, k)) for k in range(3)]

    voters = "0@127.0.0.1:9093,1@127.0.0.1:9193,2@127.0.0.1:9293"
    assert {p["controller.quorum.voters"] for p in properties} == {voters}
    assert [p["node.id"] for p in properties] == ["0", "1", "2"]
    assert properties[1]["listeners"] == "PLAINTEXT://127.0.0.1:9192,CONTROLLER://127.0.0.1:9193"
    assert properties[2]["log.dirs"] == str(tmp_path / "kafka-2" / "data")
    for key in ("offsets.topic.replication.factor", "default.replication.factor"):
        assert properties[0][key] == "3"
    assert properties[0]["min.insync.replicas"] == "2"
    assert properties[0]["transaction.state.log.min.isr"] == "2"


def test_two_brokers_replicate_twice(tmp_path: Path) -> None:
    properties = _properties(KafkaServer(_cluster_settings(tmp_path, brokers=2), 1))
    assert properties["offsets.topic.replication.factor"] == "2"
    assert properties["min.insync.replicas"] == "2"


def test_the_nodes_of_a_cluster_share_one_kafka_cluster_id(tmp_path: Path) -> None:
    settings = _cluster_settings(tmp_path)
    ids = {KafkaServer(settings, k).cluster_id() for k in range(3)}
    assert len(ids) == 1
    assert SecureKafkaServer(settings, 0).cluster_id() not in ids  # a cluster of its own
    single = KafkaServer(DevServicesSettings(home=tmp_path))
    assert single.cluster_id() != single.cluster_id()  # formatted once, never shared


def test_storage_formatted_for_another_quorum_is_refused_not_wiped(tmp_path: Path) -> None:
    three = KafkaServer(_cluster_settings(tmp_path, brokers=3), 0)
    three.data_dir.mkdir(parents=True)
    (three.data_dir / "meta.properties").write_text("node.id=0\n")
    (three.home / "server.properties").write_text(three.server_properties())
    five = KafkaServer(_cluster_settings(tmp_path, brokers=5), 0)

    with pytest.raises(DevServiceError, match=r"quorum of 3, not 5.*--fresh"):
        five._check_formatted_for_this_quorum(five.home / "server.properties")
    assert (three.data_dir / "meta.properties").exists()


def test_elasticsearch_node_k_uses_the_ports_plus_k_and_finds_the_others(tmp_path: Path) -> None:
    settings = _cluster_settings(tmp_path)
    nodes = [SecureElasticsearchNode(settings, k) for k in range(3)]

    assert [tuple(node.ports) for node in nodes] == [(9200, 9300), (9201, 9301), (9202, 9302)]
    assert nodes[2].address == "https://127.0.0.1:9202"
    node_settings = nodes[1].node_settings()
    assert node_settings["node.name"] == "elasticsearch-1"
    assert node_settings["discovery.type"] == "multi-node"
    assert node_settings["discovery.seed_hosts"] == "127.0.0.1:9300,127.0.0.1:9301,127.0.0.1:9302"
    assert node_settings["cluster.initial_master_nodes"] == (
        "elasticsearch-0,elasticsearch-1,elasticsearch-2"
    )
    assert node_settings["path.repo"] == str(tmp_path / "snapshots")
    assert nodes[0].client_environment("newswire")["NEWSWIRE_SNAPSHOT_REPOSITORY_PATH"] == str(
        tmp_path / "snapshots"
    )


def test_cluster_sizes_come_from_flags_then_environment_then_the_dev_home(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NEWSWIRE_DEV_HOME", str(tmp_path))
    assert remembered_sizes(tmp_path) == {}
    assert sized_settings(DevServicesSettings()).kafka_brokers == 1

    remember_sizes(_cluster_settings(tmp_path, brokers=3, nodes=2))
    remembered = sized_settings(DevServicesSettings())
    assert (remembered.kafka_brokers, remembered.elasticsearch_nodes) == (3, 2)

    flagged = sized_settings(DevServicesSettings(), {"kafka": 1, "elasticsearch": None})
    assert (flagged.kafka_brokers, flagged.elasticsearch_nodes) == (1, 2)

    monkeypatch.setenv("NEWSWIRE_DEV_ELASTICSEARCH_NODES", "5")
    assert sized_settings(DevServicesSettings()).elasticsearch_nodes == 5


def test_an_unreadable_sizes_file_counts_as_none(tmp_path: Path) -> None:
    (tmp_path / "clusters.json").write_text('{"kafka": "three", "elasticsearch": 0}')
    assert remembered_sizes(tmp_path) == {}


def test_status_json_lists_every_node_of_the_remembered_cluster(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("NEWSWIRE_DEV_HOME", str(tmp_path))
    monkeypatch.setenv("NEWSWIRE_DEV_KAFKA_PORT", "19092")
    remember_sizes(_cluster_settings(tmp_path, brokers=3, nodes=2))

    assert main(["dev-services", "status", "--json"]) == 3
    nodes = json.loads(capsys.readouterr().out)["nodes"]

    assert [(n["service"], n["name"], n["port"]) for n in nodes] == [
        ("kafka", "kafka-0", 19092),
        ("kafka", "kafka-1", 19192),
        ("kafka", "kafka-2", 19292),
        ("elasticsearch", "elasticsearch-0", 9200),
        ("elasticsearch", "elasticsearch-1", 9201),
    ]
    assert all(n["pid"] is None and n["alive"] is False for n in nodes)
    assert set(nodes[0]) == {"service", "name", "pid", "port", "alive", "ready"}


def test_plain_status_says_one_line_per_node(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("NEWSWIRE_DEV_HOME", str(tmp_path))
    remember_sizes(_cluster_settings(tmp_path, brokers=2, nodes=1))

    assert main(["dev-services", "status"]) == 3
    assert capsys.readouterr().out.splitlines() == [
        "kafka-0: stopped",
        "kafka-1: stopped",
        "elasticsearch: stopped",
    ]


def test_down_of_an_unknown_node_names_the_known_ones(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("NEWSWIRE_DEV_HOME", str(tmp_path))
    remember_sizes(_cluster_settings(tmp_path, brokers=2, nodes=1))

    assert main(["dev-services", "down", "--node", "kafka-7"]) == 2
    assert "kafka-0, kafka-1, elasticsearch" in capsys.readouterr().err


def test_a_cluster_size_out_of_range_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("NEWSWIRE_DEV_HOME", str(tmp_path))
    assert main(["dev-services", "up", "--brokers", "0"]) == 2
    assert "kafka_brokers" in capsys.readouterr().err
    assert remembered_sizes(tmp_path) == {}


def test_nodes_are_stopped_together_and_each_once(tmp_path: Path) -> None:
    processes = [ManagedProcess(f"node-{k}", tmp_path / f"node-{k}") for k in range(3)]
    pids = [
        process.start(["sh", "-c", "sleep 60", service_marker(process.name)], {}, tmp_path)
        for process in processes[:2]
    ]
    started = time.monotonic()

    stopped = stop_all([*processes, processes[0]], grace_s=10)

    assert stopped == [("node-0", True), ("node-1", True), ("node-2", False)]
    assert not any(is_alive(pid) for pid in pids)
    assert time.monotonic() - started < 5


def test_a_snapshot_is_listed_with_the_documents_it_recorded() -> None:
    line = describe_snapshot(
        {
            "snapshot": "articles-20261207-150000",
            "state": "SUCCESS",
            "start_time_in_millis": 1_796_655_600_000,
            "indices": ["articles-v3", "articles-stories-v1"],
            "metadata": {"documents": {"articles-v3": 40, "articles-stories-v1": 2}},
        }
    )
    assert line.split() == [
        "articles-20261207-150000",
        "SUCCESS",
        "2026-12-07",
        "15:00:00",
        "42",
        "articles-stories-v1,articles-v3",
    ]
