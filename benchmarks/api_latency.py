"""Search API latency and throughput at 20 concurrent clients, beside the same searches sent
straight to Elasticsearch.

Data: the BBC corpus enriched by the real enricher (spaCy entities, section from the folder;
cached in --cache after the first run, which takes a few minutes), repeated with distinct ids up
to --docs (default 102,125 = 48 copies of 2,127 + 1), each copy with its own publication date
(spread over 2020-2024) and one of 40 authors. Loaded once into a fresh index with the
articles-v1 mapping behind its own alias, force-merged to one segment, deleted at the end.

Searches: a fixed mix (words, phrases, OR, exclusions; section, entity, author and date filters;
both sorts; first pages with facets and deep pages by cursor). "direct" POSTs, for each, the
exact body the API builds (`search_body` of `newswire_api.search.elasticsearch.query`) to
`/<alias>/_search`; "api" GETs `/articles/search` from `python -m newswire_api` (one uvicorn
process, a subprocess). One load generator for both: --clients asyncio tasks on httpx, each with
its own keep-alive connection, sending the mix round-robin; every request's latency includes
reading the whole response.
Each round runs direct then api (warm-up first); the table gives the median over --rounds. Three
mixes are measured: all searches, the first pages alone (with facets) and the cursor pages alone
(no facet aggregations), which shows what the facets cost.

    python benchmarks/api_latency.py [--docs 102125] [--clients 20] [--requests 4000]

With `--search-index embedded` the same documents go into the embedded SQLite index (the
`newswire run` mode; upserted in transactions of 1,000, then the FTS5 index optimised, as the
force-merge is for Elasticsearch) and the API process reads that file. "direct" is then the
embedded search adapter itself (`EmbeddedArticleSearch`), called in this process from --clients
threads, each with its own SQLite connection, every answer serialised to JSON. Why the adapter
and not raw SQL: with Elasticsearch, "direct" is the search engine doing the whole search (query,
facets, highlights, cursor) for the body the API would send, and the API's overhead is what it
adds around that (HTTP in and out, validation, shaping the response). For the embedded index the
engine doing that same whole search is SQLite plus the adapter's SQL building and result
shaping, all in-process: there is no single SQL statement the API sends that could be replayed
on its own (a search is several queries: page, total, facets, highlights), and a hand-written
subset would do less work than the API's search and so make the API's overhead look bigger than
it is. So the ratio api/direct is the cost of the HTTP service around the same search code, as
it is for Elasticsearch. Before measuring, every search of the mix is checked to give the same
total and the same ids in the same order through both paths.

`--json PATH` also writes the medians of every mix and target there.
"""

import argparse
import asyncio
import concurrent.futures
import hashlib
import itertools
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from benchmarks.corpus import bbc_files  # noqa: E402
from newswire.adapters.elasticsearch import create_client  # noqa: E402
from newswire.article_index import ArticleIndex  # noqa: E402
from newswire.embedded.sqlite import connect  # noqa: E402
from newswire.enriched import EnrichedArticle, story_id  # noqa: E402
from newswire.settings import Settings  # noqa: E402
from newswire_api.ports import SearchUnavailableError  # noqa: E402
from newswire_api.search.elasticsearch.query import search_body  # noqa: E402
from newswire_api.search.embedded import EmbeddedArticleSearch  # noqa: E402
from newswire_api.search_request import CursorCodec, SearchParams  # noqa: E402
from newswire_indexer.batch import PendingDocument  # noqa: E402
from newswire_indexer.bulk import BulkWriter  # noqa: E402
from newswire_indexer.embedded_writer import EmbeddedDocumentWriter  # noqa: E402

AUTHORS = [
    f"{first} {last}"
    for first in ("Ann", "Ben", "Chloe", "Dev", "Eva")
    for last in ("Lee", "Khan", "Okafor", "Smith", "Novak", "Garcia", "Chen", "Muller")
]
FIRST_DAY = date(2020, 1, 1)
DAYS = 1827
SEARCHES: list[dict[str, Any]] = [
    {"q": "government"},
    {"q": "economy growth"},
    {"q": '"prime minister"'},
    {"q": "blair OR brown"},
    {"q": "election -labour"},
    {"q": "film award", "sort": "date"},
    {"q": "mobile phone"},
    {"q": "chelsea OR arsenal", "section": ["Sport"]},
    {"q": "oil prices", "interval": "week"},
    {"q": "music", "section": ["Entertainment", "Tech"]},
    {"q": "internet security"},
    {"q": '"world cup" england'},
    {"q": "court", "from": "2022-01-01", "to": "2022-12-31"},
    {"q": "market shares", "author": ["Ann Lee"]},
    {"q": "games console"},
    {"q": "tax"},
    {"entity": ["GPE:US"]},
    {"entity": ["ORG:BBC"], "q": "television"},
    {"section": ["Business"]},
    {"sort": "date", "interval": "day", "from": "2024-01-01"},
]
DEEP_PAGE = 5  # searches also fetched at this page, through cursors
# The API process signs cursors with this; "direct" decodes the same cursors to build its bodies.
CURSOR_SECRET = "api-latency-benchmark-cursor-secret"
CURSORS = CursorCodec(CURSOR_SECRET.encode())


