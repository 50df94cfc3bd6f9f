"""The search page's Live toggle in a real headless Chromium (Debian's), against
`python -m newswire_api` over Elasticsearch and over the embedded index, while the indexer's own
writer adds articles: new matching articles appear at the top as they are indexed, others do
not, and nothing appears while Live is off."""

import hashlib
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from elasticsearch import Elasticsearch
from playwright.sync_api import Browser, Page, expect

from newswire.article_index import ArticleIndex
from newswire.enriched import EnrichedArticle, story_id
from newswire.settings import Settings
from newswire_indexer.bulk import BulkWriter
from newswire_indexer.embedded_writer import EmbeddedDocumentWriter
from newswire_indexer.ports import DocumentWriter
from tests.e2e.test_search_page import _api_process, _opened, browser
from tests.support.pipeline import eventually
from tests.support.search_corpus import BACKENDS, SearchCorpus, as_documents, reference_sample

pytestmark = pytest.mark.integration

__all__ = ["browser"]  # the module's Chromium, shared with the search page's own tests


class Newsroom:
    """The index behind the page, and the indexer's writer adding articles to it."""

    def __init__(self, writer: DocumentWriter, sample: EnrichedArticle) -> None:
        self._writer = writer
        self._sample = sample

    def publish(self, title: str, section: str) -> None:
        key = f"guid:test-live-page/{title}"
        article = EnrichedArticle.model_validate(
            {
                **self._sample.model_dump(),
                "id": story_id(key),
                "story_key": key,
                "guid": key.removeprefix("guid:"),
                "title": title,
                "section": section,
                "content_sha256": hashlib.sha256(title.encode()).hexdigest(),
            }
        )
        outcome = self._writer.write(as_documents([article]), wait=time.sleep)
        assert not outcome.rejected, outcome.rejected


@pytest.fixture(params=BACKENDS)
def newsroom(
    request: pytest.FixtureRequest, shared_dir: Path, tmp_path: Path
) -> Iterator[tuple[Newsroom, str]]:
    """A fresh index holding the reference sample, an API process serving it, and the writer."""
    sample = reference_sample(shared_dir)
    if request.param == "embedded":
        settings = Settings(search_index="embedded", data_dir=tmp_path)
        embedded = EmbeddedDocumentWriter(settings.search_index_path)
        embedded.write(as_documents([sample]), wait=time.sleep)
        try:
            with _api_process(SearchCorpus("embedded", settings, sample), {}) as url:
                yield Newsroom(embedded, sample), url
        finally:
            embedded.close()
        return
    client: Elasticsearch = request.getfixturevalue("elasticsearch")
    index_name = f"test-live-page-{uuid.uuid4().hex[:12]}"
    settings = Settings(
        elasticsearch_url=request.getfixturevalue("elasticsearch_url"),
        index_alias=f"{index_name}-alias",
    )
    ArticleIndex(client, settings.index_alias, index_name).ensure()
    writer = BulkWriter(client, settings.index_alias, 2.0)
    writer.write(as_documents([sample]), wait=time.sleep)
    client.indices.refresh(index=settings.index_alias)
    try:
        with _api_process(SearchCorpus("elasticsearch", settings, sample), {}) as url:
            yield Newsroom(writer, sample), url
    finally:
        client.options(ignore_status=404).indices.delete(index=f"{index_name}*")


def searchable(url: str, title: str) -> bool:
    found = httpx.get(f"{url}/articles/search", params={"q": f'"{title}"'}, timeout=10)
    return any(hit["title"] == title for hit in found.json()["hits"])


@pytest.fixture
def page(browser: Browser, newsroom: tuple[Newsroom, str]) -> Iterator[Page]:
    with _opened(browser, newsroom[1]) as opened:
        yield opened


def test_with_live_on_new_matching_articles_appear_at_the_top(
    page: Page, newsroom: tuple[Newsroom, str]
) -> None:
    room, url = newsroom
    page.goto("/?section=World")
    expect(page.locator(".result")).to_have_count(1)
    room.publish("Before live was switched on", "World")
    # Searchable before Live is switched on (Elasticsearch shows a write at its next refresh).
    assert eventually(lambda: searchable(url, "Before live was switched on"), timeout_s=10)

    page.locator("#live").check()
    expect(page.locator("#live-status")).to_contain_text("Live")
    room.publish("Ceasefire talks resume", "World")
    room.publish("Markets rally", "Business")  # not in the section searched

    first = page.locator(".result").first
    expect(first.locator("h3")).to_have_text("Ceasefire talks resume", timeout=5000)
    expect(first).to_have_class("result live-new")
    expect(page.locator("#live-status")).to_contain_text("1 new article")
    expect(page.locator(".result", has_text="Markets rally")).to_have_count(0)
    expect(page.locator(".result", has_text="Before live was switched on")).to_have_count(0)

    page.locator("#live").uncheck()
    room.publish("Published while live is off", "World")
    page.wait_for_timeout(1500)
    expect(page.locator(".result", has_text="Published while live is off")).to_have_count(0)
    expect(page.locator("#live-status")).to_be_hidden()
