"""What an abusive client costs the others: 16 normal clients alone, then beside 4 clients sending
the costliest query the API accepts, on Elasticsearch and the embedded index, side by side.

Data: the BBC corpus enriched by the real enricher (the cache of `api_latency.py`), repeated
with distinct ids up to --docs (default 4,254, two copies: the size of the issue's embedded
probe), loaded as `api_latency.py` loads it. The API runs as `python -m newswire_api` with its
default settings (time budget, concurrent searches).

1. The costliest accepted query is found, not guessed: candidates built from the corpus's most
   frequent words at the syntax's limit (MAX_TERMS distinct words OR-ed, AND-ed, as one phrase,
   nested to MAX_NESTING, and the issue's `s ` x 250) are each timed alone; the slowest one that
   the API accepts (200) is the attack. It is compared with the median time of the normal mix
   (the first pages and cursor pages of `api_latency.py`), one request at a time.
   Target: costliest <= 10x the median.
2. Load: --normal clients (16) send the normal mix for --seconds, alone; then the same with
   --attackers (4) sending the costliest query back to back. Normal clients' p50/p99 and
   throughput are compared; answers other than 200 are counted (503s included), for attackers
   too. Target: normal p99 with attackers <= 2x without.

    python benchmarks/api_abuse.py [--docs 4254] [--seconds 20] [--search-index both]
"""

import argparse
import asyncio
import itertools
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import httpx

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from benchmarks.api_latency import (  # noqa: E402
    build_requests,
    enriched_bbc,
    load,
    load_embedded,
    start_api,
)
from newswire.adapters.elasticsearch import create_client  # noqa: E402
from newswire.enriched import EnrichedArticle  # noqa: E402
from newswire.settings import Settings  # noqa: E402
from newswire_api.query_syntax import MAX_NESTING, MAX_TERMS  # noqa: E402
from newswire_api.search.model import STOP_WORDS  # noqa: E402
from newswire_api.search_request import SearchParams  # noqa: E402


@dataclass
class Load:
    p50_ms: float
    p99_ms: float
    requests_per_s: float
    statuses: dict[str, int] = field(default_factory=dict)


def distinct_contents(articles: list[EnrichedArticle]) -> list[EnrichedArticle]:
    """One article per content: the corpus's byte-identical files (the same text in two folders)
    are one listing in the index, so copies of them would not all be searchable."""
    return list({article.content_sha256: article for article in reversed(articles)}.values())[::-1]


def frequent_words(articles: list[EnrichedArticle], count: int) -> list[str]:
    """The words in most articles (document frequency), stop words and numbers left out."""
    in_articles: Counter[str] = Counter()
    for article in articles:
        text = " ".join([article.title, *article.body]).lower()
        in_articles.update(
            {w for w in re.findall(r"[a-z]+", text) if w not in STOP_WORDS and len(w) > 2}
        )
    return [word for word, _ in in_articles.most_common(count)]


def candidates(words: list[str]) -> dict[str, str]:
    """Queries at the syntax's limits, each accepted by `SearchParams`."""
    top = words[:MAX_TERMS]
    nested = top[0]
    for word in top[1:MAX_NESTING]:
        nested = f"({nested} OR {word})"
    found = {
        f"{MAX_TERMS} frequent words OR-ed": " OR ".join(top),
        f"{MAX_TERMS} frequent words AND-ed": " ".join(top),
        f"a phrase of {MAX_TERMS} frequent words": '"' + " ".join(top) + '"',
        f"{MAX_TERMS} words in OR pairs": " ".join(
            f"({a} OR {b})" for a, b in zip(top[::2], top[1::2], strict=False)
        ),
        "nested to the limit, OR-ed with the rest": f"{nested} OR " + " OR ".join(top[8:]),
        "the issue's `s ` x 250": "s " * 250,
    }
    for query in found.values():
        SearchParams(q=query[:500])
    return {name: query[:500] for name, query in found.items()}


