"""Enrich's Prometheus metrics, in a registry of their own (several replicas per test process)."""

from dataclasses import dataclass, field

from prometheus_client import CollectorRegistry, Counter, Histogram


@dataclass
class EnrichMetrics:
    registry: CollectorRegistry = field(default_factory=CollectorRegistry)

    def __post_init__(self) -> None:
        prefix = "newswire_enrich"
        self.messages = Counter(
            f"{prefix}_messages", "Raw messages consumed and committed.", registry=self.registry
        )
        self.articles_enriched = Counter(
            f"{prefix}_articles_enriched",
            "Articles acknowledged on the enriched topic.",
            registry=self.registry,
        )
        self.dead_letters = Counter(
            f"{prefix}_dead_letters",
            "Messages or articles sent to the dead-letter topic.",
            ["error_type"],
            registry=self.registry,
        )
        self.batch_seconds = Histogram(
            f"{prefix}_batch_seconds",
            "Time to enrich, produce and commit one poll batch.",
            buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
            registry=self.registry,
        )
