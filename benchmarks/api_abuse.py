"""What abusive clients cost the others: 16 normal clients alone, then beside each attack of
issue 27's probe, on Elasticsearch and the embedded index, side by side.

Data: the BBC corpus enriched by the real enricher (the cache of `api_latency.py`), one article
per content, repeated with distinct ids up to --docs (default 4,254, the size of the issue's
embedded probe), loaded as `api_latency.py` loads it. The API runs as `python -m newswire_api`
with its default settings (time budget, turns, cost limits, rate limits, replay bounds; for
step 1, which times requests one at a time from one client, with the rate limit lifted). Every
client of the load phases is an address of its own (`X-Forwarded-For`, which uvicorn takes from
127.0.0.1, as from a reverse proxy in front): the per-client limits see them apart.

1. Costs, one request at a time (medians of 5 rounds over all of them): the normal mix (the
   first pages and cursor pages of `api_latency.py`), the probe's query (MAX_TERMS of the most
   frequent words OR-ed, `size=100&interval=day`) and candidates at the limits (the same words
   AND-ed, as a phrase, in OR pairs, nested, the issue's `s ` x 250, and the broadest OR and the
   commonest word the cost limits accept, at the largest page they allow). The costliest one
   answered 200 is the "costliest accepted". Target: the probe's query <= 5x the median normal.
2. Load: --normal clients (16) send the normal mix back to back for --seconds, alone, then
   beside an attack, for each attack in turn, --rounds times (3; each compared with the run
   alone just before it, as the shared machine's other load drifts; the medians are reported):
   - the probe's attackers: --attackers (4) clients sending the probe's query back to back,
     never waiting (Retry-After ignored);
   - the costliest accepted query from --attackers clients, likewise;
   - the replay flood: --flood (200) streams, as the probe's: half resuming from
     `Last-Event-ID: 0-0-`, half from as far back as the API replays (the index's head minus
     NEWSWIRE_API_STREAM_MAX_REPLAY_WRITES, dated a second ago), each read as an EventSource
     does and opened again (after Retry-After, if refused) when it ends.
   Each attack runs in a process of its own, so that its clients do not take this process's
   event loop from the normal clients.
   Normal clients' p50/p99 and answers/s; answers other than 200 are counted (and a normal
   client waits out a 503 or 429's Retry-After, as a well-behaved client does); the share of the
   machine's CPU the API, the normal clients and the attack's own clients took (they all share
   its cores: an attacker's own client work counts here as it would not on another machine).
   Targets: with each attack, normal clients keep >= 70% of their throughput and a p99 <= 2x
   their p99 alone.

    python benchmarks/api_abuse.py [--docs 4254] [--seconds 20] [--rounds 3] [--search-index both]
"""

import argparse
import asyncio
import contextlib
import itertools
import json
import multiprocessing
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Callable, Coroutine, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import httpx

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from benchmarks._measure import cpu_seconds  # noqa: E402
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
from newswire_api.search_request import MAX_PAGE_SIZE, SearchParams  # noqa: E402

PROBE = "the probe's query"
REPEAT = 5
THROUGHPUT_KEPT = 0.70
P99_RATIO = 2.0
COST_RATIO = 5.0
CORES = os.cpu_count() or 1
UNTHROTTLED = {
    "NEWSWIRE_API_RATE_LIMIT_PER_S": "1e9",
    "NEWSWIRE_API_RATE_LIMIT_BURST": "1000000000",
}


@dataclass
class Load:
    p50_ms: float
    p99_ms: float
    requests_per_s: float
    statuses: dict[str, int] = field(default_factory=dict)
    cpu_share: float = 0.0  # of the machine (every core), by the process sending these requests


Attack = Callable[..., Coroutine[Any, Any, "Load"]]


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


