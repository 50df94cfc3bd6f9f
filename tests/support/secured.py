"""A secured Kafka and Elasticsearch of the tests' own (`newswire dev-services up --secure` in a
dev home of their own, on free ports), and what a client needs to reach them as one identity.

Started once per session by the `secured_servers` fixture and stopped at its end; they never
touch the plain servers the other tests use.
"""

import os
from dataclasses import dataclass
from pathlib import Path

from newswire.settings import DevServicesSettings, Settings
from newswire_ops.dev_services.commands import CONNECTION_VARIABLES, client_environment
from newswire_ops.dev_services.credentials import DevCredentials
from newswire_ops.dev_services.elasticsearch_node import SecureElasticsearchNode
from newswire_ops.dev_services.kafka_server import SecureKafkaServer
from newswire_ops.dev_services.server import free_port

SERVER_VARIABLES = {name for names in CONNECTION_VARIABLES.values() for name in names}


def secured_dev_settings(home: Path) -> DevServicesSettings:
    return DevServicesSettings(
        home=home,
        kafka_port=free_port(),
        kafka_controller_port=free_port(),
        kafka_tls_port=free_port(),
        elasticsearch_port=free_port(),
        elasticsearch_transport_port=free_port(),
        elasticsearch_heap="512m",
    )


@dataclass
class SecuredServers:
    settings: DevServicesSettings
    kafka: SecureKafkaServer
    elasticsearch: SecureElasticsearchNode

    @classmethod
    def start(cls, home: Path) -> "SecuredServers":
        settings = secured_dev_settings(home)
        servers = cls(settings, SecureKafkaServer(settings), SecureElasticsearchNode(settings))
        servers.kafka.up()
        try:
            servers.elasticsearch.up()
        except BaseException:
            servers.kafka.down()
            raise
        return servers

    def stop(self) -> None:
        self.elasticsearch.down()
        self.kafka.down()

    @property
    def credentials(self) -> DevCredentials:
        return DevCredentials(self.settings)

    @property
    def ca_file(self) -> Path:
        return self.credentials.authority().certificate_file

    def password(self, identity: str) -> str:
        return self.credentials.password(identity)

    def secrets(self) -> list[str]:
        """Every password and private key of the dev home: what no log may contain."""
        found = list(self.credentials.passwords().values())
        found.append(self.password("kafka-keystore"))
        return found

    def environment(self, identity: str) -> dict[str, str]:
        """What `newswire dev-services env --user <identity>` exports."""
        return {
            **client_environment(self.kafka, identity),
            **client_environment(self.elasticsearch, identity),
        }

    def process_environment(self, identity: str, **more: str) -> dict[str, str]:
        """This process's environment without any server settings, plus `identity`'s."""
        base = {k: v for k, v in os.environ.items() if k not in SERVER_VARIABLES}
        base.pop("NEWSWIRE_EVENT_LOG", None)
        base.pop("NEWSWIRE_SEARCH_INDEX", None)
        return {**base, **self.environment(identity), **more}

    def client_settings(self, identity: str, **overrides: object) -> Settings:
        """Settings of a client connecting as `identity`, every connection setting given (none
        from this process's environment)."""
        password_file = self.credentials.password_file(identity)
        values: dict[str, object] = {
            "kafka_bootstrap_servers": self.kafka.address,
            "kafka_security_protocol": "SASL_SSL",
            "kafka_sasl_mechanism": "SCRAM-SHA-512",
            "kafka_sasl_username": identity,
            "kafka_sasl_password": None,
            "kafka_sasl_password_file": password_file,
            "kafka_ssl_cafile": self.ca_file,
            "kafka_ssl_certfile": None,
            "kafka_ssl_keyfile": None,
            "kafka_ssl_key_password": None,
            "kafka_ssl_key_password_file": None,
            "kafka_ssl_check_hostname": True,
            "elasticsearch_url": self.elasticsearch.address,
            "elasticsearch_ca_certs": self.ca_file,
            "elasticsearch_ssl_assert_fingerprint": None,
            "elasticsearch_api_key": None,
            "elasticsearch_api_key_file": None,
            "elasticsearch_username": identity,
            "elasticsearch_password": None,
            "elasticsearch_password_file": password_file,
        }
        return Settings.model_validate(values | overrides)
