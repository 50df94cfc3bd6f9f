"""The live feed's model: where a stream is in the index, as an event id a client sends back.

A stream (`GET /articles/stream`) delivers listings as they become searchable, read from the
index itself rather than kept in memory, so a client that reconnects with `Last-Event-ID`
receives everything that became searchable meanwhile, whichever API process answers it. A
listing becomes searchable in one of two ways, and a position records both:

- it is written: every write of a listing gets a higher **sequence** in the index than any
  before it (SQLite's rowid of the `articles` table; on Elasticsearch, the **generation** of the
  rolled-over index written to and the `_seq_no` in that one-shard index, packed as
  `generation * GENERATION_SPAN + seq_no`, see `packed`), so "after sequence S" is what was
  written since;
- its embargo passes: `visible_from` (already indexed) reaches the clock, so "embargoes lifted
  after E and up to now" is what became visible since, without any write.

SQLite gives a new row the largest rowid plus one, so a listing that replaces the newest one
(its story updated) gets the rowid of the row it replaced: the position also keeps a **tag** of
the row at its sequence (a hash of its story id, content and update time), and a row at that
same sequence with another tag is new. Elasticsearch never reuses a `_seq_no` (tag "").

A client resumes only from a position the index could have given it (`resume_from`): not
dated after the server's clock, not ahead of the index's newest write; and not from further back
than `ReplayBounds`: such a client is told to resync (search again) and continues from now, so
no reconnect can ask the index to replay its whole history. Writes behind are counted across
one rollover at most: in the head's generation, and in the one before it from the newest write
it holds (the head carries it, `previous_generation_end`); a position in an older generation is
beyond the bounds (a client that was away over two rollovers searches again).

Pure: no I/O. The back-ends answer `ArticleSearch.listed_after` with these types.
"""

import hashlib
import re
from dataclasses import dataclass, field

from newswire_api.echoes import echoed
from newswire_api.responses import SearchHit

TAG_HEX_DIGITS = 12
# Sequences are SQLite rowids and packed Elasticsearch `_seq_no`s, both 64-bit signed integers;
# -1 is the head of an index nothing was written to yet (Elasticsearch's first write is 0).
MAX_SEQUENCE = 2**63 - 1
# A sequence is `generation * GENERATION_SPAN + seq_no` (`packed`): 2**40 writes in one index,
# 2**23 generations, within a 64-bit integer. The embedded index has one generation (0), so its
# rowids are its sequences, as they were before generations; so are the `_seq_no`s of an
# Elasticsearch index made before rollover (generation 0).
GENERATION_SPAN = 2**40
_EVENT_ID = re.compile(rf"(-1|\d{{1,19}})-(\d{{1,15}})-((?:[0-9a-f]{{{TAG_HEX_DIGITS}}})?)")
# API processes behind one address each read their own clock: an id one of them gave may be
# dated a little after the clock of the one a client reconnects to. Only the position is
# trusted that far, never what may be shown: that is always decided by the reading server's
# clock (`newswire_api.stream`).
CLOCK_SKEW_ALLOWANCE_MS = 2_000
RESYNC_AGE = (
    "resync: the Last-Event-ID is {age_s:,.0f} s old, more than the {limit_s:,.0f} s a stream "
    "replays: search again for what became searchable meanwhile; this stream continues from now"
)
RESYNC_ROLLED_OVER = (
    "resync: the Last-Event-ID is in index generation {asked:,}, more than one rollover behind "
    "the newest ({head:,}), further back than a stream replays: search again for what became "
    "searchable meanwhile; this stream continues from now"
)
RESYNC_BEHIND = (
    "resync: the Last-Event-ID is {behind:,} writes behind the index, more than the {limit:,} a "
    "stream replays: search again for what became searchable meanwhile; this stream continues "
    "from now"
)


class InvalidEventIdError(ValueError):
    """A `Last-Event-ID` (or `last_event_id`) this API did not give, or cannot resume from."""

    def __init__(self, text: str, why: str = "is not an id of this stream's events") -> None:
        super().__init__(
            f"Last-Event-ID {echoed(text)} {why}: send the `id` of the last event received, or "
            "none to start from now"
        )