def candidates(words: list[str]) -> dict[str, dict[str, Any]]:
    """The probe's query and queries at the syntax's limits, each accepted by the syntax."""
    top = words[:MAX_TERMS]
    nested = top[0]
    for word in top[1:MAX_NESTING]:
        nested = f"({nested} OR {word})"
    queries = {
        f"{MAX_TERMS} frequent words OR-ed": " OR ".join(top),
        f"{MAX_TERMS} frequent words AND-ed": " ".join(top),
        f"a phrase of {MAX_TERMS} frequent words": '"' + " ".join(top) + '"',
        f"{MAX_TERMS} words in OR pairs": " ".join(
            f"({a} OR {b})" for a, b in zip(top[::2], top[1::2], strict=False)
        ),
        "nested to the limit, OR-ed with the rest": f"{nested} OR " + " OR ".join(top[8:]),
        "the issue's `s ` x 250": "s " * 250,
    }
    found = {PROBE: {"q": " OR ".join(top), "size": MAX_PAGE_SIZE, "interval": "day"}}
    found |= {name: {"q": query[:500], "size": 20} for name, query in queries.items()}
    for params in found.values():
        SearchParams.model_validate(params)
    return found


def at_the_cost_limits(client: httpx.Client, words: list[str]) -> dict[str, dict[str, Any]]:
    """The broadest OR of frequent words the API accepts, and its commonest word, each at the
    largest page the cost limits allow, with a timeline by day."""
    limit = Settings().api_max_size_times_words
    accepted = 0
    for count in range(1, MAX_TERMS + 1):
        if (
            client.get("/articles/search", params={"q": " OR ".join(words[:count])}).status_code
            != 200
        ):
            break
        accepted = count
    found = {"the commonest word, largest page": {"q": words[0], "size": MAX_PAGE_SIZE}}
    if accepted > 1:
        found[f"the broadest OR accepted ({accepted} words), largest page"] = {
            "q": " OR ".join(words[:accepted]),
            "size": min(MAX_PAGE_SIZE, limit // accepted),
        }
    return {name: params | {"interval": "day"} for name, params in found.items()}


def time_alone(client: httpx.Client, requests: list[dict[str, Any]]) -> list[tuple[float, int]]:
    """For each request, the median time of REPEAT sent one at a time, and its last status. The
    rounds go over every request in turn, so that a drift of the shared machine's load weighs
    on all of them alike (the normal mix and the candidates are compared with each other)."""
    times: list[list[float]] = [[] for _ in requests]
    statuses = [0] * len(requests)
    for _ in range(REPEAT):
        for n, params in enumerate(requests):
            started = time.perf_counter()
            response = client.get("/articles/search", params=params)
            times[n].append(time.perf_counter() - started)
            statuses[n] = response.status_code
    return [(statistics.median(each), status) for each, status in zip(times, statuses, strict=True)]


def _address(kind: str, n: int) -> dict[str, str]:
    """The headers making a benchmark client an address of its own."""
    block = {"normal": 1, "attack": 2, "flood": 3}[kind]
    return {"X-Forwarded-For": f"10.{block}.{n // 256}.{n % 256}"}


def _summary(latencies: list[float], answers: Counter[str], elapsed: float) -> Load:
    ordered = sorted(latencies)
    return Load(
        p50_ms=statistics.median(ordered) * 1000 if ordered else 0.0,
        p99_ms=ordered[max(0, int(len(ordered) * 0.99) - 1)] * 1000 if ordered else 0.0,
        requests_per_s=answers["200"] / elapsed,
        statuses=dict(answers),
    )


async def run_load(
    url: str,
    normal: list[dict[str, Any]],
    seconds: float,
    clients: int,
    attack: Callable[[float], Coroutine[Any, Any, Load]] | None = None,
) -> tuple[Load, Load | None]:
    """The normal clients' figures for `seconds`, beside `attack` (given the deadline)."""
    mix = itertools.cycle(normal)
    deadline = time.monotonic() + seconds
    latencies: list[float] = []
    answers: Counter[str] = Counter()

    async def normal_client(n: int) -> None:
        limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
        headers = _address("normal", n)
        async with httpx.AsyncClient(base_url=url, timeout=60, limits=limits) as session:
            while time.monotonic() < deadline:
                started = time.perf_counter()
                response = await session.get("/articles/search", params=next(mix), headers=headers)
                latencies.append(time.perf_counter() - started)
                answers[str(response.status_code)] += 1
                if response.status_code in {429, 503}:
                    await asyncio.sleep(float(response.headers.get("retry-after", "1")))

    started, cpu = time.perf_counter(), time.process_time()
    results = await asyncio.gather(
        *(normal_client(n) for n in range(clients)),
        *([attack(deadline)] if attack is not None else []),
    )
    elapsed = time.perf_counter() - started
    attackers = results[clients] if attack is not None else None
    normal_load = _summary(latencies, answers, elapsed)
    normal_load.cpu_share = (time.process_time() - cpu) / elapsed / CORES
    return normal_load, attackers


def query_attack(url: str, params: dict[str, Any], attackers: int) -> Any:
    """`attackers` clients sending `params` back to back, ignoring Retry-After."""
    return _in_a_process(_hammer, url, params, attackers)


def replay_flood(url: str, streams: int, furthest_replay: str) -> Any:
    """`streams` clients resuming streams: half from `0-0-`, half from `furthest_replay`; the
    figures count stream openings (status) and events received."""
    return _in_a_process(_flood, url, streams, furthest_replay)


def _in_a_process(attack: Attack, *args: Any) -> Any:
    """`attack(*args, deadline)` in a process of its own, so that the attackers' own work does
    not take this process's event loop from the normal clients (it would be the bottleneck,
    not the API; the machine's cores are shared all the same)."""

    async def run(deadline: float) -> Load:
        figures: multiprocessing.Queue[Load] = multiprocessing.Queue()
        seconds = deadline - time.monotonic()
        process = multiprocessing.Process(target=_run, args=(attack, args, seconds, figures))
        process.start()
        while process.is_alive():
            await asyncio.sleep(0.2)
        return figures.get(timeout=60)

    return run


def _run(attack: Attack, args: tuple[Any, ...], seconds: float, figures: Any) -> None:
    started, cpu = time.perf_counter(), time.process_time()
    load = asyncio.run(attack(*args, time.monotonic() + seconds))
    load.cpu_share = (time.process_time() - cpu) / (time.perf_counter() - started) / CORES
    figures.put(load)


async def _hammer(url: str, params: dict[str, Any], attackers: int, deadline: float) -> Load:
    latencies: list[float] = []
    answers: Counter[str] = Counter()
    started = time.perf_counter()

    async def attacker(n: int) -> None:
        limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
        headers = _address("attack", n)
        async with httpx.AsyncClient(base_url=url, timeout=60, limits=limits) as session:
            while time.monotonic() < deadline:
                sent = time.perf_counter()
                response = await session.get("/articles/search", params=params, headers=headers)
                latencies.append(time.perf_counter() - sent)
                answers[str(response.status_code)] += 1

    await asyncio.gather(*(attacker(n) for n in range(attackers)))
    return _summary(latencies, answers, time.perf_counter() - started)


async def _flood(url: str, streams: int, furthest_replay: str, deadline: float) -> Load:
    answers: Counter[str] = Counter()
    received = Counter[str]()
    started = time.perf_counter()
    limits = httpx.Limits(max_connections=streams + 10)
    timeout = httpx.Timeout(60, read=None)
    async with httpx.AsyncClient(base_url=url, timeout=timeout, limits=limits) as session:

        async def stream(n: int) -> None:
            headers = _address("flood", n)
            headers["Last-Event-ID"] = "0-0-" if n % 2 == 0 else furthest_replay
            while time.monotonic() < deadline:
                async with session.stream("GET", "/articles/stream", headers=headers) as sent:
                    answers[str(sent.status_code)] += 1
                    if sent.status_code == 200:
                        await _read_until(sent, received, deadline)
                    else:
                        await asyncio.sleep(float(sent.headers.get("retry-after", "1")))

        await asyncio.gather(*(stream(n) for n in range(streams)))
    elapsed = time.perf_counter() - started
    return Load(
        p50_ms=0.0,
        p99_ms=0.0,
        requests_per_s=answers["200"] / elapsed,
        statuses=dict(answers) | {f"{kind} events": n for kind, n in received.items()},
    )


async def _read_until(sent: httpx.Response, received: Counter[str], deadline: float) -> None:
    """Read a stream until the deadline, counting its events in the raw bytes (the cheapest
    client an attacker could write: parsing lines would cost this machine more than the API)."""
    chunks = sent.aiter_raw()
    while (left_s := deadline - time.monotonic()) > 0:
        try:
            chunk = await asyncio.wait_for(anext(chunks), left_s)
        except (TimeoutError, StopAsyncIteration):
            return
        for kind in (b"article", b"resync"):
            received[kind.decode()] += chunk.count(b"\nevent: " + kind)


def furthest_replay(client: httpx.Client) -> str:
    """The oldest Last-Event-ID the API replays from rather than resyncing: the head (which a
    resync event carries) minus the replay limit, dated a second ago."""
    with client.stream("GET", "/articles/stream", headers={"Last-Event-ID": "0-0-"}) as sent:
        for line in sent.iter_lines():
            if line.startswith("id:"):
                head = int(line[3:].strip().split("-")[0])
                break
    behind = max(-1, head - Settings().api_stream_max_replay_writes)
    return f"{behind}-{round(time.time() * 1000) - 1000}-"


def measure_costs(url: str, articles: list[EnrichedArticle]) -> dict[str, Any]:
    """Step 1, one request at a time, on an API process whose rate limit is lifted (a timing
    client sends faster than a client may: the costs do not depend on the limit)."""
    normal = [request.api_params for request in build_requests(url)]
    words = frequent_words(articles, MAX_TERMS)
    with httpx.Client(base_url=url, timeout=60) as client:
        for params in normal:  # warm-up
            client.get("/articles/search", params=params)
        queries = candidates(words) | at_the_cost_limits(client, words)
        both = time_alone(client, [*normal, *queries.values()])
        median_s = statistics.median(seconds for seconds, _ in both[: len(normal)])
        timed = dict(zip(queries, both[len(normal) :], strict=True))
        replay_from = furthest_replay(client)
    accepted = {name: seconds for name, (seconds, status) in timed.items() if status == 200}
    return {
        "normal": normal,
        "queries": queries,
        "median_query_ms": median_s * 1000,
        "candidates": {
            name: {"ms": seconds * 1000, "status": status}
            for name, (seconds, status) in timed.items()
        },
        "costliest": max(accepted, key=accepted.__getitem__),
        "replay_from": replay_from,
    }


def measure_loads(
    url: str, api_pid: int, costs: dict[str, Any], args: argparse.Namespace
) -> dict[str, Any]:
    """Step 2, on an API process (`api_pid`) with its default settings."""
    normal, queries = costs["normal"], costs["queries"]
    attacks = {
        "the probe's attackers": query_attack(url, queries[PROBE], args.attackers),
        "costliest-accepted attackers": query_attack(
            url, queries[costs["costliest"]], args.attackers
        ),
        "the replay flood": replay_flood(url, args.flood, costs["replay_from"]),
    }
    phases: dict[str, list[dict[str, Any]]] = {name: [] for name in attacks}
    for _ in range(args.rounds):
        for name, attack in attacks.items():
            # Each attack beside a run of the normal clients alone just before it: the
            # machine's other load drifts (it is shared), and an older baseline drifts with it.
            before = _api_cpu_s(api_pid)
            alone, _ = asyncio.run(run_load(url, normal, args.seconds, args.normal))
            between = _api_cpu_s(api_pid)
            beside, attackers = asyncio.run(
                run_load(url, normal, args.seconds, args.normal, attack)
            )
            after = _api_cpu_s(api_pid)
            assert attackers is not None
            phases[name].append(
                {
                    "alone": asdict(alone),
                    "beside": asdict(beside),
                    "attackers": asdict(attackers),
                    "api_cpu_share_alone": (between - before) / args.seconds / CORES,
                    "api_cpu_share_beside": (after - between) / args.seconds / CORES,
                    "kept": beside.requests_per_s / alone.requests_per_s,
                    "p99_ratio": beside.p99_ms / alone.p99_ms,
                }
            )
    return phases


@contextlib.contextmanager
def api_process(
    alias: str, data_dir: Path | None, port: int, env: dict[str, str]
) -> Iterator[tuple[str, int]]:
    """`python -m newswire_api` over the benchmark's index, with `env` on top of this one's: its
    URL and process id."""
    saved = dict(os.environ)
    os.environ.update(env)
    try:
        process = start_api(Settings(), alias, port, data_dir)
    finally:
        os.environ.clear()
        os.environ.update(saved)
    try:
        yield f"http://127.0.0.1:{port}", process.pid
    finally:
        process.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=30)


