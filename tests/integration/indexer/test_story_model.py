"""A model-based test of the story rules: random sequences of versions, corrections, kills,
withholds, embargoes and exact duplicates for a few story keys, delivered at least once and out
of order (as Kafka may: per key in log order but with suffixes replayed after a crash or a
rebalance; across keys in any order), in random batches, through the indexer's real writers into
both back-ends. The index must end in the state a simple model of the log gives, every time.

The model does not use `Story`: for each key, the current version is the one with the greatest
`version_order`; the story is killed when that version is canceled or a tombstone comes after its
last copy in the log (what a reader of the compacted topic concludes); withheld and embargoed
(until later) stories are hidden; a content claimed by several visible stories is listed once,
under the story first received (then the lowest id).
"""

import hashlib
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from elasticsearch import Elasticsearch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from benchmarks.corpus import enriched_bbc_articles
from newswire.article_index import ArticleIndex
from newswire.enriched import EnrichedArticle, story_id
from newswire.settings import Settings
from newswire_api.ports import ArticleSearch
from newswire_api.search import open_article_search
from newswire_api.search_request import SearchParams
from newswire_indexer.batch import PendingDocument
from newswire_indexer.bulk import BulkWriter
from newswire_indexer.embedded_writer import EmbeddedDocumentWriter
from newswire_indexer.ports import DocumentWriter

pytestmark = pytest.mark.integration

KEYS = ("guid:agency/story-a", "guid:agency/story-b", "guid:agency/story-c")
CONTENTS = ("first text", "corrected text", "shared text")
START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
NOW = datetime.now(UTC)
EMBARGOES = {"none": None, "past": NOW - timedelta(hours=1), "future": NOW + timedelta(days=1)}


@dataclass(frozen=True)
class Sent:
    """One message of the log: a version of a story, or a tombstone (`article` None)."""

    key: str
    article: EnrichedArticle | None

    def document(self, offset: int) -> PendingDocument:
        value = self.article.model_dump_json().encode() if self.article else None
        return PendingDocument(story_id(self.key), value, "articles.enriched", 0, offset)


def version_of(
    template: EnrichedArticle,
    key: str,
    number: int | None,
    content: str,
    status: str,
    embargo: str,
    sent_at: datetime,
) -> EnrichedArticle:
    until = EMBARGOES[embargo]
    return EnrichedArticle.model_validate(
        {
            **template.model_dump(),
            "id": story_id(key),
            "story_key": key,
            "guid": key.removeprefix("guid:"),
            "version": number,
            "title": f"{content} of {key}",
            "content_sha256": hashlib.sha256(content.encode()).hexdigest(),
            "pub_status": status,
            "embargoed": until is not None,
            "embargoed_until": until,
            "provenance": {
                **template.provenance.model_dump(),
                "received_at": sent_at,
                "enriched_at": sent_at,
            },
        }
    )


def the_log(template: EnrichedArticle, drawn: list[tuple[Any, ...]]) -> list[Sent]:
    """What enrich publishes for the versions drawn, in order: a kill is followed by a tombstone.
    The same content and version sent twice is the same message (an exact redelivery)."""
    log: list[Sent] = []
    for n, (key, number, content, status, embargo, again) in enumerate(drawn):
        if again and log:
            log.append(log[-1])
            continue
        article = version_of(
            template, key, number, content, status, embargo, START + timedelta(seconds=n)
        )
        log.append(Sent(key, article))
        if status == "canceled":
            log.append(Sent(key, None))
    return log


@dataclass(frozen=True)
class Expected:
    current_content: dict[str, str]  # story id: content sha256 of its current version
    killed: set[str]
    listed_now: set[str]  # story ids search shows now


def model(log: list[Sent]) -> Expected:
    current: dict[str, EnrichedArticle] = {}
    last_copy: dict[str, int] = {}
    first_seen: dict[str, datetime] = {}
    for position, sent in enumerate(log):
        article = sent.article
        if article is None:
            continue
        first_seen[sent.key] = min(
            first_seen.get(sent.key, article.provenance.received_at), article.provenance.received_at
        )
        held = current.get(sent.key)
        if held is None or article.version_order >= held.version_order:
            current[sent.key] = article
        if article.version_order == current[sent.key].version_order:
            last_copy[sent.key] = position
    killed = {
        key
        for key, article in current.items()
        if article.pub_status == "canceled"
        or any(s.article is None and s.key == key for s in log[last_copy[key] + 1 :])
    }
    claims: dict[str, list[tuple[datetime, str]]] = {}
    for key, article in current.items():
        hidden_for_good = article.pub_status == "withheld" or (
            article.embargoed and article.embargoed_until is None
        )
        if key in killed or hidden_for_good:
            continue
        claims.setdefault(article.content_sha256, []).append((first_seen[key], story_id(key)))
    listed = {min(claimants)[1] for claimants in claims.values()}
    until = {story_id(key): article.embargoed_until for key, article in current.items()}
    now = datetime.now(UTC)
    listed_now = {i for i in listed if (end := until[i]) is None or end <= now}
    return Expected(
        {story_id(k): a.content_sha256 for k, a in current.items()},
        {story_id(key) for key in killed},
        listed_now,
    )


