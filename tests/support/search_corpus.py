"""The search API's test corpus: the BBC articles and the reference sample in a real index,
Elasticsearch or the embedded SQLite one: the API's contract tests run against both."""

import hashlib
import threading
import time
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import uvicorn
from elasticsearch import Elasticsearch
from elasticsearch.helpers import scan
from fastapi import FastAPI

from benchmarks.corpus import bbc_files, enriched_bbc_articles
from newswire.adapters.elasticsearch import create_client
from newswire.article_index import ArticleIndex
from newswire.enriched import EnrichedArticle
from newswire.settings import Settings
from newswire_enrich.app import parse_files
from newswire_indexer.batch import PendingDocument
from newswire_indexer.bulk import BulkWriter
from newswire_indexer.embedded_writer import EmbeddedDocumentWriter

REFERENCE_SAMPLE = "samples/trtworld-2024-09-11-pezeshkian-iraq.txt"
# The searchable documents of an Elasticsearch index of version 3 (one per listed story; the
# story documents beside them are not searched).
LISTINGS = {"exists": {"field": "listing.visible_from"}}
Backend = Literal["elasticsearch", "embedded"]
BACKENDS: tuple[Backend, ...] = ("elasticsearch", "embedded")


def reference_sample(shared_dir: Path) -> EnrichedArticle:
    """The sample exactly as the enrich service makes it (real spaCy entities)."""
    [(_, article)] = parse_files(Settings(), [shared_dir / REFERENCE_SAMPLE], inbox=None)
    assert isinstance(article, EnrichedArticle), article
    return article


def as_documents(articles: Iterable[EnrichedArticle]) -> list[PendingDocument]:
    """`articles` as the indexer consumes them from `articles.enriched`."""
    return [
        PendingDocument(a.id, a.model_dump_json().encode(), "articles.enriched", 0, offset)
        for offset, a in enumerate(articles)
    ]


def index_articles(
    client: Elasticsearch, alias: str, index_name: str, articles: Iterable[EnrichedArticle]
) -> None:
    """Create the index behind `alias` with the production mapping and load `articles` into it
    with the indexer's writer."""
    ArticleIndex(client, alias, index_name).ensure()
    writer = BulkWriter(client, alias, max_backoff_s=2.0)
    documents = as_documents(articles)
    for start in range(0, len(documents), 500):
        outcome = writer.write(documents[start : start + 500], wait=time.sleep)
        assert not outcome.rejected, outcome.rejected
    writer.make_visible()  # listings and stories (searched by file) alike


def listed_stories(client: Elasticsearch, alias: str) -> list[str]:
    """The ids of the stories listed in the index behind `alias` (refreshed first)."""
    client.indices.refresh(index=alias)
    return [
        hit["_source"]["id"]
        for hit in scan(client, index=alias, query={"query": LISTINGS}, _source=["id"])
    ]


def index_embedded(data_dir: Path, articles: Iterable[EnrichedArticle]) -> Settings:
    """Write `articles` into the embedded index of `data_dir` with the indexer's writer; the
    settings of an API reading it."""
    settings = Settings(search_index="embedded", data_dir=data_dir)
    writer = EmbeddedDocumentWriter(settings.search_index_path)
    try:
        outcome = writer.write(as_documents(articles), wait=time.sleep)
        assert not outcome.rejected, outcome.rejected
    finally:
        writer.close()
    return settings


@dataclass(frozen=True)
class SearchCorpus:
    """An index holding the BBC corpus and the reference sample, and the API settings to read
    it: Elasticsearch (an index behind its own alias) or the embedded index."""

    backend: Backend
    settings: Settings
    sample: EnrichedArticle


@contextmanager
def search_corpus(
    backend: Backend, elasticsearch_url: str, shared_dir: Path, data_dir: Path
) -> Iterator[SearchCorpus]:
    """Load the corpus into a fresh index (about 5 s); delete it afterwards."""
    sample = reference_sample(shared_dir)
    articles = [*enriched_bbc_articles(shared_dir), sample]
    if backend == "embedded":
        yield SearchCorpus(backend, index_embedded(data_dir, articles), sample)
        return
    client = create_client(Settings(elasticsearch_url=elasticsearch_url))
    index_name = f"test-api-{uuid.uuid4().hex[:12]}"
    settings = Settings(elasticsearch_url=elasticsearch_url, index_alias=f"{index_name}-alias")
    try:
        index_articles(client, settings.index_alias, index_name, articles)
        yield SearchCorpus(backend, settings, sample)
    finally:
        client.options(ignore_status=404).indices.delete(index=f"{index_name}*")
        client.close()


def distinct_articles_per_folder(shared_dir: Path) -> dict[str, int]:
    """BBC files per section folder, counting byte-identical duplicates (one article id) once."""
    digests: dict[str, set[str]] = {}
    for path in bbc_files(shared_dir):
        section = path.parent.name.capitalize()
        digests.setdefault(section, set()).add(hashlib.sha256(path.read_bytes()).hexdigest())
    return {section: len(ids) for section, ids in digests.items()}


@contextmanager
def serving(app: FastAPI) -> Iterator[str]:
    """Run `app` under uvicorn on a free local port in a thread; yields its base URL."""
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.02)
    host, port = server.servers[0].sockets[0].getsockname()[:2]
    try:
        yield f"http://{host}:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
