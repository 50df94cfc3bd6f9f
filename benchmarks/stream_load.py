"""Do open live-feed streams slow searches? Search latency with 0 and with --streams open
`GET /articles/stream` connections, and how soon a written article reaches a stream.

Data: the BBC corpus (one article per distinct text, plain enrichment: `benchmarks.corpus`) in a
fresh index, the embedded one (default) or Elasticsearch (`--search-index elasticsearch`, an index
behind its own alias, deleted at the end), written with the indexer's own writer. The API runs as
`python -m newswire_api` in a subprocess, as `newswire run` starts it.

Each round measures the same search mix (words, a phrase, OR, section and entity filters, both
sorts) from --clients concurrent clients (httpx, keep-alive), --requests searches in all, first
with no stream open, then with --streams streams open (each with a filter of the mix or none,
read continuously by this process). During both phases a writer adds --writes-per-s new articles
a second with the indexer's writer, so the streams do wake and ask the index; each written
article is timed from the moment its write returned (committed) to its arrival on an unfiltered
stream (the streams are read by a process of their own, so the search clients here are not
slowed by reading them; the two phases alternate in order from round to round). The table
gives p50 and p99 of the searches per phase (median over --rounds) and the
write-to-stream delays.

    python benchmarks/stream_load.py [--search-index embedded|elasticsearch] [--streams 200]
"""

import argparse
import asyncio
import hashlib
import json
import multiprocessing
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from benchmarks.corpus import SHARED_DIR, enriched_bbc_articles
from newswire.adapters.elasticsearch import create_client
from newswire.article_index import ArticleIndex
from newswire.enriched import EnrichedArticle, story_id
from newswire.settings import Settings
from newswire_indexer.batch import PendingDocument
from newswire_indexer.bulk import BulkWriter
from newswire_indexer.embedded_writer import EmbeddedDocumentWriter
from newswire_indexer.ports import DocumentWriter
from newswire_ops.dev_services.server import free_port

SEARCHES: list[dict[str, Any]] = [
    {"q": "government"},
    {"q": "economy growth"},
    {"q": '"prime minister"'},
    {"q": "film OR music"},
    {"section": "Business"},
    {"section": "Sport", "sort": "date"},
    {"q": "market", "section": "Business"},
    {"entity": "Blair"},
    {"q": "election", "sort": "date"},
    {"q": "technology -mobile"},
]
STREAM_FILTERS: list[dict[str, Any]] = [
    {},
    {"section": "Business"},
    {"q": "government"},
    {"entity": "Blair"},
    {"section": "Tech"},
]
MARK = "streamload"


def documents(articles: list[EnrichedArticle]) -> list[PendingDocument]:
    return [
        PendingDocument(a.id, a.model_dump_json().encode(), "articles.enriched", 0, n)
        for n, a in enumerate(articles)
    ]


def fresh_article(template: EnrichedArticle, n: int) -> EnrichedArticle:
    key = f"guid:{MARK}/{uuid.uuid4().hex}/{n}"
    return template.model_copy(
        update={
            "id": story_id(key),
            "story_key": key,
            "content_sha256": hashlib.sha256(key.encode()).hexdigest(),
            "title": f"{MARK} {n} {template.title}",
        }
    )


