"""What the indexer needs from a search index: write a batch, report what it refused.

`BulkWriter` (bulk.py) writes to Elasticsearch with the bulk API; `EmbeddedDocumentWriter`
(embedded_writer.py) writes to the SQLite FTS5 index of the embedded mode. Both keep one story per
key with the same rules (`newswire_indexer.stories`): a version replaces the story's current one
only when it is at least as late (`version_order`), so replays and late older versions change
nothing but the history; both retry what is transient themselves.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from newswire_indexer.batch import PendingDocument


@dataclass(frozen=True)
class Rejection:
    """A document the index will never take as it is; it goes to the dead-letter topic."""

    document: PendingDocument
    status: int  # HTTP-like: 400 for a document the index refuses
    error_type: str
    reason: str


@dataclass(frozen=True)
class BulkOutcome:
    indexed: int  # messages taken (a late older version is taken into the history only)
    rejected: list[Rejection]
    superseded: int = 0  # versions that arrived after a later version of their story


class DocumentWriter(Protocol):
    def write(
        self, documents: Sequence[PendingDocument], wait: Callable[[float], None]
    ) -> BulkOutcome:
        """Index `documents`, retrying transient failures without limit (`wait(seconds)` passes
        the time between tries); returns once each is indexed or rejected."""
        ...

    def make_visible(self) -> None:
        """Make what was written searchable now rather than at the index's next periodic
        refresh; best effort (a failure leaves it to that refresh)."""
        ...

    def close(self) -> None: ...