def time_alone(client: httpx.Client, params: dict[str, Any], repeat: int) -> tuple[float, int]:
    """The median time of `repeat` requests one at a time, and the last status."""
    times, status = [], 0
    for _ in range(repeat):
        started = time.perf_counter()
        response = client.get("/articles/search", params=params)
        times.append(time.perf_counter() - started)
        status = response.status_code
    return statistics.median(times), status


async def run_load(
    url: str,
    normal: list[dict[str, Any]],
    attack: dict[str, Any] | None,
    *,
    clients: int,
    attackers: int,
    seconds: float,
) -> tuple[Load, Load | None]:
    mix = itertools.cycle(normal)
    deadline = time.monotonic() + seconds
    latencies: dict[str, list[float]] = {"normal": [], "attack": []}
    statuses: dict[str, Counter[str]] = {"normal": Counter(), "attack": Counter()}

    async def loop(session: httpx.AsyncClient, kind: str) -> None:
        while time.monotonic() < deadline:
            params = attack if kind == "attack" and attack is not None else next(mix)
            started = time.perf_counter()
            response = await session.get("/articles/search", params=params)
            latencies[kind].append(time.perf_counter() - started)
            statuses[kind][str(response.status_code)] += 1
            if response.status_code == 503:  # as a well-behaved client would
                await asyncio.sleep(float(response.headers.get("retry-after", "1")))

    limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
    kinds = ["normal"] * clients + ["attack"] * (attackers if attack is not None else 0)
    sessions = [httpx.AsyncClient(base_url=url, timeout=60, limits=limits) for _ in kinds]
    started = time.perf_counter()
    try:
        await asyncio.gather(*(loop(s, kind) for s, kind in zip(sessions, kinds, strict=True)))
    finally:
        await asyncio.gather(*(s.aclose() for s in sessions))
    elapsed = time.perf_counter() - started

    def summary(kind: str) -> Load:
        ordered = sorted(latencies[kind])
        return Load(
            p50_ms=statistics.median(ordered) * 1000,
            p99_ms=ordered[max(0, int(len(ordered) * 0.99) - 1)] * 1000,
            requests_per_s=statuses[kind]["200"] / elapsed,
            statuses=dict(statuses[kind]),
        )

    return summary("normal"), summary("attack") if attack is not None else None


def measure(url: str, articles: list[EnrichedArticle], args: argparse.Namespace) -> dict[str, Any]:
    normal = [request.api_params for request in build_requests(url)]
    with httpx.Client(base_url=url, timeout=60) as client:
        for params in normal:  # warm-up
            client.get("/articles/search", params=params)
        median_s = statistics.median(time_alone(client, p, 3)[0] for p in normal)
        timed = {
            name: time_alone(client, {"q": query, "size": 20}, 5)
            for name, query in candidates(frequent_words(articles, MAX_TERMS)).items()
        }
    accepted = {name: seconds for name, (seconds, status) in timed.items() if status == 200}
    costliest = max(accepted, key=accepted.__getitem__)
    attack = {"q": candidates(frequent_words(articles, MAX_TERMS))[costliest], "size": 20}
    alone, _ = asyncio.run(
        run_load(url, normal, None, clients=args.normal, attackers=0, seconds=args.seconds)
    )
    beside, attackers = asyncio.run(
        run_load(
            url,
            normal,
            attack,
            clients=args.normal,
            attackers=args.attackers,
            seconds=args.seconds,
        )
    )
    return {
        "median_query_ms": median_s * 1000,
        "candidates_ms": {name: s * 1000 for name, s in accepted.items()},
        "refused": {name: status for name, (_, status) in timed.items() if status != 200},
        "costliest": costliest,
        "costliest_ms": accepted[costliest] * 1000,
        "normal_alone": asdict(alone),
        "normal_beside_attackers": asdict(beside),
        "attackers": asdict(attackers) if attackers else None,
    }