@contextmanager
def index_and_api(backend: str, articles: list[EnrichedArticle]) -> Iterator[tuple[str, Any]]:
    """An index holding `articles`, its writer, and the base URL of an API process over it."""
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="stream-load-") as data_dir:
        env: dict[str, str]
        writer: DocumentWriter
        cleanup: Any = None
        if backend == "embedded":
            settings = Settings(search_index="embedded", data_dir=Path(data_dir))
            embedded = EmbeddedDocumentWriter(settings.search_index_path)
            writer, cleanup = embedded, embedded.close
            env = {"NEWSWIRE_SEARCH_INDEX": "embedded", "NEWSWIRE_DATA_DIR": data_dir}
        else:
            settings = Settings()
            client = create_client(settings)
            name = f"stream-load-{uuid.uuid4().hex[:8]}"
            ArticleIndex(client, f"{name}-alias", name).ensure()
            writer = BulkWriter(client, f"{name}-alias", 2.0)

            def cleanup() -> None:
                client.indices.delete(index=f"{name}*")

            env = {
                "ELASTICSEARCH_URL": settings.elasticsearch_url,
                "NEWSWIRE_INDEX_ALIAS": f"{name}-alias",
            }
        for start in range(0, len(articles), 500):
            writer.write(documents(articles[start : start + 500]), wait=time.sleep)
        env |= {
            # One address opens every stream and sends every search: what is measured is what
            # streams cost searches, not the per-client limits (benchmarks/api_abuse.py).
            "NEWSWIRE_API_MAX_STREAMS_PER_CLIENT": "10000",
            "NEWSWIRE_API_RATE_LIMIT_PER_S": "1000000",
            "NEWSWIRE_API_RATE_LIMIT_BURST": "1000000",
            "NEWSWIRE_API_MAX_OPEN_STREAMS": "10000",
            "NEWSWIRE_API_CURSOR_SECRET": "stream-load-benchmark-secret",
            "NEWSWIRE_LOG_LEVEL": "WARNING",
        }
        command = [sys.executable, "-m", "newswire_api", "--port", str(port)]
        api = subprocess.Popen(command, env={**os.environ, **env})
        url = f"http://127.0.0.1:{port}"
        try:
            _wait_ready(url)
            yield url, writer
        finally:
            api.terminate()
            api.wait(timeout=30)
            if cleanup is not None:
                cleanup()