@dataclass(frozen=True)
class Request:
    api_params: dict[str, Any]
    direct_body: bytes


@dataclass(frozen=True)
class Run:
    p50_ms: float
    p99_ms: float
    requests_per_s: float
    failed: int = 0  # answers other than 200 (a 503 past the time budget, say), timed all the same


def enriched_bbc(cache: Path) -> list[EnrichedArticle]:
    """Each distinct BBC article through the real enricher, once; then from the cache."""
    if not cache.exists():
        from newswire_enrich.app import create_enricher  # noqa: PLC0415 (loads spaCy)
        from newswire_enrich.local_files import raw_article_from_file  # noqa: PLC0415

        enricher = create_enricher(Settings())
        shared = Path(os.environ.get("NEWSWIRE_SHARED_DIR", REPO.parent / "shared"))
        inbox = shared / "corpora" / "bbc"  # so that the folder gives the section
        articles: dict[str, EnrichedArticle] = {}
        files = bbc_files(shared)
        for start in range(0, len(files), 64):
            raws = [raw_article_from_file(path, inbox) for path in files[start : start + 64]]
            for enrichment in enricher.enrich(raws):
                articles.update((a.id, a) for a in enrichment.articles)
            print(f"  enriched {len(articles)} articles", file=sys.stderr)
        tmp = cache.with_suffix(".tmp")
        tmp.write_text("".join(a.model_dump_json() + "\n" for a in articles.values()))
        tmp.rename(cache)
    return [EnrichedArticle.model_validate_json(line) for line in cache.read_text().splitlines()]


def copies(articles: list[EnrichedArticle], count: int) -> Iterator[EnrichedArticle]:
    """`count` distinct stories (each copy of an article its own story and content)."""
    for n in range(count):
        article = articles[n % len(articles)]
        copy = n // len(articles)
        key = f"{article.story_key}#copy-{copy}"
        yield article.model_copy(
            update={
                "id": story_id(key),
                "story_key": key,
                "content_sha256": hashlib.sha256(
                    f"{article.content_sha256}-{copy}".encode()
                ).hexdigest(),
                "publication_date": FIRST_DAY + timedelta(days=(n * 7919) % DAYS),
                "authors": [AUTHORS[n % len(AUTHORS)]],
            }
        )


def batches(articles: list[EnrichedArticle], count: int) -> Iterator[list[PendingDocument]]:
    """The copies as the indexer consumes them, 1000 at a time."""
    batch: list[PendingDocument] = []
    for offset, article in enumerate(copies(articles, count)):
        batch.append(
            PendingDocument(article.id, article.model_dump_json().encode(), "bench", 0, offset)
        )
        if len(batch) == 1000:
            yield batch
            batch = []
    if batch:
        yield batch


def load(
    settings: Settings, alias: str, index: str, articles: list[EnrichedArticle], count: int
) -> None:
    """Load through the indexer's own writer (story documents and listings)."""
    client = create_client(settings)
    ArticleIndex(client, alias, index).ensure()
    index = f"{index}-*"  # its listings and its stories
    client.indices.put_settings(index=index, settings={"refresh_interval": "-1"})
    started = time.monotonic()
    writer = BulkWriter(client, alias, max_backoff_s=5.0)
    for batch in batches(articles, count):
        outcome = writer.write(batch, wait=time.sleep)
        if outcome.rejected:
            raise RuntimeError(f"documents refused: {outcome.rejected[:3]}")
    client.indices.put_settings(index=index, settings={"refresh_interval": "1s"})
    client.indices.refresh(index=index)
    client.options(request_timeout=900).indices.forcemerge(index=index, max_num_segments=1)
    listed = int(
        client.count(index=index, query={"exists": {"field": "listing.visible_from"}})["count"]
    )
    client.close()
    if listed != count:
        raise RuntimeError(f"{listed} stories listed, expected {count}")
    print(f"loaded {count} stories in {time.monotonic() - started:.0f} s", file=sys.stderr)