def run_backend(name: str, articles: list[EnrichedArticle], args: argparse.Namespace) -> Any:
    url = f"http://127.0.0.1:{args.port}"
    settings = Settings()
    if name == "embedded":
        with tempfile.TemporaryDirectory(prefix="newswire-bench-abuse-") as folder:
            data_dir = Path(folder)
            path = Settings(search_index="embedded", data_dir=data_dir).search_index_path
            load_embedded(path, articles, args.docs)
            embedded_api = start_api(settings, "", args.port, data_dir)
            try:
                return measure(url, articles, args)
            finally:
                embedded_api.terminate()
                embedded_api.wait(timeout=30)
    index = f"bench-abuse-{uuid.uuid4().hex[:8]}"
    client = create_client(settings)
    api: subprocess.Popen[bytes] | None = None
    try:
        load(settings, f"{index}-alias", index, articles, args.docs)
        api = start_api(settings, f"{index}-alias", args.port)
        return measure(url, articles, args)
    finally:
        if api is not None:
            api.terminate()
            api.wait(timeout=30)
        client.options(ignore_status=404).indices.delete(index=index)
        client.close()


def report(results: dict[str, Any], args: argparse.Namespace) -> None:
    print(
        f"\n{args.docs} documents; {args.normal} normal clients, {args.attackers} attackers, "
        f"{args.seconds:.0f} s per phase; {os.cpu_count()} CPUs"
    )
    for name, figures in results.items():
        ratio = figures["costliest_ms"] / figures["median_query_ms"]
        alone, beside = figures["normal_alone"], figures["normal_beside_attackers"]
        print(f"\n{name}")
        for candidate, ms in sorted(figures["candidates_ms"].items(), key=lambda c: -c[1]):
            print(f"  {ms:8.1f} ms  {candidate}")
        for candidate, status in figures["refused"].items():
            print(f"  refused {status}  {candidate}")
        print(
            f"  costliest accepted: {figures['costliest']}, {figures['costliest_ms']:.1f} ms = "
            f"{ratio:.1f}x the median query ({figures['median_query_ms']:.1f} ms); "
            f"target <= 10x: {'met' if ratio <= 10 else 'NOT met'}"
        )
        print(f"  {'normal clients':26} {'p50 ms':>8} {'p99 ms':>8} {'ok/s':>7}  answers")
        for label, run in (("alone", alone), ("beside the attackers", beside)):
            print(
                f"  {label:26} {run['p50_ms']:8.1f} {run['p99_ms']:8.1f} "
                f"{run['requests_per_s']:7.1f}  {run['statuses']}"
            )
        attackers = figures["attackers"]
        print(
            f"  {'attackers':26} {attackers['p50_ms']:8.1f} {attackers['p99_ms']:8.1f} "
            f"{attackers['requests_per_s']:7.1f}  {attackers['statuses']}"
        )
        p99_ratio = beside["p99_ms"] / alone["p99_ms"]
        print(
            f"  normal p99 with attackers / without: {p99_ratio:.2f}x; target <= 2x: "
            f"{'met' if p99_ratio <= 2 else 'NOT met'}"
        )


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--docs", type=int, default=2 * 2127)
    parser.add_argument("--normal", type=int, default=16)
    parser.add_argument("--attackers", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--port", type=int, default=8766)
    parser.add_argument(
        "--cache", type=Path, default=Path("/tmp/newswire-bench-bbc-enriched.jsonl")
    )
    parser.add_argument(
        "--search-index", choices=["elasticsearch", "embedded", "both"], default="both"
    )
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    articles = distinct_contents(enriched_bbc(args.cache))
    names = ["elasticsearch", "embedded"] if args.search_index == "both" else [args.search_index]
    results = {name: run_backend(name, articles, args) for name in names}
    report(results, args)
    if args.json is not None:
        args.json.write_text(json.dumps({"docs": args.docs, **results}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