def _wait_ready(url: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/readyz").status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise RuntimeError("the API did not become ready")


async def searches(url: str, clients: int, total: int) -> list[float]:
    """Latencies (s) of `total` searches of the mix from `clients` concurrent clients."""
    latencies: list[float] = []
    counter = iter(range(total))

    async def client() -> None:
        async with httpx.AsyncClient(base_url=url, timeout=30) as http:
            for n in counter:
                started = time.perf_counter()
                answer = await http.get("/articles/search", params=SEARCHES[n % len(SEARCHES)])
                answer.raise_for_status()
                latencies.append(time.perf_counter() - started)

    await asyncio.gather(*(client() for _ in range(clients)))
    return latencies


class Streams:
    """`count` open streams read by this process; arrivals of the marked articles on the
    unfiltered ones, by title number."""

    def __init__(self, url: str, count: int) -> None:
        self.url, self.count = url, count
        self.arrivals: dict[int, float] = {}
        self.opened = 0
        self._tasks: list[asyncio.Task[None]] = []

    async def open(self) -> None:
        self._client = httpx.AsyncClient(
            base_url=self.url,
            timeout=httpx.Timeout(30, read=None),
            limits=httpx.Limits(max_connections=self.count + 10),
        )
        self._tasks = [
            asyncio.create_task(self._read(STREAM_FILTERS[n % len(STREAM_FILTERS)]))
            for n in range(self.count)
        ]
        while self.opened < self.count:
            await asyncio.sleep(0.05)

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self._client.aclose()

    async def _read(self, params: dict[str, Any]) -> None:
        async with self._client.stream("GET", "/articles/stream", params=params) as response:
            response.raise_for_status()
            self.opened += 1
            async for line in response.aiter_lines():
                if not params and line.startswith("data:") and MARK in line:
                    title = json.loads(line[5:])["title"]
                    self.arrivals.setdefault(int(title.split()[1]), time.monotonic())


def write_trickle(
    writer: DocumentWriter,
    template: EnrichedArticle,
    per_s: float,
    stop: threading.Event,
    written: dict[int, float],
) -> None:
    n = len(written)
    while not stop.wait(1 / per_s):
        writer.write(documents([fresh_article(template, n)]), wait=time.sleep)
        written[n] = time.monotonic()
        n += 1


def hold_streams(url: str, count: int, ready: Any, stop: Any, arrivals: Any) -> None:
    """In a process of its own (so that reading the streams does not slow this process's
    search clients): open `count` streams, read them until `stop`, send back the arrivals."""

    async def hold() -> None:
        opened = Streams(url, count)
        await opened.open()
        ready.set()
        while not stop.is_set():
            await asyncio.sleep(0.05)
        await opened.close()
        arrivals.put(opened.arrivals)

    asyncio.run(hold())


async def phase(
    url: str, streams: int, args: argparse.Namespace, writes: threading.Event
) -> tuple[list[float], dict[int, float]]:
    """The searches' latencies with `streams` open, and the arrivals of the written articles
    (monotonic times: one clock for every process of the machine)."""
    ready, stop = multiprocessing.Event(), multiprocessing.Event()
    arrivals: multiprocessing.Queue[dict[int, float]] = multiprocessing.Queue()
    holder = multiprocessing.Process(
        target=hold_streams, args=(url, streams, ready, stop, arrivals)
    )
    if streams:
        holder.start()
        if not ready.wait(120):
            raise RuntimeError("the streams did not open")
    await searches(url, args.clients, args.clients * 5)  # warm-up
    latencies = await searches(url, args.clients, args.requests)
    writes.set()  # no more writes: the last ones reach the streams meanwhile
    await asyncio.sleep(2)
    arrived: dict[int, float] = {}
    if streams:
        stop.set()
        arrived = arrivals.get(timeout=60)
        holder.join(timeout=60)
    return latencies, arrived


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--search-index", choices=["embedded", "elasticsearch"], default="embedded")
    parser.add_argument("--streams", type=int, default=200)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--writes-per-s", type=float, default=2.0)
    args = parser.parse_args()

    articles = list(enriched_bbc_articles(SHARED_DIR))
    print(f"{len(articles)} BBC articles into the {args.search_index} index", flush=True)
    results: dict[int, list[tuple[float, float]]] = {0: [], args.streams: []}
    delays: list[float] = []
    with index_and_api(args.search_index, articles) as (url, writer):
        for round_number in range(args.rounds):
            # Alternately first and second, so a drift of the machine weighs on both alike.
            order = (0, args.streams) if round_number % 2 == 0 else (args.streams, 0)
            for streams in order:
                written: dict[int, float] = {}
                stop = threading.Event()
                trickle = threading.Thread(
                    target=write_trickle,
                    args=(writer, articles[0], args.writes_per_s, stop, written),
                )
                trickle.start()
                try:
                    latencies, arrivals = asyncio.run(phase(url, streams, args, stop))
                finally:
                    stop.set()
                    trickle.join()
                p50, p99 = percentile(latencies, 0.5), percentile(latencies, 0.99)
                results[streams].append((p50, p99))
                if streams:
                    delays += [arrivals[n] - at for n, at in written.items() if n in arrivals]
                    missing = len(written) - sum(1 for n in written if n in arrivals)
                    print(f"  {missing} of {len(written)} written articles not seen on a stream")
                print(
                    f"round {round_number + 1}, {streams:>4} streams: searches p50 "
                    f"{p50 * 1000:.1f} ms, p99 {p99 * 1000:.1f} ms",
                    flush=True,
                )
    print(
        f"\n{args.search_index}: {args.requests} searches at {args.clients} clients, median of "
        f"{args.rounds} rounds, {args.writes_per_s:g} writes/s during both phases"
    )
    base = [statistics.median(v[i] for v in results[0]) for i in (0, 1)]
    loaded = [statistics.median(v[i] for v in results[args.streams]) for i in (0, 1)]
    print("| open streams | search p50 | search p99 |")
    print("| ---: | ---: | ---: |")
    print(f"| 0 | {base[0] * 1000:.1f} ms | {base[1] * 1000:.1f} ms |")
    print(f"| {args.streams} | {loaded[0] * 1000:.1f} ms | {loaded[1] * 1000:.1f} ms |")
    print(f"slowdown: p50 {loaded[0] / base[0] - 1:+.1%}, p99 {loaded[1] / base[1] - 1:+.1%}")
    if delays:
        print(
            f"written -> on a stream: p50 {statistics.median(delays) * 1000:.0f} ms, "
            f"p99 {percentile(delays, 0.99) * 1000:.0f} ms, max {max(delays) * 1000:.0f} ms "
            f"({len(delays)} articles; {sum(d <= 1 for d in delays)} within 1 s)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