@dataclass(frozen=True)
class FeedPosition:
    """Everything before this has been delivered: listings written up to `sequence` (the row
    there tagged `tag`), and embargoes lifted up to `embargoes_until_ms`.

    A head (`ArticleSearch.feed_head`) also says where the generation before its own ends:
    `previous_generation_end`, the sequence of the newest write there (None: no such
    generation). It is what counts the writes behind across a rollover, not part of the position
    (not in the event id, not compared)."""

    sequence: int
    embargoes_until_ms: int
    tag: str = ""
    previous_generation_end: int | None = field(default=None, compare=False)

    @property
    def event_id(self) -> str:
        return f"{self.sequence}-{self.embargoes_until_ms}-{self.tag}"

    @classmethod
    def from_event_id(cls, text: str) -> "FeedPosition":
        """The position an event id names; InvalidEventIdError for a text that no event of this
        API can have had as its id (format, or a sequence past a 64-bit integer)."""
        found = _EVENT_ID.fullmatch(text.strip())
        if found is None:
            raise InvalidEventIdError(text)
        sequence = int(found[1])
        if sequence > MAX_SEQUENCE:
            raise InvalidEventIdError(text, "is past the last position an index can have")
        return cls(sequence, int(found[2]), found[3])


@dataclass(frozen=True)
class ReplayBounds:
    """How far back a stream may resume: at most `max_age_ms` after its id was given (the
    id's embargo time is when its page was read) and `max_writes` writes behind the index."""

    max_age_ms: int
    max_writes: int


def resume_from(
    asked: FeedPosition, head: FeedPosition, now_ms: int, bounds: ReplayBounds
) -> tuple[FeedPosition, str | None]:
    """Where a stream reconnecting with `asked` starts, given the index's `head` read at
    `now_ms` (the server's clock): `asked`, with None, when it may replay from there; `head`,
    with the reason, when it is beyond `bounds` (the client is sent a `resync` event and must
    search for what it missed). Raises InvalidEventIdError for a position the index never gave:
    dated after now, or ahead of the index's newest write (a client cannot choose what "now"
    is, so it cannot see an embargoed story early)."""
    if asked.embargoes_until_ms > now_ms + CLOCK_SKEW_ALLOWANCE_MS:
        raise InvalidEventIdError(asked.event_id, "is dated after now")
    if asked.sequence > head.sequence:
        raise InvalidEventIdError(
            asked.event_id,
            f"is ahead of the index (its newest write is at {head.sequence}): the index was "
            "rebuilt since, or the id is not one of its",
        )
    age_ms = now_ms - asked.embargoes_until_ms
    if age_ms > bounds.max_age_ms:
        return head, RESYNC_AGE.format(age_s=age_ms / 1000, limit_s=bounds.max_age_ms / 1000)
    behind = writes_behind(asked, head)
    if behind is None:
        return head, RESYNC_ROLLED_OVER.format(
            asked=unpacked(asked.sequence)[0], head=unpacked(head.sequence)[0]
        )
    if behind > bounds.max_writes:
        return head, RESYNC_BEHIND.format(behind=behind, limit=bounds.max_writes)
    return asked, None


def writes_behind(asked: FeedPosition, head: FeedPosition) -> int | None:
    """At most how many writes a stream from `asked` replays up to `head`; None when `asked` is
    in a generation older than the one before the head's, which cannot be counted from it.

    A `_seq_no` is taken by deletes too, so a difference of them counts at least the writes
    between (a listing moved out of an older index leaves it a delete)."""
    asked_generation, _ = unpacked(asked.sequence)
    head_generation, head_seq_no = unpacked(head.sequence)
    if asked_generation == head_generation:
        return head.sequence - asked.sequence
    previous = head.previous_generation_end
    previous_generation = -1 if previous is None else unpacked(previous)[0]
    if asked_generation > previous_generation:
        # No generation from the asked one to the head's holds a listing but the head's (a new
        # installation's first index after an empty one, or indices whose listings all moved).
        return head_seq_no + 1
    if previous is None or previous_generation != asked_generation:
        return None
    return max(0, previous - asked.sequence) + head_seq_no + 1


def packed(generation: int, seq_no: int) -> int:
    """The sequence of write `seq_no` (-1: none yet) in index generation `generation`."""
    if not 0 <= generation <= MAX_SEQUENCE // GENERATION_SPAN:
        raise ValueError(f"index generation {generation} is past the last a sequence can hold")
    if not -1 <= seq_no < GENERATION_SPAN:
        raise ValueError(f"_seq_no {seq_no} is past the last a sequence can hold in an index")
    return generation * GENERATION_SPAN + seq_no


def unpacked(sequence: int) -> tuple[int, int]:
    """(generation, seq_no) of a sequence (`packed`'s inverse; -1 is (0, -1): nothing yet)."""
    if sequence < 0:
        return 0, -1
    generation, seq_no = divmod(sequence, GENERATION_SPAN)
    return generation, seq_no


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
