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


def contents_to_relist(held: Story | None, story: Story) -> set[str]:
    """The contents whose listing may change when `held` becomes `story`."""
    if held == story:
        return set()
    return {claim for claim in (held.claim if held else None, story.claim) if claim}


def first_ranked(stories: Iterable[Story]) -> Story | None:
    """The story a content is listed under, among the stories claiming it."""
    return min(stories, key=lambda story: story.rank, default=None)


def stories_listing(
    content_sha256: str, stories: Mapping[str, Story], others: Iterable[Story]
) -> Story | None:
    """The story `content_sha256` is listed under: first ranked among the `stories` of this
    batch that claim it and the `others` (stories outside the batch claiming it)."""
    claiming = [story for story in stories.values() if story.claim == content_sha256]
    outside = [story for story in others if story.id not in stories]
    return first_ranked([*claiming, *outside])