def delivered(data: st.DataObject, log: list[Sent]) -> list[Sent]:
    """The log as a consumer may read it: each key's messages in order, a suffix replayed now
    and then (at least once), keys interleaved in any order."""
    streams: dict[str, list[Sent]] = {}
    for key in KEYS:
        own = [sent for sent in log if sent.key == key]
        stream: list[Sent] = []
        position = replays = 0
        while position < len(own):
            stream.append(own[position])
            position += 1
            if replays < 2 and data.draw(st.booleans()):
                position = data.draw(st.integers(0, position))  # back to an older commit
                replays += 1
        streams[key] = stream
    interleaved: list[Sent] = []
    while any(streams.values()):
        key = data.draw(st.sampled_from([k for k, s in streams.items() if s]))
        interleaved.append(streams[key].pop(0))
    return interleaved


Messages = st.lists(
    st.tuples(
        st.sampled_from(KEYS),
        st.one_of(st.none(), st.integers(1, 3)),
        st.sampled_from(CONTENTS),
        st.sampled_from(["usable", "usable", "withheld", "canceled"]),
        st.sampled_from(list(EMBARGOES)),
        st.booleans(),
    ),
    min_size=1,
    max_size=10,
)


@dataclass(frozen=True)
class OpenIndex:
    writer: DocumentWriter
    search: ArticleSearch
    refresh: Callable[[], None]  # make the writes searchable
    close: Callable[[], None]


@dataclass(frozen=True)
class Backend:
    name: str
    open_index: Callable[[], OpenIndex]


def _refresh(client: Elasticsearch, alias: str) -> None:
    client.indices.refresh(index=alias)


@pytest.fixture(scope="module")
def template(shared_dir: Path) -> EnrichedArticle:
    return next(iter(enriched_bbc_articles(shared_dir, limit=1)))


@pytest.fixture
def backends(
    elasticsearch_url: str, elasticsearch: Elasticsearch, tmp_path: Path
) -> Iterator[list[Backend]]:
    made: list[str] = []

    def elasticsearch_index() -> OpenIndex:
        name = f"test-story-model-{uuid.uuid4().hex[:10]}"
        made.append(name)
        alias = f"{name}-alias"
        ArticleIndex(elasticsearch, alias, name).ensure()
        search = open_article_search(
            Settings(elasticsearch_url=elasticsearch_url, index_alias=alias)
        )
        return OpenIndex(
            BulkWriter(elasticsearch, alias, max_backoff_s=1.0),  # its client is the fixture's
            search,
            refresh=lambda: _refresh(elasticsearch, alias),
            close=search.close,
        )

    def embedded_index() -> OpenIndex:
        data_dir = tmp_path / uuid.uuid4().hex
        data_dir.mkdir()
        settings = Settings(search_index="embedded", data_dir=data_dir)
        writer = EmbeddedDocumentWriter(settings.search_index_path)
        search = open_article_search(settings)

        def close() -> None:
            search.close()
            writer.close()

        return OpenIndex(writer, search, refresh=lambda: None, close=close)

    yield [Backend("elasticsearch", elasticsearch_index), Backend("embedded", embedded_index)]
    for name in made:
        elasticsearch.options(ignore_status=404).indices.delete(index=f"{name}*")


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(drawn=Messages, data=st.data())
def test_any_delivery_of_any_story_log_ends_in_the_models_state_on_both_back_ends(
    template: EnrichedArticle, backends: list[Backend], drawn: list[tuple[Any, ...]], data: Any
) -> None:
    log = the_log(template, drawn)
    deliveries = delivered(data, log)
    batch_sizes = data.draw(st.lists(st.integers(1, 6), min_size=len(deliveries)))
    expected = model(log)
    for backend in backends:
        index = backend.open_index()
        writer, search = index.writer, index.search
        try:
            offset = 0
            for size in batch_sizes:
                batch = deliveries[offset : offset + size]
                if not batch:
                    break
                documents = [sent.document(offset + n) for n, sent in enumerate(batch)]
                outcome = writer.write(documents, wait=time.sleep)
                assert outcome.rejected == [], backend.name
                offset += size
            index.refresh()
            for sid, content in expected.current_content.items():
                story = search.story(sid)
                assert story.current is not None, backend.name
                assert story.current.content_sha256 == content, backend.name
                assert (story.status == "killed") == (sid in expected.killed), backend.name
            hits = search.search(SearchParams(size=50)).hits
            assert {hit.id for hit in hits} == expected.listed_now, backend.name
            assert len(hits) == len(expected.listed_now), backend.name
        finally:
            index.close()
