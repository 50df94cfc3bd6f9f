"""Typed configuration for Newswire: every knob has a default and an environment variable.

`Settings` configures the pipeline services; `DevServicesSettings` configures the local Kafka and
Elasticsearch that `newswire dev-services` starts on machines without Docker. Both are read once
at start-up, so a service's behaviour never depends on the environment changing under it.
"""

from pathlib import Path

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Where the pipeline finds Kafka and Elasticsearch, and the names of its topics."""

    model_config = SettingsConfigDict(env_prefix="NEWSWIRE_", extra="ignore", validate_by_name=True)

    # The bare names are what Kafka and Elasticsearch tooling conventionally read, so they win.
    kafka_bootstrap_servers: str = Field(
        default="127.0.0.1:9092",
        validation_alias=AliasChoices(
            "KAFKA_BOOTSTRAP_SERVERS", "NEWSWIRE_KAFKA_BOOTSTRAP_SERVERS"
        ),
        description="Comma-separated host:port list of Kafka brokers.",
    )
    elasticsearch_url: str = Field(
        default="http://127.0.0.1:9200",
        validation_alias=AliasChoices("ELASTICSEARCH_URL", "NEWSWIRE_ELASTICSEARCH_URL"),
        description="Base URL of the Elasticsearch cluster.",
    )
    raw_topic: str = Field(default="articles.raw", description="Topic of raw articles.")
    enriched_topic: str = Field(
        default="articles.enriched", description="Topic of enriched articles (public contract)."
    )
    dlq_topic: str = Field(default="articles.dlq", description="Dead-letter topic.")
    topic_partitions: int = Field(
        default=3,
        description="Partitions of topics Newswire creates (the most replicas per stage).",
    )
    topic_replication_factor: int = Field(
        default=1, description="Replication factor of topics Newswire creates; 3 in production."
    )


class DevServicesSettings(BaseSettings):
    """The local single-node Kafka and Elasticsearch started from Maven Central jars."""

    model_config = SettingsConfigDict(env_prefix="NEWSWIRE_DEV_", extra="ignore")

    home: Path = Field(
        default=Path.home() / ".cache" / "newswire",
        description="Jars, data, logs and pid files; outside the repository on purpose.",
    )
    kafka_port: int = Field(default=9092, description="Kafka client (PLAINTEXT) port.")
    kafka_controller_port: int = Field(default=9093, description="KRaft controller port.")
    kafka_heap: str = Field(default="512m", description="Kafka JVM heap (-Xmx).")
    kafka_java_home: Path | None = Field(
        default=None, description="JDK 17+ for Kafka; default: JAVA_HOME, then `java` on PATH."
    )
    elasticsearch_port: int = Field(default=9200, description="Elasticsearch HTTP port.")
    elasticsearch_transport_port: int = Field(
        default=9300, description="Elasticsearch transport port (bound to loopback)."
    )
    elasticsearch_heap: str = Field(default="1g", description="Elasticsearch JVM heap.")
    elasticsearch_java_home: Path | None = Field(
        default=None,
        description="JDK 21+ for Elasticsearch; default: the newest one under /usr/lib/jvm.",
    )
    startup_timeout_s: float = Field(
        default=180.0, description="How long `up` waits for readiness."
    )
    maven: str = Field(default="mvn", description="Maven executable used to fetch the jars.")
