"""A local Kafka and Elasticsearch cluster of the tests' own (`newswire dev-services up
--brokers N --es-nodes N` in a dev home of their own, on ports of their own), driven through
the `newswire dev-services` command as an operator would: start it, list its nodes, kill one,
start what is missing, stop it.

    cluster = LocalCluster(tmp_home)          # 3 brokers from 19092, 3 nodes from 19200
    cluster.up()
    cluster.kill("kafka-1")                   # kill -9
    cluster.up()                              # starts kafka-1 again, nothing else
    cluster.down()

Broker k is `kafka-k` (its KRaft node id is k); Elasticsearch node k is `elasticsearch-k`, also
its `node.name` in `_cat/shards`.
"""

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from newswire.settings import DevServicesSettings
from newswire_ops.dev_services.cluster import ServiceCluster
from newswire_ops.dev_services.elasticsearch_node import ElasticsearchNode
from newswire_ops.dev_services.kafka_server import KafkaServer
from newswire_ops.dev_services.processes import is_alive
from newswire_ops.dev_services.server import port_is_free


@dataclass
class LocalCluster:
    """A cluster in `home`; broker k on `kafka_port` + 100*k, Elasticsearch node k on
    `elasticsearch_port` + k (transport: `elasticsearch_port` + 100 + k)."""

    home: Path
    brokers: int = 3
    es_nodes: int = 3
    kafka_port: int = 19092
    elasticsearch_port: int = 19200
    elasticsearch_heap: str = "512m"
    startup_timeout_s: float = 240.0
    extra_environment: dict[str, str] = field(default_factory=dict)

    @property
    def environment(self) -> dict[str, str]:
        """What the `newswire dev-services` commands of this cluster run with."""
        return {
            "NEWSWIRE_DEV_HOME": str(self.home),
            "NEWSWIRE_DEV_KAFKA_PORT": str(self.kafka_port),
            "NEWSWIRE_DEV_KAFKA_CONTROLLER_PORT": str(self.kafka_port + 1),
            "NEWSWIRE_DEV_KAFKA_TLS_PORT": str(self.kafka_port + 2),
            "NEWSWIRE_DEV_ELASTICSEARCH_PORT": str(self.elasticsearch_port),
            "NEWSWIRE_DEV_ELASTICSEARCH_TRANSPORT_PORT": str(self.elasticsearch_port + 100),
            "NEWSWIRE_DEV_ELASTICSEARCH_HEAP": self.elasticsearch_heap,
            "NEWSWIRE_DEV_STARTUP_TIMEOUT_S": str(self.startup_timeout_s),
            **self.extra_environment,
        }

    @property
    def settings(self) -> DevServicesSettings:
        return DevServicesSettings(
            home=self.home,
            kafka_port=self.kafka_port,
            kafka_controller_port=self.kafka_port + 1,
            kafka_tls_port=self.kafka_port + 2,
            elasticsearch_port=self.elasticsearch_port,
            elasticsearch_transport_port=self.elasticsearch_port + 100,
            elasticsearch_heap=self.elasticsearch_heap,
            kafka_brokers=self.brokers,
            elasticsearch_nodes=self.es_nodes,
        )

    @property
    def bootstrap_servers(self) -> str:
        return ServiceCluster(KafkaServer, self.settings).address

    @property
    def elasticsearch_urls(self) -> list[str]:
        return [node.address for node in ServiceCluster(ElasticsearchNode, self.settings).nodes]

    def ports(self) -> list[int]:
        """Every port the cluster binds."""
        clusters = (
            ServiceCluster(kind, self.settings) for kind in (KafkaServer, ElasticsearchNode)
        )
        return [port for cluster in clusters for node in cluster.nodes for port in node.ports]

    def busy_ports(self) -> list[int]:
        """The cluster's ports something else holds (a reason to skip, not to fail)."""
        running = {node["port"] for node in self.nodes() if node["alive"]}
        return [p for p in self.ports() if not port_is_free(p) and p not in running]

    def dev_services(self, *arguments: str, timeout_s: float = 600.0) -> str:
        """Run `newswire dev-services ARGUMENTS` for this cluster; its standard output."""
        done = subprocess.run(
            [sys.executable, "-m", "newswire_ops", "dev-services", *arguments],
            env={**os.environ, **self.environment},
            capture_output=True,
            text=True,
            timeout=timeout_s,
            check=False,
        )
        if done.returncode not in (0, 3):  # 3: `status` says a node is not ready
            raise RuntimeError(
                f"dev-services {' '.join(arguments)} exited {done.returncode}:\n"
                f"{done.stdout}{done.stderr}"
            )
        return done.stdout

    def up(self) -> str:
        """Start every node that does not run (the first time, the whole cluster); the output."""
        return self.dev_services(
            "up", "--brokers", str(self.brokers), "--es-nodes", str(self.es_nodes)
        )

    def nodes(self) -> list[dict[str, Any]]:
        """`status --json`'s nodes: service, name, pid, port, alive, ready."""
        nodes: list[dict[str, Any]] = json.loads(self.dev_services("status", "--json"))["nodes"]
        return nodes

    def node(self, name: str) -> dict[str, Any]:
        return next(node for node in self.nodes() if node["name"] == name)

    def kill(self, name: str) -> int:
        """kill -9 node `name` and wait until it is gone; the pid it had."""
        pid = self.node(name)["pid"]
        if pid is None:
            raise RuntimeError(f"{name} does not run")
        os.kill(pid, signal.SIGKILL)
        deadline = time.monotonic() + 30
        while is_alive(pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        return int(pid)

    def stop(self, name: str) -> str:
        """Stop node `name` cleanly (SIGTERM)."""
        return self.dev_services("down", "--node", name)

    def down(self) -> str:
        return self.dev_services("down")
