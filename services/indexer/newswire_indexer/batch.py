"""Collecting enriched articles into bulk batches bounded by count, bytes and time.

Pure logic, no I/O: the service adds consumed messages and asks when to flush; the batch knows
which offsets become committable once it is written.
"""

import time
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class BatchPolicy:
    max_docs: int
    max_bytes: int
    max_wait_s: float


@dataclass(frozen=True)
class PendingDocument:
    """One consumed message on its way into the index."""

    article_id: str
    source: bytes  # the enriched article's JSON, exactly as consumed
    topic: str
    partition: int
    offset: int


@dataclass
class Batch:
    policy: BatchPolicy
    clock: Callable[[], float] = time.monotonic
    documents: list[PendingDocument] = field(default_factory=list)
    size_bytes: int = 0
    opened_at: float | None = None
    _next_offsets: dict[tuple[str, int], int] = field(default_factory=dict)

    def add(self, document: PendingDocument) -> None:
        self._open()
        self.documents.append(document)
        self.size_bytes += len(document.source)
        self._advance(document.topic, document.partition, document.offset)

    def skip(self, topic: str, partition: int, offset: int) -> None:
        """Count a message that is handled otherwise (dead-lettered) toward the batch's offsets."""
        self._open()
        self._advance(topic, partition, offset)

    def _open(self) -> None:
        if self.opened_at is None:
            self.opened_at = self.clock()

    def _advance(self, topic: str, partition: int, offset: int) -> None:
        key = (topic, partition)
        self._next_offsets[key] = max(self._next_offsets.get(key, 0), offset + 1)

    def __len__(self) -> int:
        return len(self.documents)

    def is_empty(self) -> bool:
        return self.opened_at is None

    def is_full(self) -> bool:
        return (
            len(self.documents) >= self.policy.max_docs or self.size_bytes >= self.policy.max_bytes
        )

    def seconds_until_due(self) -> float | None:
        """How long until the oldest document has waited long enough; None when empty."""
        if self.opened_at is None:
            return None
        return max(0.0, self.opened_at + self.policy.max_wait_s - self.clock())

    def is_due(self) -> bool:
        due_in = self.seconds_until_due()
        return self.is_full() or (due_in is not None and due_in == 0.0)

    def committable_offsets(self) -> dict[tuple[str, int], int]:
        """Per (topic, partition), the offset to commit once every message here is handled."""
        return dict(self._next_offsets)

    def clear(self) -> None:
        self.documents = []
        self.size_bytes = 0
        self.opened_at = None
        self._next_offsets = {}
