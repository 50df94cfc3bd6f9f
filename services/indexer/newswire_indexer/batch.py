"""Collecting enriched articles into bulk batches bounded by count, bytes and time.

Pure logic, no I/O: the service adds consumed messages and asks when to flush. Which offsets
become committable once a batch is written is its checkpoint's business (`newswire.checkpoint`).
"""

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from newswire.event_log import Record


@dataclass(frozen=True)
class BatchPolicy:
    max_docs: int
    max_bytes: int
    max_wait_s: float


@dataclass(frozen=True)
class PendingDocument:
    """One consumed message on its way into the index: a version of a story, or a tombstone."""

    article_id: str  # the key: the story's id
    source: bytes | None  # the enriched article's JSON, exactly as consumed; None: a tombstone
    topic: str
    partition: int
    offset: int

    @classmethod
    def from_record(cls, record: Record) -> "PendingDocument | None":
        """The consumed message as a document; None when it has no key (the story id). A
        message without a value is a tombstone: it deletes the story."""
        if not record.key:
            return None
        article_id = record.key.decode("utf-8", "replace")
        return cls(article_id, record.value, record.topic, record.partition, record.offset)

    @property
    def is_tombstone(self) -> bool:
        return self.source is None

    @property
    def size_bytes(self) -> int:
        return len(self.source or b"") + len(self.article_id)

    # The message's key and value, so a document the index refuses is dead-lettered as a record.
    @property
    def key(self) -> bytes:
        return self.article_id.encode()

    @property
    def value(self) -> bytes | None:
        return self.source


@dataclass
class Batch:
    policy: BatchPolicy
    clock: Callable[[], float] = time.monotonic
    documents: list[PendingDocument] = field(default_factory=list)
    size_bytes: int = 0
    opened_at: float | None = None

    def add(self, document: PendingDocument) -> None:
        self._open()
        self.documents.append(document)
        self.size_bytes += document.size_bytes

    def skip(self) -> None:
        """Count a message that is handled otherwise (dead-lettered): the batch is open, so it
        is completed, and that message's offset committed, when it is due."""
        self._open()

    def _open(self) -> None:
        if self.opened_at is None:
            self.opened_at = self.clock()

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

    def clear(self) -> None:
        self.documents = []
        self.size_bytes = 0
        self.opened_at = None