@contextlib.contextmanager
def benchmark_index(
    name: str, articles: list[EnrichedArticle], docs: int
) -> Iterator[tuple[str, Path | None]]:
    """An index of `docs` copies of `articles` on back-end `name`: (alias, embedded data dir)."""
    if name == "embedded":
        with tempfile.TemporaryDirectory(prefix="newswire-bench-abuse-") as folder:
            data_dir = Path(folder)
            load_embedded(
                Settings(search_index="embedded", data_dir=data_dir).search_index_path,
                articles,
                docs,
            )
            yield "", data_dir
        return
    settings = Settings()
    index = f"bench-abuse-{uuid.uuid4().hex[:8]}"
    client = create_client(settings)
    try:
        load(settings, f"{index}-alias", index, articles, docs)
        yield f"{index}-alias", None
    finally:
        client.options(ignore_status=404).indices.delete(index=f"{index}*")
        client.close()


def run_backend(name: str, articles: list[EnrichedArticle], args: argparse.Namespace) -> Any:
    with benchmark_index(name, articles, args.docs) as (alias, data_dir):
        with api_process(alias, data_dir, args.port, UNTHROTTLED) as (url, _):
            costs = measure_costs(url, articles)
        with api_process(alias, data_dir, args.port, {}) as (url, pid):
            phases = measure_loads(url, pid, costs, args)
    return {key: value for key, value in costs.items() if key not in {"normal", "queries"}} | {
        "phases": phases
    }


