"""Apache Kafka 4 on 127.0.0.1 (KRaft: each node a broker and a controller in one JVM), one
broker or a cluster of them (`up --brokers N`), plain or secured.

A cluster's nodes are the voters of a static quorum (`controller.quorum.voters`: all of them, so
it takes a majority alive to elect a controller) and share one cluster id, kept in the dev home
so a node formatted later joins the same cluster. Broker k listens on the single broker's ports
plus 100*k; internal topics get min(3, brokers) replicas, and a cluster of 3 or more asks for
2 in sync, so a dev cluster loses no acknowledged message with one broker.

Secured (`SecureKafkaServer`, `newswire dev-services up --secure`): clients connect with SASL_SSL
(SCRAM-SHA-512, one user per identity of `access`, made when the storage is formatted) or, on a
second port, with mutual TLS (a certificate's CN is the user name); the controller listener
takes only the broker's own certificate. The ACL authorizer allows nothing but what `access`
grants (`admin` and the broker are super users).
"""

import base64
import os
import subprocess
import uuid
from collections.abc import Sequence
from pathlib import Path

from kafka.errors import KafkaError

from newswire.adapters.kafka import new_admin
from newswire.event_log import EventLogError
from newswire.settings import DevServicesSettings, Settings
from newswire_ops.access import ADMIN, grant_kafka_acls
from newswire_ops.dev_services.certificates import SERVER_NAME
from newswire_ops.dev_services.credentials import DevCredentials
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
BROKER_PORT_STEP = 100  # broker k of a cluster listens on the first broker's ports + 100*k

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
    service = "kafka"

    @staticmethod
    def cluster_size(settings: DevServicesSettings) -> int:
        return settings.kafka_brokers

    @property
    def port_offset(self) -> int:
        return BROKER_PORT_STEP * self.node

    @property
    def port(self) -> int:
        return self.settings.kafka_port + self.port_offset

    @property
    def controller_port(self) -> int:
        return self.settings.kafka_controller_port + self.port_offset

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def ports(self) -> Sequence[int]:
        return (self.port, self.controller_port)

    @property
    def node_id(self) -> int:
        # The single broker keeps the id it always had; a cluster's node k is k.
        return 1 if self.nodes == 1 else self.node

    def quorum_voters(self) -> str:
        """`controller.quorum.voters`: every node of the cluster, by id and controller port."""
        if self.nodes == 1:
            return f"1@127.0.0.1:{self.controller_port}"
        step, base = BROKER_PORT_STEP, self.settings.kafka_controller_port
        return ",".join(f"{k}@127.0.0.1:{base + step * k}" for k in range(self.nodes))

    def cluster_properties(self) -> dict[str, str]:
        """What every node says of the cluster: its roles, id, quorum and replication."""
        replicas, in_sync = str(min(3, self.nodes)), str(min(2, self.nodes))
        properties = {
            "process.roles": "broker,controller",
            "node.id": str(self.node_id),
            "controller.quorum.voters": self.quorum_voters(),
            "controller.listener.names": "CONTROLLER",
            "log.dirs": str(self.data_dir),
            # Every internal topic must fit on the brokers there are.
            "offsets.topic.replication.factor": replicas,
            "transaction.state.log.replication.factor": replicas,
            "transaction.state.log.min.isr": in_sync,
            "share.coordinator.state.topic.replication.factor": replicas,
            "share.coordinator.state.topic.min.isr": in_sync,
        }
        if self.nodes > 1:
            properties |= {"default.replication.factor": replicas, "min.insync.replicas": in_sync}
        # Tests join and leave consumer groups constantly; don't wait 3 s for more members.
        return properties | {"group.initial.rebalance.delay.ms": "0", "num.partitions": "1"}

    def server_properties(self) -> str:
        port, controller_port = self.port, self.controller_port
        lines = {
            **self.cluster_properties(),
            "listeners": f"PLAINTEXT://127.0.0.1:{port},CONTROLLER://127.0.0.1:{controller_port}",
            "advertised.listeners": f"PLAINTEXT://127.0.0.1:{port}",
            "inter.broker.listener.name": "PLAINTEXT",
            "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
            "auto.create.topics.enable": "true",
        }
        return "".join(f"{key}={value}\n" for key, value in lines.items())

    @property
    def cluster_id_file(self) -> Path:
        """Where a cluster's id is kept, for every node to format its storage with."""
        return self.settings.home / f"kafka{'-secure' if self.secure else ''}-cluster.id"

    def cluster_id(self) -> str:
        """The id to format this node's storage with: a new one for a single broker, the
        cluster's (made by the first node formatted) for a cluster's node."""
        if self.nodes == 1:
            return new_cluster_id()
        try:
            return self.cluster_id_file.read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            cluster_id = new_cluster_id()
            self.cluster_id_file.parent.mkdir(parents=True, exist_ok=True)
            self.cluster_id_file.write_text(f"{cluster_id}\n", encoding="utf-8")
            return cluster_id

    def _check_formatted_for_this_quorum(self, properties: Path) -> None:
        """A node's storage formatted for another quorum would never join this one: say so."""
        if not (self.data_dir / "meta.properties").exists() or not properties.exists():
            return
        old = dict(
            line.split("=", 1) for line in properties.read_text().splitlines() if "=" in line
        )
        before = old.get("controller.quorum.voters", "").count("@")
        if before and before != self.nodes:
            raise DevServiceError(
                f"{self.name}: its storage was formatted for a quorum of {before}, not "
                f"{self.nodes}: `newswire dev-services up --fresh` wipes it"
            )

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
        self._check_formatted_for_this_quorum(properties)
        properties.write_text(self.server_properties(), encoding="utf-8")
        log_config = self.home / "log4j2.yaml"
        log_config.write_text(LOG4J2_YAML, encoding="utf-8")
        java = str(java_home / "bin" / "java")
        classpath = f"{jars / 'lib'}/*"
        common = [f"-Dlog4j2.configurationFile={log_config}", "-cp", classpath]
        if not (self.data_dir / "meta.properties").exists():
            self._format_storage([java, *common], properties.as_posix(), self.format_options())
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

    def format_options(self) -> list[str]:
        """More options of `kafka-storage format` (the secured server's SCRAM users)."""
        return []

    def _format_storage(
        self, java_with_classpath: list[str], properties: str, options: list[str]
    ) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        command = [
            *java_with_classpath,
            "kafka.tools.StorageTool",
            "format",
            "--cluster-id",
            self.cluster_id(),
            "--config",
            properties,
            *options,
        ]
        result = subprocess.run(command, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            raise DevServiceError(
                f"formatting Kafka storage failed:\n{result.stdout}{result.stderr}"
            )

    def admin_settings(self) -> Settings:
        """What an administrator's client connects with."""
        return Settings(kafka_bootstrap_servers=self.address, kafka_security_protocol="PLAINTEXT")

    def is_ready(self) -> bool:
        return self.cluster_members() is not None

    def cluster_members(self) -> int | None:
        """The live (unfenced) brokers this broker knows of; None while it does not answer."""
        # kafka-python retries an unreachable bootstrap server for 30 s: knock first.
        if not port_accepts_connections(self.port):
            return None
        try:
            admin = new_admin(
                self.admin_settings(),
                client_id="newswire-dev-services",
                request_timeout_ms=3000,
            )
        except EventLogError:  # no answer yet while the broker is still starting
            return None
        try:
            brokers = admin.describe_cluster()["brokers"]
        except KafkaError:
            return None
        finally:
            admin.close()
        # A broker killed stays listed, fenced, until it comes back.
        return sum(1 for broker in brokers if not broker.get("is_fenced"))


class SecureKafkaServer(KafkaServer):
    secure = True

    def __init__(self, settings: DevServicesSettings, node: int = 0) -> None:
        super().__init__(settings, node)
        self.credentials = DevCredentials(settings)

    @property
    def tls_port(self) -> int:
        return self.settings.kafka_tls_port + self.port_offset

    @property
    def ports(self) -> Sequence[int]:
        return (*super().ports, self.tls_port)

    def server_properties(self) -> str:
        authority = self.credentials.authority()
        server = authority.server_pair()
        keystore_password = self.credentials.password("kafka-keystore")
        keystore = authority.pkcs12_keystore(server, keystore_password)
        port, tls_port, controller_port = self.port, self.tls_port, self.controller_port
        lines = {
            **self.cluster_properties(),
            "listeners": f"SASL_SSL://127.0.0.1:{port},MTLS://127.0.0.1:{tls_port},"
            f"CONTROLLER://127.0.0.1:{controller_port}",
            "advertised.listeners": f"SASL_SSL://127.0.0.1:{port},MTLS://127.0.0.1:{tls_port}",
            "inter.broker.listener.name": "MTLS",
            "listener.security.protocol.map": "SASL_SSL:SASL_SSL,MTLS:SSL,CONTROLLER:SSL",
            "sasl.enabled.mechanisms": "SCRAM-SHA-512",
            "listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config": (
                "org.apache.kafka.common.security.scram.ScramLoginModule required;"
            ),
            "ssl.keystore.type": "PKCS12",
            "ssl.keystore.location": str(keystore),
            "ssl.keystore.password": keystore_password,
            "ssl.key.password": keystore_password,
            "ssl.truststore.type": "PEM",
            "ssl.truststore.location": str(authority.certificate_file),
            # Certificates are asked for where they are the credential, nowhere else.
            "listener.name.mtls.ssl.client.auth": "required",
            "listener.name.controller.ssl.client.auth": "required",
            # A certificate's CN is its user name, so certificate and password users share ACLs.
            "ssl.principal.mapping.rules": "RULE:^CN=([^,]+)$/$1/,DEFAULT",
            "authorizer.class.name": "org.apache.kafka.metadata.authorizer.StandardAuthorizer",
            "allow.everyone.if.no.acl.found": "false",
            "super.users": f"User:{ADMIN};User:{SERVER_NAME}",
            # Topics are made by the services (ACL: CREATE), never by a reader's metadata request.
            "auto.create.topics.enable": "false",
        }
        return "".join(f"{key}={value}\n" for key, value in lines.items())

    def prepare(self) -> LaunchCommand:
        launch = super().prepare()
        # The broker's properties hold the keystore's password.
        (self.home / "server.properties").chmod(0o600)
        return launch

    def format_options(self) -> list[str]:
        return [
            option
            for identity, password in self.credentials.passwords().items()
            for option in ("--add-scram", f"SCRAM-SHA-512=[name={identity},password={password}]")
        ]

    def client_environment(self, identity: str) -> dict[str, str]:
        return {
            "KAFKA_BOOTSTRAP_SERVERS": self.address,
            "NEWSWIRE_KAFKA_SECURITY_PROTOCOL": "SASL_SSL",
            "NEWSWIRE_KAFKA_SASL_MECHANISM": "SCRAM-SHA-512",
            "NEWSWIRE_KAFKA_SASL_USERNAME": identity,
            "NEWSWIRE_KAFKA_SASL_PASSWORD_FILE": str(self.credentials.password_file(identity)),
            "NEWSWIRE_KAFKA_SSL_CAFILE": str(self.credentials.authority().certificate_file),
        }

    def admin_settings(self) -> Settings:
        # Every connection setting given, so none comes from the environment of the command.
        return Settings(
            kafka_bootstrap_servers=self.address,
            kafka_security_protocol="SASL_SSL",
            kafka_sasl_mechanism="SCRAM-SHA-512",
            kafka_sasl_username=ADMIN,
            kafka_sasl_password=None,
            kafka_sasl_password_file=self.credentials.password_file(ADMIN),
            kafka_ssl_cafile=self.credentials.authority().certificate_file,
            kafka_ssl_certfile=None,
            kafka_ssl_keyfile=None,
            kafka_ssl_key_password=None,
            kafka_ssl_key_password_file=None,
            kafka_ssl_check_hostname=True,
        )

    def on_ready(self) -> None:
        # ACLs live in the cluster's metadata: granted once, through any broker.
        self.grant(Settings())

    def grant(self, settings: Settings) -> None:
        """Create the ACLs of `access.kafka_grants` for `settings`' topics and groups."""
        grant_kafka_acls(self.admin_settings(), settings)
