"""A single-node Apache Kafka 4 (KRaft: broker and controller in one JVM) on 127.0.0.1."""

import base64
import os
import subprocess
import uuid
from collections.abc import Sequence

from kafka import KafkaAdminClient
from kafka.errors import KafkaError

from newswire_ops.dev_services.java import find_java_home
from newswire_ops.dev_services.maven_build import build_maven_project
from newswire_ops.dev_services.processes import service_marker
from newswire_ops.dev_services.server import (
    DevServiceError,
    JvmServer,
    LaunchCommand,
    port_accepts_connections,
)

KAFKA_MIN_JAVA = 17

# Console-only logging: the process's stdout is the log file ManagedProcess keeps.
LOG4J2_YAML = """\
Configuration:
  Appenders:
    Console:
      name: STDOUT
      PatternLayout:
        pattern: "[%d] %p %m (%c)%n"
  Loggers:
    Logger:
      - name: kafka.server.KafkaConfig
        level: WARN
      - name: org.apache.kafka.common.config.AbstractConfig
        level: WARN
    Root:
      level: INFO
      AppenderRef:
        - ref: STDOUT
"""


def new_cluster_id() -> str:
    """A KRaft cluster id: a random UUID in Kafka's URL-safe base64 form (22 characters)."""
    while True:
        cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        if not cluster_id.startswith("-"):  # Kafka refuses ids that look like a CLI flag
            return cluster_id


class KafkaServer(JvmServer):
    name = "kafka"

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.settings.kafka_port}"

    @property
    def ports(self) -> Sequence[int]:
        return (self.settings.kafka_port, self.settings.kafka_controller_port)

    def server_properties(self) -> str:
        port, controller_port = self.settings.kafka_port, self.settings.kafka_controller_port
        lines = {
            "process.roles": "broker,controller",
            "node.id": "1",
            "controller.quorum.voters": f"1@127.0.0.1:{controller_port}",
            "listeners": f"PLAINTEXT://127.0.0.1:{port},CONTROLLER://127.0.0.1:{controller_port}",
            "advertised.listeners": f"PLAINTEXT://127.0.0.1:{port}",
            "controller.listener.names": "CONTROLLER",
            "inter.broker.listener.name": "PLAINTEXT",
            "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
            "log.dirs": str(self.data_dir),
            # One node: every internal topic must fit on it.
            "offsets.topic.replication.factor": "1",
            "transaction.state.log.replication.factor": "1",
            "transaction.state.log.min.isr": "1",
            "share.coordinator.state.topic.replication.factor": "1",
            "share.coordinator.state.topic.min.isr": "1",
            # Tests join and leave consumer groups constantly; don't wait 3 s for more members.
            "group.initial.rebalance.delay.ms": "0",
            "num.partitions": "1",
            "auto.create.topics.enable": "true",
        }
        return "".join(f"{key}={value}\n" for key, value in lines.items())

    def prepare(self) -> LaunchCommand:
        java_home = find_java_home(KAFKA_MIN_JAVA, self.settings.kafka_java_home)
        jars = build_maven_project(
            "kafka",
            ["dependency:copy-dependencies", "-DoutputDirectory=lib", "-DincludeScope=runtime"],
            self.settings.home,
            self.settings.maven,
            java_home,
        )
        self.home.mkdir(parents=True, exist_ok=True)
        properties = self.home / "server.properties"
        properties.write_text(self.server_properties(), encoding="utf-8")
        log_config = self.home / "log4j2.yaml"
        log_config.write_text(LOG4J2_YAML, encoding="utf-8")
        java = str(java_home / "bin" / "java")
        classpath = f"{jars / 'lib'}/*"
        common = [f"-Dlog4j2.configurationFile={log_config}", "-cp", classpath]
        if not (self.data_dir / "meta.properties").exists():
            self._format_storage([java, *common], properties.as_posix())
        argv = [
            java,
            service_marker(self.name),
            "-Xms256m",
            f"-Xmx{self.settings.kafka_heap}",
            "-XX:+UseG1GC",
            *common,
            "kafka.Kafka",
            str(properties),
        ]
        return LaunchCommand(argv=argv, env=dict(os.environ), cwd=self.home)

    def _format_storage(self, java_with_classpath: list[str], properties: str) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        command = [
            *java_with_classpath,
            "kafka.tools.StorageTool",
            "format",
            "--cluster-id",
            new_cluster_id(),
            "--config",
            properties,
        ]
        result = subprocess.run(command, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            raise DevServiceError(
                f"formatting Kafka storage failed:\n{result.stdout}{result.stderr}"
            )

    def is_ready(self) -> bool:
        # kafka-python retries an unreachable bootstrap server for 30 s: knock first.
        if not port_accepts_connections(self.settings.kafka_port):
            return False
        try:
            admin = KafkaAdminClient(
                bootstrap_servers=self.address,
                client_id="newswire-dev-services",
                request_timeout_ms=3000,
            )
        except KafkaError:  # NoBrokersAvailable while the broker is still starting
            return False
        try:
            admin.describe_cluster()
        except KafkaError:
            return False
        finally:
            admin.close()
        return True