def load_embedded(path: Path, articles: list[EnrichedArticle], count: int) -> None:
    started = time.monotonic()
    writer = EmbeddedDocumentWriter(path)
    for batch in batches(articles, count):
        writer.write(batch, wait=time.sleep)
    writer.close()
    connection = connect(path)
    connection.execute("INSERT INTO articles_text (articles_text) VALUES ('optimize')")
    connection.close()
    print(f"loaded {count} stories in {time.monotonic() - started:.0f} s", file=sys.stderr)


def measure_embedded_directly(path: Path, requests: list[Request], clients: int, total: int) -> Run:
    """The embedded adapter's own latency: `clients` threads calling it in this process."""
    # The API's own settings: its time budget applies to "direct" too.
    search = EmbeddedArticleSearch(
        path, timeout_s=60, cursors=CURSORS, budget_s=Settings().api_search_budget_s
    )
    mix = itertools.cycle(requests)
    lock = threading.Lock()

    failed = 0

    def one() -> float:
        nonlocal failed
        with lock:
            request = next(mix)
        started = time.perf_counter()
        try:
            search.search(SearchParams.model_validate(request.api_params)).model_dump_json()
        except SearchUnavailableError:  # past the time budget: what the API answers 503 for
            failed += 1
        return time.perf_counter() - started

    started = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(max_workers=clients) as pool:
        latencies = sorted(pool.map(lambda _: one(), range(total)))
    elapsed = time.perf_counter() - started
    return Run(
        p50_ms=statistics.median(latencies) * 1000,
        p99_ms=latencies[int(len(latencies) * 0.99) - 1] * 1000,
        requests_per_s=(len(latencies) - failed) / elapsed,
        failed=failed,
    )


def build_requests(api_url: str) -> list[Request]:
    """The mix: each search's first page, and its page DEEP_PAGE where it has one."""
    requests = []
    with httpx.Client(base_url=api_url, timeout=60) as client:
        for search in SEARCHES:
            params = dict(search, size=20)
            requests.append(_request(params))
            for _ in range(DEEP_PAGE - 1):
                page = client.get("/articles/search", params=params).raise_for_status().json()
                if page["next_cursor"] is None:
                    break
                params = dict(params, cursor=page["next_cursor"])
            else:
                requests.append(_request(params))
    return requests


def _request(params: dict[str, Any]) -> Request:
    parsed = SearchParams.model_validate(params)
    body = search_body(parsed, CURSORS.decode(parsed))
    return Request(api_params=params, direct_body=json.dumps(body).encode())


