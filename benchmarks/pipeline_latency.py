"""End to end: from a file dropped into the inbox to its article answering over HTTP.

Runs the real pipeline as a user does — `newswire run` (embedded log and index) or `newswire up`
(Kafka and Elasticsearch, with topics, index and groups of its own) — in a temporary folder, then:

1. steady drops: BBC files at `--rate` files/s for `--duration` s, each written under a temporary
   name and renamed (atomic, as the README recommends); a poller asks `GET /articles/{id}` for
   every outstanding article every `--poll` s and records when it first answers 200. Latency =
   that moment - the rename. Ingest's settle time (1 s by default) is part of it, on purpose:
   it is what a user waits for.
2. the corpus: all 2,225 BBC files dropped at once into their section folders; the time until
   the search total counts every distinct article dropped so far.
3. peak resident memory (VmHWM) of each service process, and of the Kafka and Elasticsearch JVMs
   in stack mode when they run as local dev-services.

Usage: python benchmarks/pipeline_latency.py --mode embedded|stack [--rate 10 --duration 60]
"""

import argparse
import hashlib
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from benchmarks._measure import peak_rss_mib  # noqa: E402
from newswire.devservices.processes import ManagedProcess  # noqa: E402
from newswire.settings import DevServicesSettings  # noqa: E402
from tests.network import free_port  # noqa: E402

SHARED_DIR = Path(os.environ.get("NEWSWIRE_SHARED_DIR", REPO.parent / "shared"))
SAMPLE = SHARED_DIR / "samples" / "trtworld-2024-09-11-pezeshkian-iraq.txt"
SERVICES = ("newswire_ingest", "newswire_enrich", "newswire_indexer", "newswire_api")
SERVER_VARIABLES = (
    "KAFKA_BOOTSTRAP_SERVERS",
    "NEWSWIRE_KAFKA_BOOTSTRAP_SERVERS",
    "ELASTICSEARCH_URL",
    "NEWSWIRE_ELASTICSEARCH_URL",
    "NEWSWIRE_EVENT_LOG",
    "NEWSWIRE_SEARCH_INDEX",
)


@dataclass
class Figures:
    mode: str
    rate_files_per_s: float
    steady_files: int = 0
    latency_s: dict[str, float] = field(default_factory=dict)
    never_searchable: int = 0
    corpus_files: int = 0
    corpus_distinct: int = 0
    corpus_seconds: float | None = None
    peak_rss_mib: dict[str, float] = field(default_factory=dict)


def _get(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=10) as response:
        return json.load(response)


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return bool(response.status == 200)
    except urllib.error.HTTPError:
        return False


class Pipeline:
    """`newswire run|up` in a folder of its own, stopped (and never left behind) on exit."""

    def __init__(self, mode: str, folder: Path) -> None:
        self.folder = folder
        self.api_port = free_port()
        env = {k: v for k, v in os.environ.items() if k not in SERVER_VARIABLES}
        env |= {
            "NEWSWIRE_INGEST_METRICS_PORT": str(free_port()),
            "NEWSWIRE_ENRICH_METRICS_PORT": str(free_port()),
            "NEWSWIRE_INDEXER_METRICS_PORT": str(free_port()),
            "NEWSWIRE_API_PORT": str(self.api_port),
            "NEWSWIRE_LOG_LEVEL": "WARNING",
        }
        if mode == "stack":
            run = f"bench-{time.time_ns()}"
            env |= {
                "NEWSWIRE_RAW_TOPIC": f"{run}.raw",
                "NEWSWIRE_ENRICHED_TOPIC": f"{run}.enriched",
                "NEWSWIRE_DLQ_TOPIC": f"{run}.dlq",
                "NEWSWIRE_INDEX_NAME": run,
                "NEWSWIRE_INDEX_ALIAS": f"{run}-alias",
                "NEWSWIRE_ENRICH_GROUP_ID": f"{run}-enrich",
                "NEWSWIRE_INDEXER_GROUP_ID": f"{run}-indexer",
            }
        command = "up" if mode == "stack" else "run"
        self.process = subprocess.Popen(
            [sys.executable, "-m", "newswire", command],
            cwd=folder,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.api_port}{path}"

    def total(self) -> int:
        try:
            return int(_get(self.url("/articles/search?size=1"))["total"])
        except (OSError, urllib.error.URLError):
            return -1

    def services(self) -> dict[str, int]:
        """Service module → pid of the supervised child running it."""
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        found = {}
        for pid in children.read_text().split():
            arguments = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
            for module in SERVICES:
                if module.encode() in arguments:
                    found[module] = int(pid)
        return found

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


def _drop(source: Path, inbox: Path, relative: str) -> None:
    """Write under a name ingest ignores, then rename: the file appears complete at once."""
    target = inbox / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.name}.part")
    shutil.copyfile(source, temporary)
    temporary.rename(target)


def _wait_for(condition: Any, timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"gave up waiting for {what}")
        time.sleep(0.1)


def _distinct_bbc_files() -> list[tuple[Path, str]]:
    seen: set[str] = set()
    files = []
    for path in sorted((SHARED_DIR / "corpora" / "bbc").glob("*/*.txt")):
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        if digest not in seen:
            seen.add(digest)
            files.append((path, digest))
    return files


