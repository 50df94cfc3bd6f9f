"""Enrich's Prometheus metrics, in a registry of their own (several replicas per test process)."""

from dataclasses import dataclass, field

from prometheus_client import CollectorRegistry, Counter, Histogram

PREFIX = "newswire_enrich"
ARTICLES_ENRICHED = f"{PREFIX}_articles_enriched"
DEAD_LETTERS = f"{PREFIX}_dead_letters"
# What the status line of `newswire run|up|status` shows of enrich: sample name → label.
STATUS_FIGURES = {f"{ARTICLES_ENRICHED}_total": "enriched", f"{DEAD_LETTERS}_total": "dead letters"}


@dataclass
class EnrichMetrics:
    registry: CollectorRegistry = field(default_factory=CollectorRegistry)

    def __post_init__(self) -> None:
        self.messages = Counter(
            f"{PREFIX}_messages", "Raw messages consumed and committed.", registry=self.registry
        )
        self.articles_enriched = Counter(
            ARTICLES_ENRICHED,
            "Articles acknowledged on the enriched topic.",
            registry=self.registry,
        )
        self.dead_letters = Counter(
            DEAD_LETTERS,
            "Messages or articles sent to the dead-letter topic.",
            ["error_type"],
            registry=self.registry,
        )
        self.batch_seconds = Histogram(
            f"{PREFIX}_batch_seconds",
            "Time to enrich, produce and commit one poll batch.",
            buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
            registry=self.registry,
        )
