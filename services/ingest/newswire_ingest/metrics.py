"""Ingest's Prometheus metrics, in a registry of their own (several services per test process)."""

from dataclasses import dataclass, field

from prometheus_client import CollectorRegistry, Counter


@dataclass
class IngestMetrics:
    registry: CollectorRegistry = field(default_factory=CollectorRegistry)

    def __post_init__(self) -> None:
        prefix = "newswire_ingest"
        self.files_seen = Counter(
            f"{prefix}_files_seen",
            "Complete files taken from the inbox (again after a Kafka error).",
            registry=self.registry,
        )
        self.files_published = Counter(
            f"{prefix}_files_published",
            "Files acknowledged on the raw topic and moved out of the inbox.",
            registry=self.registry,
        )
        self.bytes_published = Counter(
            f"{prefix}_bytes_published", "Bytes of the published files.", registry=self.registry
        )
        self.files_failed = Counter(
            f"{prefix}_files_failed",
            "Files refused, dead-lettered and moved to the failed area.",
            ["error_type"],
            registry=self.registry,
        )
        self.publish_errors = Counter(
            f"{prefix}_publish_errors",
            "Sends Kafka did not acknowledge; their files stay in the inbox for another try.",
            registry=self.registry,
        )