def _steady(
    pipeline: Pipeline, files: list[tuple[Path, str]], rate: float, duration_s: float, poll_s: float
) -> tuple[list[float], int]:
    """Drop `rate` files/s for `duration_s`; per-file drop→searchable seconds, and how many never
    became searchable within 60 s of the last drop."""
    dropped: dict[str, float] = {}
    latencies: list[float] = []
    lock = threading.Lock()
    done_dropping = threading.Event()

    def poll() -> None:
        give_up_at: float | None = None
        while True:
            with lock:
                outstanding = list(dropped.items())
            if done_dropping.is_set():
                give_up_at = give_up_at or time.monotonic() + 60
                if not outstanding or time.monotonic() > give_up_at:
                    return
            for article_id, at in outstanding:
                if _answers(pipeline.url(f"/articles/{article_id}")):
                    seen_at = time.monotonic()
                    with lock:
                        del dropped[article_id]
                        latencies.append(seen_at - at)
            time.sleep(poll_s)

    poller = threading.Thread(target=poll)
    poller.start()
    count = int(rate * duration_s)
    started = time.monotonic()
    for number, (path, digest) in enumerate(files[:count]):
        time.sleep(max(0.0, started + number / rate - time.monotonic()))
        _drop(path, pipeline.folder / "inbox", f"steady/{path.parent.name}/{path.name}")
        with lock:
            dropped[digest] = time.monotonic()
    done_dropping.set()
    poller.join()
    return latencies, len(dropped)


def _percentile(values: list[float], percent: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(percent / 100 * (len(ordered) - 1)))]


def measure(mode: str, rate: float, duration_s: float, poll_s: float, corpus: bool) -> Figures:
    figures = Figures(mode=mode, rate_files_per_s=rate)
    files = _distinct_bbc_files()
    with tempfile.TemporaryDirectory(prefix="newswire-bench-") as folder:
        pipeline = Pipeline(mode, Path(folder))
        try:
            # Ready means the enrich model is loaded: the sample went all the way through.
            _drop(SAMPLE, pipeline.folder / "inbox", f"warmup/{SAMPLE.name}")
            _wait_for(lambda: pipeline.total() == 1, 300, "the warm-up article")
            latencies, missing = _steady(pipeline, files, rate, duration_s, poll_s)
            figures.steady_files = len(latencies) + missing
            figures.never_searchable = missing
            if latencies:
                figures.latency_s = {
                    "p50": _percentile(latencies, 50),
                    "p90": _percentile(latencies, 90),
                    "p99": _percentile(latencies, 99),
                    "max": max(latencies),
                    "mean": statistics.fmean(latencies),
                }
            if corpus:
                figures.corpus_files, figures.corpus_distinct, figures.corpus_seconds = _corpus(
                    pipeline, files
                )
            for module, pid in pipeline.services().items():
                peak = peak_rss_mib(pid)
                if peak is not None:
                    figures.peak_rss_mib[module.removeprefix("newswire_")] = round(peak, 1)
            if mode == "stack":
                figures.peak_rss_mib |= _server_rss()
        finally:
            pipeline.stop()
    return figures


def _corpus(pipeline: Pipeline, files: list[tuple[Path, str]]) -> tuple[int, int, float]:
    corpus = sorted((SHARED_DIR / "corpora" / "bbc").glob("*/*.txt"))
    expected = 1 + len(files)  # the warm-up sample, and every distinct BBC text (some dropped)
    started = time.monotonic()
    for path in corpus:
        _drop(path, pipeline.folder / "inbox", f"corpus/{path.parent.name}/{path.name}")
    _wait_for(lambda: pipeline.total() >= expected, 900, "the whole corpus")
    return len(corpus), len(files), time.monotonic() - started


def _server_rss() -> dict[str, float]:
    found = {}
    home = DevServicesSettings().home
    for name in ("kafka", "elasticsearch"):
        pid = ManagedProcess(name, home / name).running_pid()
        if pid is not None and (peak := peak_rss_mib(pid)) is not None:
            found[f"{name} (JVM)"] = round(peak, 1)
    return found


def print_figures(figures: Figures) -> None:
    print(f"\npipeline, mode {figures.mode}")
    print(f"  steady drops at {figures.rate_files_per_s:g} files/s: {figures.steady_files} files")
    for name, value in figures.latency_s.items():
        print(f"    drop → searchable {name}: {value:.2f} s")
    if figures.never_searchable:
        print(f"    never searchable within 60 s: {figures.never_searchable}")
    if figures.corpus_seconds is not None:
        rate = figures.corpus_files / figures.corpus_seconds
        print(
            f"  corpus: {figures.corpus_files} files ({figures.corpus_distinct} distinct) "
            f"searchable in {figures.corpus_seconds:.1f} s ({rate:.1f} files/s)"
        )
    for name, mib in figures.peak_rss_mib.items():
        print(f"  peak RSS {name}: {mib:.0f} MiB")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mode", choices=["embedded", "stack"], default="embedded")
    parser.add_argument("--rate", type=float, default=10.0, help="files per second")
    parser.add_argument("--duration", type=float, default=60.0, help="seconds of steady drops")
    parser.add_argument("--poll", type=float, default=0.05, help="seconds between checks")
    parser.add_argument("--no-corpus", action="store_true", help="skip the whole-corpus drop")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    figures = measure(args.mode, args.rate, args.duration, args.poll, not args.no_corpus)
    print_figures(figures)
    if args.json:
        args.json.write_text(json.dumps(asdict(figures), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
