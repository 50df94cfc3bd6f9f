"""The documents the indexer sends as JSON bytes say exactly what their dict forms say, and a
listing's rollover generation is read from its index name."""

import json
from datetime import UTC, datetime
from pathlib import Path

from benchmarks.corpus import SHARED_DIR, enriched_bbc_articles
from newswire.article_index import (
    generation,
    listing_document,
    listing_json,
    story_document,
    story_json,
)
from newswire.enriched import Story


def _stories(count: int, shared_dir: Path = SHARED_DIR) -> list[Story]:
    return [Story(id=a.id).with_version(a) for a in enriched_bbc_articles(shared_dir, limit=count)]


def test_json_documents_equal_their_dict_forms() -> None:
    for story in _stories(20):
        claimants = [story.rank, (datetime(2030, 1, 1, tzinfo=UTC), "f" * 64)]
        assert json.loads(listing_json(story, claimants)) == listing_document(story, claimants)
        assert json.loads(story_json(story)) == story_document(story)


def test_generation_is_the_six_digit_suffix_or_zero() -> None:
    assert generation("articles-v3-000007") == 7
    assert generation("articles-v3") == 0
    assert generation("articles-v3-stories") == 0
