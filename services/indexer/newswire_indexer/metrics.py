"""The indexer's Prometheus metrics, in a registry of their own (several indexers per test)."""

from dataclasses import dataclass, field

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram


@dataclass
class IndexerMetrics:
    registry: CollectorRegistry = field(default_factory=CollectorRegistry)

    def __post_init__(self) -> None:
        prefix = "newswire_indexer"
        self.documents_indexed = Counter(
            f"{prefix}_documents_indexed",
            "Documents written to Elasticsearch.",
            registry=self.registry,
        )
        self.batches = Counter(f"{prefix}_batches", "Bulk batches written.", registry=self.registry)
        self.retries = Counter(
            f"{prefix}_retries",
            "Bulk attempts retried after a transient error.",
            registry=self.registry,
        )
        self.dead_letters = Counter(
            f"{prefix}_dead_letters",
            "Messages sent to the dead-letter topic.",
            ["error_type"],
            registry=self.registry,
        )
        self.consumer_lag = Gauge(
            f"{prefix}_consumer_lag",
            "Messages not yet consumed, all partitions.",
            registry=self.registry,
        )
        self.batch_seconds = Histogram(
            f"{prefix}_batch_seconds",
            "Time to write one batch, retries included.",
            buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
            registry=self.registry,
        )
