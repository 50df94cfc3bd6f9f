"""The live feed on Elasticsearch over rolled-over indices: listings in `<base>-000001`,
`-000002`, … behind one alias (one primary shard each, the newest the write index, the next made
by Elasticsearch's own rollover), read through `ArticleSearch.listed_after` and
`GET /articles/stream`: every write after a position arrives once, in order, across the
generations; a listing moved into the write index arrives once; a stream resumes with its
Last-Event-ID across a rollover."""

import hashlib
import json
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from elasticsearch import Elasticsearch

from newswire.article_index import content_document_id, index_definition, listing_document
from newswire.enriched import EnrichedArticle, Story, story_id
from newswire.settings import Settings
from newswire_api.app import create_app
from newswire_api.feed import FeedEvent, FeedPosition, packed, unpacked
from newswire_api.ports import ArticleSearch
from newswire_api.search import open_article_search
from newswire_api.search_request import SearchParams
from tests.integration.api.test_stream import HEARTBEAT_S, OpenStream
from tests.support.search_corpus import reference_sample, serving

pytestmark = pytest.mark.integration


class RolledIndices:
    """Indices `<base>-000001`, … behind a unique alias, written as the indexer writes
    listings (into the alias's write index), rolled over with Elasticsearch's rollover API."""

    def __init__(self, client: Elasticsearch, base: str, template: EnrichedArticle) -> None:
        self.client = client
        self.base = base
        self.alias = f"{base}-alias"
        self._template = template
        self.created = [f"{base}-000001"]
        client.indices.create(
            index=self.created[0],
            **self._definition(),
            aliases={self.alias: {"is_write_index": True}},
        )

    @staticmethod
    def _definition() -> dict[str, Any]:
        definition = index_definition()
        definition["settings"] = {**definition["settings"], "number_of_shards": 1}
        return definition

    def roll_over(self) -> str:
        """A new write index, by Elasticsearch's rollover (named by it); returns its name."""
        rolled = self.client.indices.rollover(alias=self.alias, **self._definition())
        assert rolled["rolled_over"], rolled
        self.created.append(rolled["new_index"])
        return str(rolled["new_index"])

    def article(self, name: str) -> EnrichedArticle:
        key = f"guid:test-feed-generations/{name}"
        return EnrichedArticle.model_validate(
            {
                **self._template.model_dump(),
                "id": story_id(key),
                "story_key": key,
                "guid": key.removeprefix("guid:"),
                "title": f"Story {name}",
                "content_sha256": hashlib.sha256(name.encode()).hexdigest(),
            }
        )

    def write(self, *names: str) -> None:
        """Listings of new stories, written into the write index, searchable on return."""
        for name in names:
            article = self.article(name)
            story = Story(id=article.id).with_version(article)
            self.client.index(
                index=self.alias,
                id=content_document_id(article.content_sha256),
                document=listing_document(story, [story.rank]),
                refresh=True,
            )

    def delete(self, index: str, name: str) -> None:
        listing = content_document_id(self.article(name).content_sha256)
        self.client.delete(index=index, id=listing, refresh=True)

    def drop(self) -> None:
        self.client.options(ignore_status=404).indices.delete(index=",".join(self.created))


@pytest.fixture(scope="module")
def template(shared_dir: Path) -> EnrichedArticle:
    return reference_sample(shared_dir)


@pytest.fixture
def rolled(elasticsearch: Elasticsearch, template: EnrichedArticle) -> Iterator[RolledIndices]:
    indices = RolledIndices(elasticsearch, f"test-feed-gen-{uuid.uuid4().hex[:8]}", template)
    try:
        yield indices
    finally:
        indices.drop()


@pytest.fixture
def api_settings(rolled: RolledIndices, elasticsearch_url: str) -> Settings:
    return Settings(
        elasticsearch_url=elasticsearch_url,
        index_alias=rolled.alias,
        api_stream_heartbeat_s=HEARTBEAT_S,
        api_rate_limit_per_s=1e6,
        api_rate_limit_burst=1_000_000,
    )


@pytest.fixture
def search(api_settings: Settings) -> Iterator[ArticleSearch]:
    opened = open_article_search(api_settings)
    yield opened
    opened.close()


@pytest.fixture
def base_url(api_settings: Settings) -> Iterator[str]:
    with serving(create_app(api_settings)) as url:
        yield url


def now_ms() -> int:
    return round(time.time() * 1000)


def head(search: ArticleSearch) -> FeedPosition:
    position, _ = search.feed_head(now_ms())
    return position


def everything_after(search: ArticleSearch, after: FeedPosition, page: int = 2) -> list[FeedEvent]:
    """Every event after `after`, read in pages of `page` (so the pages cut across indices)."""
    events: list[FeedEvent] = []
    while True:
        found = search.listed_after(SearchParams(), after, now_ms(), page)
        events += found.events
        assert found.position.sequence >= after.sequence
        after = found.position
        if not found.more:
            return events