def _api_cpu_s(pid: int) -> float:
    seconds = cpu_seconds(pid)
    if seconds is None:
        raise RuntimeError("the API process is gone")
    return seconds


def _met(condition: bool) -> str:
    return "met" if condition else "NOT met"


def report(results: dict[str, Any], args: argparse.Namespace) -> None:
    print(
        f"\n{args.docs} documents; {args.normal} normal clients; attacks: {args.attackers} "
        f"clients, or {args.flood} streams; {args.seconds:.0f} s per phase, {args.rounds} "
        f"rounds; {os.cpu_count()} CPUs (shared)"
    )
    for name, figures in results.items():
        median = figures["median_query_ms"]
        print(f"\n{name}: median normal query {median:.1f} ms (each the median of {REPEAT} runs)")
        for candidate, timed in sorted(figures["candidates"].items(), key=lambda c: -c[1]["ms"]):
            print(
                f"  {timed['ms']:8.1f} ms {timed['ms'] / median:5.1f}x  {timed['status']}  "
                f"{candidate}"
            )
        probe = figures["candidates"][PROBE]["ms"] / median
        costliest = figures["candidates"][figures["costliest"]]["ms"] / median
        print(
            f"  the probe's query: {probe:.1f}x the median; target <= {COST_RATIO:g}x: "
            f"{_met(probe <= COST_RATIO)}. Costliest accepted ({figures['costliest']}): "
            f"{costliest:.1f}x"
        )
        for attack, rounds in figures["phases"].items():
            print(f"  {attack}:")
            print(f"    {'normal clients':32} {'p50 ms':>8} {'p99 ms':>8} {'ok/s':>7}  answers")
            for run in rounds:
                _row("alone", run["alone"])
                _row("beside the attack", run["beside"])
                _row("the attack itself", run["attackers"])
                print(
                    f"      kept {run['kept']:.0%}, p99 {run['p99_ratio']:.2f}x; CPU of the "
                    f"machine: the API {run['api_cpu_share_alone']:.0%} alone, "
                    f"{run['api_cpu_share_beside']:.0%} beside; the normal clients "
                    f"{run['alone']['cpu_share']:.0%}; the attack's own clients "
                    f"{run['attackers']['cpu_share']:.0%}"
                )
            kept = statistics.median(run["kept"] for run in rounds)
            p99 = statistics.median(run["p99_ratio"] for run in rounds)
            print(
                f"    median of {len(rounds)} rounds: kept {kept:.0%} of the throughput (target "
                f">= {THROUGHPUT_KEPT:.0%}: {_met(kept >= THROUGHPUT_KEPT)}); p99 {p99:.2f}x "
                f"alone (target <= {P99_RATIO:g}x: {_met(p99 <= P99_RATIO)})"
            )


def _row(label: str, run: dict[str, Any]) -> None:
    print(
        f"    {label:32} {run['p50_ms']:8.1f} {run['p99_ms']:8.1f} {run['requests_per_s']:7.1f}  "
        f"{run['statuses']}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--docs", type=int, default=2 * 2127)
    parser.add_argument("--normal", type=int, default=16)
    parser.add_argument("--attackers", type=int, default=4)
    parser.add_argument("--flood", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--rounds", type=int, default=3, help="runs of each attack (medians)")
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
