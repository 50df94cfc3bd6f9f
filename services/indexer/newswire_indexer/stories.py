"""From consumed messages to stories, and from stories to what search lists: the rules both
index writers follow, so Elasticsearch and the embedded index end in the same state.

A message is a version of a story (an `EnrichedArticle`; a schema-version-1 one is read as the
version of its story it is) or a tombstone (its key, no value). The messages of a batch are
grouped by story, in log order, and folded into the story the index holds
(`newswire.enriched.Story`: the latest version by `version_order` wins; a tombstone kills). Then
each content a changed story claimed before or claims now is listed again: under the story ranked
first among those claiming it (`Story.rank`: exact duplicates are listed once), or not at all.
Pure functions, no I/O.
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from pydantic import ValidationError

from newswire.enriched import EnrichedArticle, Story
from newswire_indexer.batch import PendingDocument
from newswire_indexer.ports import Rejection


@dataclass(frozen=True)
class Incoming:
    """A consumed message, read: a version of a story, or a tombstone (`article` None)."""

    document: PendingDocument
    article: EnrichedArticle | None

    @property
    def story_id(self) -> str:
        return self.article.id if self.article is not None else self.document.article_id


def read(documents: Iterable[PendingDocument]) -> tuple[list[Incoming], list[Rejection]]:
    """The messages as versions and tombstones, in order; what is not an article is rejected."""
    incoming: list[Incoming] = []
    rejected: list[Rejection] = []
    for document in documents:
        if document.source is None:
            incoming.append(Incoming(document, None))
            continue
        try:
            article = EnrichedArticle.model_validate_json(document.source)
        except ValidationError as error:
            reason = f"not an EnrichedArticle: {error}".replace("\n", " ")
            rejected.append(Rejection(document, 400, "document_parsing_exception", reason))
            continue
        # A version-1 message was keyed by its content, which is now `content_sha256`.
        if document.article_id not in {article.id, article.content_sha256}:
            reason = f"key {document.article_id!r} is not the story's id {article.id!r}"
            rejected.append(Rejection(document, 400, "id_mismatch", reason))
            continue
        incoming.append(Incoming(document, article))
    return incoming, rejected


def by_story(incoming: Iterable[Incoming]) -> dict[str, list[Incoming]]:
    """The messages of each story, in log order (a story's messages share a partition)."""
    stories: dict[str, list[Incoming]] = {}
    for message in incoming:
        stories.setdefault(message.story_id, []).append(message)
    return stories


@dataclass(frozen=True)
class Folded:
    story: Story
    superseded: int  # versions that came after a later one of the same story


def fold(story_id: str, held: Story | None, messages: Sequence[Incoming]) -> Folded:
    """The story once `messages` are read after what the index holds (`held`)."""
    story = held or Story(id=story_id)
    superseded = 0
    for message in messages:
        if message.article is None:
            story = story.with_tombstone()
            continue
        current = story.current
        if current is not None and message.article.version_order < current.version_order:
            superseded += 1
        story = story.with_version(message.article)
    return Folded(story, superseded)


@dataclass(frozen=True)
class FoldedBatch:
    """A batch's stories, before (`held`, as the index holds them) and after its messages."""

    held: dict[str, Story]
    stories: dict[str, Story]
    superseded_by_story: dict[str, int]

    @property
    def superseded(self) -> int:
        return sum(self.superseded_by_story.values())

    @property
    def changed(self) -> list[Story]:
        return [story for id_, story in self.stories.items() if self.held.get(id_) != story]

    def contents(self, changed_only: bool) -> set[str]:
        """The contents whose listing may change: what the batch's stories claimed before and
        claim now. `changed_only=False` includes unchanged stories, for a back-end whose writes
        are not one transaction (a replay after a crash must redo the listings)."""
        contents: set[str] = set()
        for story_id, story in self.stories.items():
            held = self.held.get(story_id)
            if changed_only and held == story:
                continue
            contents.update(c for c in (held.claim if held else None, story.claim) if c)
        return contents


def fold_batch(groups: Mapping[str, Sequence[Incoming]], held: Mapping[str, Story]) -> FoldedBatch:
    """Every story of a batch (`groups`, from `by_story`) once its messages are read."""
    stories: dict[str, Story] = {}
    superseded: dict[str, int] = {}
    for story_id, messages in groups.items():
        folded = fold(story_id, held.get(story_id), messages)
        stories[story_id] = folded.story
        superseded[story_id] = folded.superseded
    return FoldedBatch({i: s for i, s in held.items() if i in groups}, stories, superseded)


def claiming(
    content_sha256: str, stories: Mapping[str, Story], others: Iterable[Story]
) -> list[Story]:
    """The stories claiming `content_sha256`, in rank order (the first lists it): those of this
    batch (`stories`, as folded) that claim it, and the `others` (stories outside the batch,
    as the index holds them) that still do."""
    inside = [story for story in stories.values() if story.claim == content_sha256]
    outside = [
        story for story in others if story.id not in stories and story.claim == content_sha256
    ]
    return sorted([*inside, *outside], key=lambda story: story.rank)


def claimants_by_content(
    stories: Mapping[str, Story], others: Iterable[Story]
) -> dict[str, list[Story]]:
    """`claiming` for every content at once, in one pass over the stories (a batch of 500
    asking `claiming` for each of its contents would look at every story 500 times)."""
    claimed: dict[str, list[Story]] = {}
    for story in stories.values():
        if (content := story.claim) is not None:
            claimed.setdefault(content, []).append(story)
    for story in others:
        if story.id not in stories and (content := story.claim) is not None:
            claimed.setdefault(content, []).append(story)
    for ranked in claimed.values():
        ranked.sort(key=lambda story: story.rank)
    return claimed