def titles(events: list[FeedEvent]) -> list[str]:
    return [event.hit.title for event in events]


def test_every_write_after_a_position_in_generation_1_arrives_once_in_order_through_3(
    rolled: RolledIndices, search: ArticleSearch
) -> None:
    rolled.write("a1")
    start = head(search)
    rolled.write("a2", "a3")
    rolled.roll_over()
    rolled.write("b1", "b2", "b3")
    third = rolled.roll_over()
    rolled.write("c1", "c2")

    events = everything_after(search, start)
    sequences = [event.position.sequence for event in events]

    assert unpacked(start.sequence) == (1, 0)
    assert titles(events) == [f"Story {n}" for n in ("a2", "a3", "b1", "b2", "b3", "c1", "c2")]
    assert sequences == sorted(set(sequences))
    assert [unpacked(s)[0] for s in sequences] == [1, 1, 2, 2, 2, 3, 3]
    assert third == f"{rolled.base}-000003"
    assert head(search).sequence == packed(3, 1)  # the newest generation's newest write
    assert everything_after(search, head(search)) == []


def test_the_head_moves_to_the_new_generation_at_its_first_write(
    rolled: RolledIndices, search: ArticleSearch
) -> None:
    rolled.write("a1", "a2")
    rolled.roll_over()
    before_any_write = head(search)
    rolled.write("b1")
    after_one = head(search)

    assert before_any_write.sequence == packed(1, 1)  # the new write index holds nothing yet
    assert after_one.sequence == packed(2, 0)
    assert after_one.previous_generation_end == packed(1, 1)


def test_a_listing_moved_into_the_write_index_arrives_once_as_its_new_write(
    rolled: RolledIndices, search: ArticleSearch
) -> None:
    rolled.write("before")
    start = head(search)
    rolled.write("moved", "stays")
    delivered = head(search)  # a stream that has had "moved" from generation 1
    old = rolled.created[0]
    rolled.roll_over()

    rolled.write("moved")  # written again: into the write index, its old copy still there
    # Both copies in view on one page: the new one is delivered (pages are cut at 200 in a
    # stream; two copies on two pages would both be, until the old one's delete is in view).
    with_both_copies = everything_after(search, start, page=200)
    rolled.delete(old, "moved")
    moved = everything_after(search, start)

    expected = ["Story stays", "Story moved"]
    assert titles(with_both_copies) == expected
    assert titles(moved) == expected
    assert unpacked(moved[-1].position.sequence)[0] == 2
    assert titles(everything_after(search, delivered)) == ["Story moved"]


def test_an_open_stream_receives_a_write_into_the_write_index_after_a_rollover(
    rolled: RolledIndices, base_url: str
) -> None:
    rolled.write("a1")
    stream = OpenStream(base_url, {}, {})
    try:
        rolled.roll_over()
        rolled.write("b1")
        _, event = stream.next()
    finally:
        stream.close()

    assert json.loads(event["data"])["title"] == "Story b1"
    assert unpacked(FeedPosition.from_event_id(event["id"]).sequence) == (2, 0)


def test_a_stream_resumes_with_last_event_id_across_a_rollover(
    rolled: RolledIndices, base_url: str
) -> None:
    first = OpenStream(base_url, {}, {})
    try:
        rolled.write("a1")
        _, seen = first.next()
    finally:
        first.close()
    rolled.write("a2")
    rolled.roll_over()
    rolled.write("b1", "b2")
    rolled.roll_over()
    rolled.write("c1")

    # Two rollovers behind: further back than the writes a stream counts, so it resyncs.
    too_far = OpenStream(base_url, {}, {"Last-Event-ID": seen["id"]})
    try:
        _, resync = too_far.next()
    finally:
        too_far.close()
    rolled.write("c2")
    again = OpenStream(base_url, {}, {"Last-Event-ID": resync["id"]})
    try:
        received = again.titles(1)
        time.sleep(3 * HEARTBEAT_S)  # anything more would arrive by now
    finally:
        again.close()

    assert resync["event"] == "resync"
    assert "more than one rollover behind" in json.loads(resync["data"])["reason"]
    assert received == ["Story c2"]
    assert again.events.empty()


def test_a_stream_resumes_from_the_generation_before_the_heads_missing_nothing(
    rolled: RolledIndices, base_url: str
) -> None:
    first = OpenStream(base_url, {}, {})
    try:
        rolled.write("a1")
        _, seen = first.next()
    finally:
        first.close()
    rolled.write("a2", "a3")
    rolled.roll_over()
    rolled.write("b1", "b2")

    again = OpenStream(base_url, {}, {"Last-Event-ID": seen["id"]})
    try:
        received = again.titles(4)
        time.sleep(3 * HEARTBEAT_S)
    finally:
        again.close()

    assert unpacked(FeedPosition.from_event_id(seen["id"]).sequence)[0] == 1
    assert received == ["Story a2", "Story a3", "Story b1", "Story b2"]
    assert again.events.empty()
