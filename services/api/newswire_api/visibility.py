"""What of a story a reader may see now: the rule of `newswire.enriched.Story`, applied to the
by-id routes (searches apply the same rule in each back-end's query, from `visible_from`)."""

from datetime import UTC, datetime

from newswire.enriched import EnrichedArticle, Story
from newswire_api.ports import ArticleGoneError, ArticleNotFoundError


def visible_story(story: Story, now: datetime | None = None) -> Story:
    """The story, if it may be shown now: killed is gone (410, with the reason); withheld and
    embargoed are not found (404), exactly as if they did not exist, so nothing leaks early."""
    reason = story.kill_reason
    if reason is not None:
        raise ArticleGoneError(story.id, reason)
    if not story.is_visible(now or datetime.now(UTC)):
        raise ArticleNotFoundError(story.id)
    return story


def visible_article(story: Story, now: datetime | None = None) -> EnrichedArticle:
    """The story's current version, if it may be shown now (see `visible_story`)."""
    current = visible_story(story, now).current
    if current is None:  # a story without versions is killed, so visible_story raised
        raise ArticleNotFoundError(story.id)
    return current
