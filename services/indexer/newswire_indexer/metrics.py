"""The indexer's Prometheus metrics, in a registry of their own (several indexers per test)."""

from dataclasses import dataclass, field

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

PREFIX = "newswire_indexer"
DOCUMENTS_INDEXED = f"{PREFIX}_documents_indexed"
CONSUMER_LAG = f"{PREFIX}_consumer_lag"
DEAD_LETTERS = f"{PREFIX}_dead_letters"
# What the status line of `newswire run|up|status` shows of the indexer: sample name → label.
STATUS_FIGURES = {
    f"{DOCUMENTS_INDEXED}_total": "indexed",
    CONSUMER_LAG: "lag",
    f"{DEAD_LETTERS}_total": "dead letters",
}


@dataclass
class IndexerMetrics:
    registry: CollectorRegistry = field(default_factory=CollectorRegistry)

    def __post_init__(self) -> None:
        self.documents_indexed = Counter(
            DOCUMENTS_INDEXED,
            "Messages taken into the search index (versions and tombstones).",
            registry=self.registry,
        )
        self.superseded = Counter(
            f"{PREFIX}_superseded_versions",
            "Versions that arrived after a later version of their story (kept in its history).",
            registry=self.registry,
        )
        self.batches = Counter(f"{PREFIX}_batches", "Batches written.", registry=self.registry)
        self.refreshes = Counter(
            f"{PREFIX}_refreshes",
            "Requests to make written documents searchable at once (after a batch that was not "
            "full).",
            registry=self.registry,
        )
        self.retries = Counter(
            f"{PREFIX}_retries",
            "Batch writes retried after a transient error.",
            registry=self.registry,
        )
        self.dead_letters = Counter(
            DEAD_LETTERS,
            "Messages sent to the dead-letter topic.",
            ["error_type"],
            registry=self.registry,
        )
        self.consumer_lag = Gauge(
            CONSUMER_LAG,
            "Messages not yet consumed, all partitions.",
            registry=self.registry,
        )
        self.batch_seconds = Histogram(
            f"{PREFIX}_batch_seconds",
            "Time to write one batch, retries included.",
            buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
            registry=self.registry,
        )
