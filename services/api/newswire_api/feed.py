"""The live feed's model: where a stream is in the index, as an event id a client sends back.

A stream (`GET /articles/stream`) delivers listings as they become searchable, read from the
index itself rather than kept in memory, so a client that reconnects with `Last-Event-ID`
receives everything that became searchable meanwhile, whichever API process answers it. A
listing becomes searchable in one of two ways, and a position records both:

- it is written: every write of a listing gets a higher **sequence** in the index than any
  before it (Elasticsearch's `_seq_no` on the one-shard index, SQLite's rowid of the `articles`
  table), so "after sequence S" is what was written since;
- its embargo passes: `visible_from` (already indexed) reaches the clock, so "embargoes lifted
  after E and up to now" is what became visible since, without any write.

SQLite gives a new row the largest rowid plus one, so a listing that replaces the newest one
(its story updated) gets the rowid of the row it replaced: the position also keeps a **tag** of
the row at its sequence (a hash of its story id, content and update time), and a row at that
same sequence with another tag is new. Elasticsearch never reuses a `_seq_no` (tag "").

Pure: no I/O. The back-ends answer `ArticleSearch.listed_after` with these types.
"""

import hashlib
import re
from dataclasses import dataclass

from newswire_api.responses import SearchHit

_EVENT_ID = re.compile(r"^(\d{1,19})-(\d{1,15})-([0-9a-f]{0,16})$")
TAG_HEX_DIGITS = 12


class InvalidEventIdError(ValueError):
    """A `Last-Event-ID` (or `last_event_id`) this API did not give."""

    def __init__(self, text: str) -> None:
        super().__init__(
            f"Last-Event-ID {text[:80]!r} is not an id of this stream's events: send the `id` "
            "of the last event received, or none to start from now"
        )


@dataclass(frozen=True)
class FeedPosition:
    """Everything before this has been delivered: listings written up to `sequence` (the row
    there tagged `tag`), and embargoes lifted up to `embargoes_until_ms`."""

    sequence: int
    embargoes_until_ms: int
    tag: str = ""

    @property
    def event_id(self) -> str:
        return f"{self.sequence}-{self.embargoes_until_ms}-{self.tag}"

    @classmethod
    def from_event_id(cls, text: str) -> "FeedPosition":
        found = _EVENT_ID.match(text.strip())
        if found is None:
            raise InvalidEventIdError(text)
        return cls(int(found[1]), int(found[2]), found[3])


@dataclass(frozen=True)
class FeedEvent:
    """A listing that became searchable, with the position just past it."""

    position: FeedPosition
    hit: SearchHit


@dataclass(frozen=True)
class FeedPage:
    """What became searchable after a position, in order, and the position after all of it
    (which moves on even without events: the embargoes checked up to now)."""

    events: list[FeedEvent]
    position: FeedPosition
    more: bool  # the page was cut at its limit: ask again at once


def row_tag(story_id: str, content_sha256: str, updated: str | None) -> str:
    """What tells two rows at the same SQLite rowid apart (see the module's docstring)."""
    text = f"{story_id}\x00{content_sha256}\x00{updated or ''}"
    return hashlib.sha256(text.encode()).hexdigest()[:TAG_HEX_DIGITS]