async def measure(
    target: str, url: str, alias: str, requests: list[Request], *, clients: int, total: int
) -> Run:
    mix = itertools.cycle(requests)
    latencies: list[float] = []
    failed = 0

    async def client_loop(client: httpx.AsyncClient, quota: int) -> None:
        nonlocal failed
        for _ in range(quota):
            request = next(mix)
            started = time.perf_counter()
            if target == "api":
                response = await client.get("/articles/search", params=request.api_params)
            else:
                response = await client.post(
                    f"/{alias}/_search",
                    content=request.direct_body,
                    headers={"content-type": "application/json"},
                )
            failed += response.status_code != 200
            latencies.append(time.perf_counter() - started)

    limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
    sessions = [httpx.AsyncClient(base_url=url, timeout=60, limits=limits) for _ in range(clients)]
    try:
        started = time.perf_counter()
        await asyncio.gather(*(client_loop(s, total // clients) for s in sessions))
        elapsed = time.perf_counter() - started
    finally:
        await asyncio.gather(*(s.aclose() for s in sessions))
    latencies.sort()
    return Run(
        p50_ms=statistics.median(latencies) * 1000,
        p99_ms=latencies[int(len(latencies) * 0.99) - 1] * 1000,
        requests_per_s=(len(latencies) - failed) / elapsed,
        failed=failed,
    )


def _same_answers(api_url: str, es_url: str, alias: str, requests: list[Request]) -> None:
    """Both paths must answer the same: same totals and same article ids, in order."""
    with httpx.Client(timeout=60) as client:
        for request in requests:
            api = client.get(f"{api_url}/articles/search", params=request.api_params).json()
            direct = client.post(
                f"{es_url}/{alias}/_search",
                content=request.direct_body,
                headers={"content-type": "application/json"},
            ).json()
            # A hit is a listing (articles-v3): its `_id` names the content, its `id` the story.
            hits = direct["hits"]["hits"][: len(api["hits"])]
            direct_ids = [hit["_source"]["id"] for hit in hits]
            if api["total"] != direct["hits"]["total"]["value"] or direct_ids != [
                hit["id"] for hit in api["hits"]
            ]:
                raise RuntimeError(f"api and direct disagree on {request.api_params}")


def _same_embedded_answers(api_url: str, path: Path, requests: list[Request]) -> None:
    """The API and the adapter it wraps must answer the same: same totals, same ids in order."""
    search = EmbeddedArticleSearch(path, timeout_s=60, cursors=CURSORS)
    try:
        with httpx.Client(timeout=60) as client:
            for request in requests:
                api = client.get(f"{api_url}/articles/search", params=request.api_params).json()
                direct = search.search(SearchParams.model_validate(request.api_params))
                if api["total"] != direct.total or [hit["id"] for hit in api["hits"]] != [
                    hit.id for hit in direct.hits
                ]:
                    raise RuntimeError(f"api and direct disagree on {request.api_params}")
    finally:
        search.close()


# The searches of the mix run at 20 clients; this benchmark measures latency, not admission:
# its clients all come from one address, which the per-client rate limit would hold back.
UNTHROTTLED = {
    "NEWSWIRE_API_RATE_LIMIT_PER_S": "1000000",
    "NEWSWIRE_API_RATE_LIMIT_BURST": "1000000",
}


def start_api(
    settings: Settings,
    alias: str,
    port: int,
    data_dir: Path | None = None,
    extra: dict[str, str] | None = None,
) -> subprocess.Popen[bytes]:
    """`python -m newswire_api` over the benchmark's index, with `extra` in its environment."""
    common = {"NEWSWIRE_API_CURSOR_SECRET": CURSOR_SECRET} | (extra or {})
    if data_dir is not None:
        env = (
            os.environ
            | common
            | {
                "NEWSWIRE_SEARCH_INDEX": "embedded",
                "NEWSWIRE_DATA_DIR": str(data_dir),
            }
        )
    else:
        env = (
            os.environ
            | common
            | {
                "ELASTICSEARCH_URL": settings.elasticsearch_url,
                "NEWSWIRE_INDEX_ALIAS": alias,
            }
        )
    command = [sys.executable, "-m", "newswire_api", "--host", "127.0.0.1", "--port", str(port)]
    process = subprocess.Popen(command, env=env)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/readyz").status_code == 200:
                return process
        except httpx.TransportError:
            time.sleep(0.2)
    process.terminate()
    raise RuntimeError("the API did not become ready")


def _compare(
    alias: str,
    api_url: str,
    settings: Settings,
    requests: list[Request],
    args: argparse.Namespace,
    *,
    embedded: Path | None = None,
) -> dict[str, list[Run]]:
    runs: dict[str, list[Run]] = {"direct": [], "api": []}
    for round_number in range(args.rounds):
        for target, url in (("direct", settings.elasticsearch_url), ("api", api_url)):
            warm_up = len(requests) * 5
            if target == "direct" and embedded is not None:
                measure_embedded_directly(embedded, requests, args.clients, warm_up)
                run = measure_embedded_directly(embedded, requests, args.clients, args.requests)
                runs[target].append(run)
                print(f"round {round_number + 1} {target}: {run}", file=sys.stderr)
                continue
            asyncio.run(measure(target, url, alias, requests, clients=args.clients, total=warm_up))
            run = asyncio.run(
                measure(target, url, alias, requests, clients=args.clients, total=args.requests)
            )
            runs[target].append(run)
            print(f"round {round_number + 1} {target}: {run}", file=sys.stderr)
    return runs


def _report(title: str, runs: dict[str, list[Run]]) -> None:
    def median(target: str, field: str) -> float:
        return float(statistics.median(getattr(run, field) for run in runs[target]))

    print(f"\n{title}\n{'target':8} {'p50 ms':>8} {'p99 ms':>8} {'ok/s':>8} {'not 200':>8}")
    for target in ("direct", "api"):
        print(
            f"{target:8} {median(target, 'p50_ms'):8.1f} {median(target, 'p99_ms'):8.1f} "
            f"{median(target, 'requests_per_s'):8.0f} "
            f"{sum(run.failed for run in runs[target]):8d}"
        )
    print(
        f"api/direct: p50 {median('api', 'p50_ms') / median('direct', 'p50_ms'):.2f}x, "
        f"p99 {median('api', 'p99_ms') / median('direct', 'p99_ms'):.2f}x, "
        f"throughput {median('api', 'requests_per_s') / median('direct', 'requests_per_s'):.2f}x"
    )


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--docs", type=int, default=48 * 2127 + 1)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--requests", type=int, default=4000, help="per target and round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument(
        "--cache", type=Path, default=Path("/tmp/newswire-bench-bbc-enriched.jsonl")
    )
    parser.add_argument(
        "--search-index", choices=["elasticsearch", "embedded"], default="elasticsearch"
    )
    parser.add_argument("--json", type=Path, help="also write the medians here")
    args = parser.parse_args()
    if args.search_index == "embedded":
        return main_embedded(args)

    settings = Settings()
    index = f"bench-api-{uuid.uuid4().hex[:8]}"
    alias = f"{index}-alias"
    api_url = f"http://127.0.0.1:{args.port}"
    articles = enriched_bbc(args.cache)
    client = create_client(settings)
    api = None
    try:
        load(settings, alias, index, articles, args.docs)
        api = start_api(settings, alias, args.port, extra=UNTHROTTLED)
        requests = build_requests(api_url)
        _same_answers(api_url, settings.elasticsearch_url, alias, requests)
        mixes = {
            "all searches (first pages with facets, and cursor pages)": requests,
            "first pages only (with facets)": [r for r in requests if "cursor" not in r.api_params],
            "cursor pages only (no facets)": [r for r in requests if "cursor" in r.api_params],
        }
        results = {
            mix: _compare(alias, api_url, settings, mix_requests, args)
            for mix, mix_requests in mixes.items()
        }
    finally:
        if api is not None:
            api.terminate()
            api.wait(timeout=30)
        client.options(ignore_status=404).indices.delete(index=f"{index}*")
        client.close()
    print(
        f"\n{args.docs} documents, {args.clients} clients, {args.requests} requests per target "
        f"and round, median of {args.rounds} rounds"
    )
    for mix, runs in results.items():
        _report(f"{mix}, {len(mixes[mix])} distinct", runs)
    _write_json(args, results)
    return 0


def main_embedded(args: argparse.Namespace) -> int:
    articles = enriched_bbc(args.cache)
    api_url = f"http://127.0.0.1:{args.port}"
    with tempfile.TemporaryDirectory(prefix="newswire-bench-api-") as folder:
        data_dir = Path(folder)
        settings = Settings(search_index="embedded", data_dir=data_dir)
        load_embedded(settings.search_index_path, articles, args.docs)
        api = start_api(settings, "", args.port, data_dir, extra=UNTHROTTLED)
        try:
            requests = build_requests(api_url)
            _same_embedded_answers(api_url, settings.search_index_path, requests)
            mixes = {
                "all searches (first pages with facets, and cursor pages)": requests,
                "first pages only (with facets)": [
                    r for r in requests if "cursor" not in r.api_params
                ],
                "cursor pages only (no facets)": [r for r in requests if "cursor" in r.api_params],
            }
            results = {
                mix: _compare(
                    "", api_url, settings, reqs, args, embedded=settings.search_index_path
                )
                for mix, reqs in mixes.items()
            }
        finally:
            api.terminate()
            api.wait(timeout=30)
    print(
        f"\nembedded index: {args.docs} documents, {args.clients} clients, {args.requests} "
        f"requests per target and round, median of {args.rounds} rounds"
    )
    for mix, runs in results.items():
        _report(f"{mix}, {len(mixes[mix])} distinct", runs)
    _write_json(args, results)
    return 0


def _write_json(args: argparse.Namespace, results: dict[str, dict[str, list[Run]]]) -> None:
    if args.json is None:
        return
    medians = {
        mix: {
            target: {
                field: statistics.median(getattr(run, field) for run in target_runs)
                for field in ("p50_ms", "p99_ms", "requests_per_s", "failed")
            }
            for target, target_runs in runs.items()
        }
        for mix, runs in results.items()
    }
    figures = {
        "search_index": args.search_index,
        "docs": args.docs,
        "clients": args.clients,
        "requests": args.requests,
        "rounds": args.rounds,
        "cpus": os.cpu_count(),
        "load_average": os.getloadavg()[0],
        **medians,
    }
    args.json.write_text(json.dumps(figures, indent=2))


if __name__ == "__main__":
    sys.exit(main())
