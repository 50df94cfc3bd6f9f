"""Ingest's Prometheus metrics, in a registry of their own (several services per test process)."""

from dataclasses import dataclass, field

from prometheus_client import CollectorRegistry, Counter

PREFIX = "newswire_ingest"
FILES_PUBLISHED = f"{PREFIX}_files_published"
FILES_FAILED = f"{PREFIX}_files_failed"
# What the status line of `newswire run|up|status` shows of ingest: sample name → label.
STATUS_FIGURES = {f"{FILES_PUBLISHED}_total": "published", f"{FILES_FAILED}_total": "failed"}


@dataclass
class IngestMetrics:
    registry: CollectorRegistry = field(default_factory=CollectorRegistry)

    def __post_init__(self) -> None:
        self.files_seen = Counter(
            f"{PREFIX}_files_seen",
            "Complete files taken from the inbox (again after an event-log error).",
            registry=self.registry,
        )
        self.files_published = Counter(
            FILES_PUBLISHED,
            "Files acknowledged on the raw topic and moved out of the inbox.",
            registry=self.registry,
        )
        self.bytes_published = Counter(
            f"{PREFIX}_bytes_published", "Bytes of the published files.", registry=self.registry
        )
        self.files_failed = Counter(
            FILES_FAILED,
            "Files refused, dead-lettered and moved to the failed area.",
            ["error_type"],
            registry=self.registry,
        )
        self.file_errors = Counter(
            f"{PREFIX}_file_errors",
            "Files left in the inbox after an error reading (`read`) or moving (`move`) them; "
            "each is tried again later.",
            ["step"],
            registry=self.registry,
        )
        self.watcher_restarts = Counter(
            f"{PREFIX}_watcher_restarts",
            "Times file-system events stopped and their watcher was started again.",
            registry=self.registry,
        )
        self.dead_letter_errors = Counter(
            f"{PREFIX}_dead_letter_errors",
            "Errors following the dead-letter topic (reading it, or moving a refused file); each "
            "is retried.",
            registry=self.registry,
        )
        self.publish_errors = Counter(
            f"{PREFIX}_publish_errors",
            "Sends the event log did not acknowledge; their files stay in the inbox for another "
            "try.",
            registry=self.registry,
        )
