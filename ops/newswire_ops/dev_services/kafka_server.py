"""A single-node Apache Kafka 4 (KRaft: broker and controller in one JVM) on 127.0.0.1, plain or
secured.

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
    ServiceStatus,
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
            new_cluster_id(),
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
        # kafka-python retries an unreachable bootstrap server for 30 s: knock first.
        if not port_accepts_connections(self.settings.kafka_port):
            return False
        try:
            admin = new_admin(
                self.admin_settings(),
                client_id="newswire-dev-services",
                request_timeout_ms=3000,
            )
        except EventLogError:  # no answer yet while the broker is still starting
            return False
        try:
            admin.describe_cluster()
        except KafkaError:
            return False
        finally:
            admin.close()
        return True


class SecureKafkaServer(KafkaServer):
    secure = True

    def __init__(self, settings: DevServicesSettings) -> None:
        super().__init__(settings)
        self.credentials = DevCredentials(settings)

    @property
    def ports(self) -> Sequence[int]:
        return (*super().ports, self.settings.kafka_tls_port)

    def server_properties(self) -> str:
        authority = self.credentials.authority()
        server = authority.server_pair()
        keystore_password = self.credentials.password("kafka-keystore")
        keystore = authority.pkcs12_keystore(server, keystore_password)
        port, tls_port = self.settings.kafka_port, self.settings.kafka_tls_port
        controller_port = self.settings.kafka_controller_port
        lines = {
            "process.roles": "broker,controller",
            "node.id": "1",
            "controller.quorum.voters": f"1@127.0.0.1:{controller_port}",
            "listeners": f"SASL_SSL://127.0.0.1:{port},MTLS://127.0.0.1:{tls_port},"
            f"CONTROLLER://127.0.0.1:{controller_port}",
            "advertised.listeners": f"SASL_SSL://127.0.0.1:{port},MTLS://127.0.0.1:{tls_port}",
            "controller.listener.names": "CONTROLLER",
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
            "log.dirs": str(self.data_dir),
            "offsets.topic.replication.factor": "1",
            "transaction.state.log.replication.factor": "1",
            "transaction.state.log.min.isr": "1",
            "share.coordinator.state.topic.replication.factor": "1",
            "share.coordinator.state.topic.min.isr": "1",
            "group.initial.rebalance.delay.ms": "0",
            "num.partitions": "1",
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

    def up(self, fresh: bool = False) -> ServiceStatus:
        status = super().up(fresh=fresh)
        self.grant(Settings())
        return status

    def grant(self, settings: Settings) -> None:
        """Create the ACLs of `access.kafka_grants` for `settings`' topics and groups."""
        grant_kafka_acls(self.admin_settings(), settings)
