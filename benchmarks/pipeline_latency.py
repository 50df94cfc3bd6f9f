"""End to end: from a file dropped into the inbox to its article being searchable over HTTP.

Runs the real pipeline as a user does, as a process tree in a temporary working folder:
- `--mode stack`: `newswire up` on the running Kafka and Elasticsearch (the dev-services, or those
  KAFKA_BOOTSTRAP_SERVERS / ELASTICSEARCH_URL name), with topics, consumer groups, index and
  alias of its own (deleted at the end) and ports of its own;
- `--mode embedded`: `newswire run` on the embedded event log and search index, its data
  directory in the temporary folder.

The clock starts only once the pipeline is ready: the API answers /healthz, and a warm-up
article (the reference sample) went all the way through, so the enrich model is loaded. Then:

1. Steady drops, one phase per `--rate` (2 then 10 files/s by default), one after the other,
   each for `--duration` s: BBC texts into the section folders, each
   written under a name ingest ignores (`.name.part`) and renamed (atomic). The texts are the
   corpus's distinct ones in a fixed shuffled order (sections and lengths mixed) with a trailing
   newline added (one more per pass over them), so their ids (sha256 of the bytes) differ from
   the corpus's and step 2 starts from nothing already indexed; the phases take consecutive
   slices of that one sequence (`steady-00000.txt` …), so no file is in two. Per file, latency =
   the moment `GET /articles/{id}` first answered 200 - the moment of the rename. A file renamed
   in is complete at once where ingest can tell a file's writers (Linux, read leases); elsewhere
   ingest's settle time (1 s by default, `--settle` to change it) is part of the latency, as it
   is for a user. To find that moment without flooding the API (which shares the 2 cores
   with the pipeline), a poller asks the index every `--poll` s, in one cheap request, which of
   the outstanding ids a search can see now (stack: the listings by story id on the alias, so
   after an Elasticsearch refresh — a GET by id there is real-time and would answer before the
   article is searchable; embedded: the id's row in the index file, committed together with its
   full-text entry), and sends `GET /articles/{id}` through the API for those only, retrying
   until it answers 200. Resolution: one poll interval plus one request. Files not
   searchable `--drain-timeout` s after a phase's last drop are counted as never searchable,
   and the next phase starts then (or once every file answered).
2. The corpus: all 2,225 BBC files (or every k-th file, `--corpus-limit`) dropped at once into
   their section folders; seconds from the first drop until the API's search `total` has grown
   by the corpus's distinct count (2,127: computed from the files), polled every 0.25 s; the rate
   is files dropped / those seconds. It gives up after `--corpus-timeout` s, or 120 s without
   progress.
   Where the CPU went meanwhile: the CPU seconds (utime + stime in /proc/PID/stat, all threads)
   each process used between the first drop and the end: every service process (`newswire
   run|up` starts several enrich replicas, `enrich`, `enrich-2` …, each its own entry), the
   supervisor, this benchmark (its drops and polls) and in stack mode the Kafka and
   Elasticsearch JVMs (found through the dev-services' pid files; servers started otherwise
   count as "other"); each also as % of the machine's capacity over the phase (seconds x
   cores), beside the machine's idle % (/proc/stat) and what it did besides ("other": other
   processes, the kernel). With `--py-spy DIR` each service process is sampled by `py-spy
   record --nonblocking` (50 Hz, never pausing it) over the phase; the raw collapsed stacks go
   to DIR/<process>.txt and each process's top functions by self samples are printed. py-spy
   attaches before the clock starts; its own CPU time is listed (`py-spy (<process>)`) and it
   slows the pipeline a little, so the default run goes without it.
3. Peak resident memory: each service process's VmHWM (the supervisor's children, found through
   /proc, each enrich replica apart) and the supervisor's, read just before the pipeline is
   stopped; in stack mode also the Kafka and Elasticsearch JVMs' VmRSS, sampled every second
   during the run (their VmHWM would include whatever ran before). A service process whose pid
   changed between the first steady drop and the end counts as restarted.

The pipeline is stopped with SIGTERM at the end, on an error and on Ctrl-C or SIGTERM; whatever
of its process group is still there 90 s later is killed.

    .venv/bin/python benchmarks/pipeline_latency.py --mode embedded|stack \
        [--rate 2 10] [--duration 60] [--corpus-limit N | --no-corpus] [--py-spy DIR] \
        [--json PATH]
"""

import argparse
import contextlib
import hashlib
import http.client
import json
import math
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any, Protocol

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from benchmarks._measure import MachineTicks, cpu_seconds, peak_rss_mib  # noqa: E402
from benchmarks._py_spy import Profile, Recording, read_profile  # noqa: E402
from benchmarks.corpus import SHARED_DIR  # noqa: E402
from newswire.enriched import story_id  # noqa: E402
from newswire.settings import BACKEND_VARIABLES, DevServicesSettings, Settings  # noqa: E402
from newswire_ops.dev_services.processes import ManagedProcess, process_memory_bytes  # noqa: E402
from newswire_ops.dev_services.server import free_port  # noqa: E402

BBC = SHARED_DIR / "corpora" / "bbc"
SAMPLE = SHARED_DIR / "samples" / "trtworld-2024-09-11-pezeshkian-iraq.txt"
SERVICES = ("newswire_ingest", "newswire_enrich", "newswire_indexer", "newswire_api")
READY_TIMEOUT_S = 300.0
STOP_TIMEOUT_S = 90.0
TOTAL_POLL_S = 0.25
STALL_S = 120.0


@dataclass
class Figures:
    """What the JSON holds. Per-rate figures are keyed by the rate as written ("2", "10")."""

    mode: str
    rates_files_per_s: list[float]
    duration_s: float
    settle_s: float
    poll_s: float
    cpus: int | None = os.cpu_count()
    load_average_before: float = 0.0
    load_average_after: float = 0.0
    steady_files_by_rate: dict[str, int] = field(default_factory=dict)
    never_searchable_by_rate: dict[str, int] = field(default_factory=dict)
    latency_s_by_rate: dict[str, dict[str, float]] = field(default_factory=dict)
    corpus_files: int = 0
    corpus_whole: bool = False  # all of the BBC corpus, not --corpus-limit of it
    corpus_distinct: int = 0
    corpus_seconds: float | None = None
    corpus_files_per_s: float | None = None
    corpus_cpu: dict[str, Any] = field(default_factory=dict)  # asdict(CpuSplit)
    corpus_profile: dict[str, Any] = field(default_factory=dict)  # name → asdict(Profile)
    peak_rss_mib: dict[str, float] = field(default_factory=dict)
    service_restarts: int = 0


@dataclass(frozen=True)
class Drop:
    relative: str
    content: bytes

    @property
    def article_id(self) -> str:
        """The id of the story the file is (BBC files and the sample name none of their own: the
        story is the file's place in the inbox)."""
        return story_id(f"inbox:{self.relative}")

    @property
    def content_id(self) -> str:
        """The id of its content: files with the same bytes are listed once."""
        return hashlib.sha256(self.content).hexdigest()


# --- the files -------------------------------------------------------------------------------


def corpus_drops(limit: int | None) -> list[Drop]:
    """The BBC corpus in its section folders; with `limit`, every k-th file (all sections)."""
    paths = sorted(BBC.glob("*/*.txt"))
    if limit is not None and limit < len(paths):
        step = len(paths) / limit
        paths = [paths[int(n * step)] for n in range(limit)]
    return [Drop(f"{p.parent.name}/{p.name}", p.read_bytes()) for p in paths]


def steady_drops(corpus: list[Drop], count: int) -> list[Drop]:
    """`count` files of distinct ids, none of them a corpus id: the corpus's distinct texts in a
    fixed shuffled order (all sections and lengths mixed), with one trailing newline more per
    pass over them."""
    distinct = list({file.content_id: file for file in corpus}.values())
    random.Random(7).shuffle(distinct)
    drops = []
    for n in range(count):
        source = distinct[n % len(distinct)]
        section = source.relative.split("/")[0]
        newlines = b"\n" * (1 + n // len(distinct))
        drops.append(Drop(f"{section}/steady-{n:05d}.txt", source.content + newlines))
    if {file.content_id for file in drops} & {file.content_id for file in corpus}:
        raise RuntimeError("a steady file has the content of a corpus file")
    return drops


def drop(inbox: Path, file: Drop) -> float:
    """Write under a name ingest ignores, then rename: the file appears complete at once.
    Returns the moment of the rename (time.monotonic)."""
    target = inbox / file.relative
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.name}.part")
    temporary.write_bytes(file.content)
    temporary.rename(target)
    return time.monotonic()


# --- talking to the pipeline ---------------------------------------------------------------


class Api:
    """One keep-alive HTTP connection to the API, reopened after any error; one thread each."""

    def __init__(self, port: int) -> None:
        self._port = port
        self._connection: http.client.HTTPConnection | None = None

    def get(self, path: str) -> tuple[int, bytes]:
        """(status, body); status 0 when the API did not answer. A connection the server closed
        while idle (uvicorn's keep-alive timeout) is reopened and the request sent again."""
        for _attempt in range(2):
            reused = self._connection is not None
            try:
                return self._get(path)
            except (OSError, http.client.HTTPException):
                self.close()
                if not reused:
                    break
        return 0, b""

    def _get(self, path: str) -> tuple[int, bytes]:
        if self._connection is None:
            self._connection = http.client.HTTPConnection("127.0.0.1", self._port, timeout=30)
        self._connection.request("GET", path)
        response = self._connection.getresponse()
        return response.status, response.read()

    def total(self) -> int | None:
        status, body = self.get("/articles/search?size=1")
        return int(json.loads(body)["total"]) if status == 200 else None

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None


class IndexProbe(Protocol):
    def visible(self, article_ids: list[str]) -> set[str]:
        """Which of these ids a search of the index sees now."""
        ...

    def close(self) -> None: ...


class EmbeddedProbe:
    """The id's row in the embedded index file: committed with the article's full-text entry."""

    def __init__(self, path: Path) -> None:
        from newswire.embedded.sqlite import connect  # noqa: PLC0415 (embedded mode only)

        self._connection = connect(path, read_only=True)

    def visible(self, article_ids: list[str]) -> set[str]:
        found: set[str] = set()
        for start in range(0, len(article_ids), 500):
            chunk = article_ids[start : start + 500]
            rows = self._connection.execute(
                f"SELECT id FROM articles WHERE id IN ({','.join('?' * len(chunk))})", chunk
            ).fetchall()
            found.update(str(row[0]) for row in rows)
        return found

    def close(self) -> None:
        self._connection.close()


class ElasticsearchProbe:
    """The stories' listings by story id on the alias: seen once a refresh made them
    searchable."""

    def __init__(self, settings: Settings, alias: str) -> None:
        from newswire.adapters.elasticsearch import create_client  # noqa: PLC0415

        self._client = create_client(settings)
        self._alias = alias

    def visible(self, article_ids: list[str]) -> set[str]:
        found = self._client.search(
            index=self._alias,
            query={"terms": {"id": article_ids}},
            source_includes=["id"],
            size=len(article_ids),
        )
        return {str(hit["_source"]["id"]) for hit in found["hits"]["hits"]}

    def close(self) -> None:
        self._client.close()


# --- the pipeline as a process tree ------------------------------------------------------


def _group_members(pgid: int) -> list[int]:
    """Live processes of the process group `pgid`."""
    members = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text(encoding="utf-8").rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid and fields[0] != "Z":
            members.append(int(stat.parent.name))
    return members


def _children(pid: int) -> list[int]:
    """Child pids, from /proc/<pid>/task/*/children (or the parents of every process)."""
    tasks = list(Path(f"/proc/{pid}/task").glob("*/children"))
    if tasks:
        with contextlib.suppress(OSError):
            return [int(child) for task in tasks for child in task.read_text().split()]
    children = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, IndexError):
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == pid:
                children.append(int(stat.parent.name))
    return children


def _module_of(pid: int) -> str | None:
    try:
        arguments = Path(f"/proc/{pid}/cmdline").read_bytes().decode().split("\0")
    except OSError:
        return None
    return next((module for module in SERVICES if module in arguments), None)


def _is_parser_process(pid: int) -> bool:
    try:
        arguments = Path(f"/proc/{pid}/cmdline").read_bytes().decode().split("\0")
    except OSError:
        return False
    return "newswire_enrich.parser_process" in arguments


def _environment_value(pid: int, name: str) -> str | None:
    """A variable of the environment the process was started with."""
    try:
        entries = Path(f"/proc/{pid}/environ").read_bytes().decode(errors="replace").split("\0")
    except OSError:
        return None
    prefix = f"{name}="
    return next((e.removeprefix(prefix) for e in entries if e.startswith(prefix)), None)


class Pipeline:
    """`newswire up|run` in `folder`, with names and ports of its own; `stop` ends it."""

    def __init__(self, mode: str, folder: Path, settle_s: float | None) -> None:
        self.mode = mode
        self.folder = folder
        self.inbox = folder / "inbox"
        self.api_port = free_port()
        chosen = self._chosen_settings(settle_s)
        inherited = os.environ.items()
        self.env = {k: v for k, v in inherited if mode == "stack" or k not in BACKEND_VARIABLES}
        self.env |= {f"NEWSWIRE_{name.upper()}": value for name, value in chosen.items()}
        # What the services will read: the same environment, and the same explicit values.
        self.settings = Settings(**chosen)
        self.process: subprocess.Popen[bytes] | None = None

    def _chosen_settings(self, settle_s: float | None) -> dict[str, Any]:
        chosen: dict[str, Any] = {
            "ingest_inbox": str(self.inbox),
            "ingest_processed_dir": str(self.folder / "processed"),
            "ingest_failed_dir": str(self.folder / "failed"),
            "ingest_metrics_port": str(free_port()),
            "enrich_metrics_port": str(free_port()),
            "indexer_metrics_port": str(free_port()),
            "api_port": str(self.api_port),
            # The benchmark polls the API for every file dropped, from one address: it measures
            # freshness, not the per-client rate limit.
            "api_rate_limit_per_s": "1000000",
            "api_rate_limit_burst": "1000000",
        }
        if settle_s is not None:
            chosen["ingest_settle_s"] = str(settle_s)
        if self.mode == "embedded":
            return chosen | {
                "event_log": "embedded",
                "search_index": "embedded",
                "data_dir": str(self.folder / "data"),
            }
        run = f"bench-pipeline-{uuid.uuid4().hex[:8]}"
        return chosen | {
            "raw_topic": f"{run}.raw",
            "enriched_topic": f"{run}.enriched",
            "dlq_topic": f"{run}.dlq",
            "index_name": run,
            "index_alias": f"{run}-alias",
            "enrich_group_id": f"{run}-enrich",
            "indexer_group_id": f"{run}-indexer",
            "ingest_dead_letter_group_id": f"{run}-ingest-dead-letters",
        }

    def start(self) -> None:
        command = "up" if self.mode == "stack" else "run"
        with (self.folder / "newswire.out").open("wb") as output:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "newswire_ops", command],
                cwd=self.folder,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: nothing of it is left behind
            )

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def services(self) -> dict[str, int]:
        """Service process → pid of the supervised child running it now: `ingest`, `enrich`,
        `enrich-2` …, `indexer`, `api` (the supervisor's names for them, its log files')."""
        if self.process is None:
            return {}
        found = {}
        for pid in _children(self.process.pid):
            module = _module_of(pid)
            if module is not None:
                found[self._process_name(module, pid)] = pid
        return found

    def _process_name(self, module: str, pid: int) -> str:
        """The supervisor tells enrich replica k by its metrics port, the enrich port +
        10 x (k - 1): a name that stays with the replica when it is restarted."""
        name = module.removeprefix("newswire_")
        if module != "newswire_enrich":
            return name
        port = _environment_value(pid, "NEWSWIRE_ENRICH_METRICS_PORT")
        if port is None or not port.isdigit() or not self.settings.enrich_metrics_port:
            return f"{name}-pid{pid}"  # never two replicas under one name
        replica = (int(port) - self.settings.enrich_metrics_port) // 10 + 1
        return name if replica == 1 else f"{name}-{replica}"

    def processes(self) -> dict[str, int]:
        """Every process of the pipeline: the services, each enrich replica's parser process
        (`enrich parser`, … : the documents are parsed there) and the supervisor."""
        supervisor = {"supervisor": self.process.pid} if self.process is not None else {}
        services = self.services()
        parsers = {
            f"{name} parser": child
            for name, pid in services.items()
            if name.startswith("enrich")
            for child in _children(pid)
            if _is_parser_process(child)
        }
        return services | parsers | supervisor

    def probe(self) -> IndexProbe:
        if self.mode == "embedded":
            return EmbeddedProbe(self.settings.search_index_path)
        return ElasticsearchProbe(self.settings, self.settings.index_alias)

    def stop(self) -> None:
        """SIGTERM to the supervisor (it stops its services, each committing); then SIGKILL to
        whatever of the process group is left."""
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=STOP_TIMEOUT_S)
        leftovers = _group_members(self.process.pid)
        if leftovers:
            print(f"killing what did not stop: {leftovers}", file=sys.stderr)
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()

    def delete_server_state(self) -> None:
        """Stack mode: the run's topics, consumer groups, index and alias."""
        if self.mode != "stack":
            return
        from elasticsearch import NotFoundError  # noqa: PLC0415

        from newswire.adapters.elasticsearch import create_client  # noqa: PLC0415
        from newswire.adapters.kafka import new_admin  # noqa: PLC0415

        settings = self.settings
        try:
            admin = new_admin(settings)
            try:
                topics = [settings.raw_topic, settings.enriched_topic, settings.dlq_topic]
                admin.delete_topics(topics, raise_errors=False)
                groups = [
                    settings.enrich_group_id,
                    settings.indexer_group_id,
                    settings.ingest_dead_letter_group_id,
                ]
                with contextlib.suppress(Exception):
                    admin.delete_groups(groups)
            finally:
                admin.close()
            client = create_client(settings)
            with contextlib.suppress(NotFoundError):
                client.indices.delete(index=f"{settings.index_name}*")
            client.close()
        except Exception as error:  # cleaning up: report, never mask the result
            print(f"could not delete the run's topics or index: {error!r}", file=sys.stderr)

    def log_tails(self) -> str:
        parts = []
        for log in sorted((self.folder / "logs").glob("*.log")):
            lines = log.read_text(errors="replace").splitlines()[-15:]
            parts.append(f"--- {log.name}\n" + "\n".join(lines))
        return "\n".join(parts)


# --- measuring ---------------------------------------------------------------------------


def _wait_for(
    condition: Callable[[], bool], timeout_s: float, what: str, pipeline: Pipeline
) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if not pipeline.alive():
            raise RuntimeError(f"the pipeline exited while waiting for {what}")
        if time.monotonic() > deadline:
            raise TimeoutError(f"gave up waiting for {what} after {timeout_s:.0f} s")
        time.sleep(0.1)


def wait_until_ready(pipeline: Pipeline, api: Api) -> None:
    """API up, then the reference sample all the way through (the enrich model is loaded)."""
    _wait_for(lambda: api.get("/healthz")[0] == 200, READY_TIMEOUT_S, "the API", pipeline)
    sample = Drop(f"world/{SAMPLE.name}", SAMPLE.read_bytes())
    drop(pipeline.inbox, sample)
    path = f"/articles/{sample.article_id}"
    _wait_for(lambda: api.get(path)[0] == 200, READY_TIMEOUT_S, "the warm-up article", pipeline)


@dataclass
class _Outstanding:
    article_id: str
    dropped_at: float


class SteadyPoller:
    """In a thread: which dropped articles answer `GET /articles/{id}`, and when."""

    def __init__(self, pipeline: Pipeline, poll_s: float, drain_timeout_s: float) -> None:
        self._pipeline = pipeline
        self._poll_s = poll_s
        self._drain_timeout_s = drain_timeout_s
        self._lock = threading.Lock()
        self._outstanding: dict[str, _Outstanding] = {}
        self._dropping_done = threading.Event()
        self._stop = threading.Event()
        self.latencies: list[float] = []
        self.error: BaseException | None = None
        self.probe_errors = 0
        self._thread = threading.Thread(target=self._run, name="poller", daemon=True)

    def __enter__(self) -> "SteadyPoller":
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        self._thread.join()

    def dropped(self, article_id: str, at: float) -> None:
        with self._lock:
            self._outstanding[article_id] = _Outstanding(article_id, at)

    def wait_for_the_rest(self) -> int:
        """After the last drop: wait until every article answered or the drain timeout passed;
        the number that never did."""
        self._dropping_done.set()
        self._thread.join()
        if self.error is not None:
            raise self.error
        return len(self._outstanding)

    def _run(self) -> None:
        api, probe = Api(self._pipeline.api_port), self._pipeline.probe()
        try:
            give_up_at = math.inf
            while not self._stop.is_set() and time.monotonic() < give_up_at:
                if self._dropping_done.is_set() and give_up_at == math.inf:
                    give_up_at = time.monotonic() + self._drain_timeout_s
                if self._dropping_done.is_set() and not self._outstanding:
                    return
                self._sweep(api, probe)
                time.sleep(self._poll_s)
        except BaseException as error:  # handed to the main thread
            self.error = error
        finally:
            api.close()
            probe.close()

    def _sweep(self, api: Api, probe: IndexProbe) -> None:
        with self._lock:
            due = [o.article_id for o in self._outstanding.values()]
        if not due:
            return
        try:
            visible = probe.visible(due)
        except Exception as error:  # a slow or failed probe: ask again at the next sweep
            self.probe_errors += 1
            print(f"index probe failed: {error!r}", file=sys.stderr)
            return
        for article_id in sorted(visible):
            if api.get(f"/articles/{article_id}")[0] == 200:
                answered_at = time.monotonic()
                with self._lock:
                    outstanding = self._outstanding.pop(article_id)
                self.latencies.append(answered_at - outstanding.dropped_at)


def percentiles(values: list[float]) -> dict[str, float]:
    """Nearest-rank p50/p90/p99, max and mean, in seconds."""
    ordered = sorted(values)

    def rank(percent: float) -> float:
        return ordered[max(0, math.ceil(percent / 100 * len(ordered)) - 1)]

    return {
        "p50": rank(50),
        "p90": rank(90),
        "p99": rank(99),
        "max": ordered[-1],
        "mean": sum(ordered) / len(ordered),
    }


def measure_steady(
    pipeline: Pipeline, drops: list[Drop], rate: float, args: argparse.Namespace
) -> tuple[dict[str, float], int]:
    """One steady phase: the latency percentiles, and how many files never became searchable."""
    with SteadyPoller(pipeline, args.poll, args.drain_timeout) as poller:
        started = time.monotonic()
        for number, file in enumerate(drops):
            time.sleep(max(0.0, started + number / rate - time.monotonic()))
            # Asked for from the drop on: a file renamed in may be published at once.
            poller.dropped(file.article_id, drop(pipeline.inbox, file))
        missing = poller.wait_for_the_rest()
    if not poller.latencies:
        return {}, missing
    return {k: round(v, 4) for k, v in percentiles(poller.latencies).items()}, missing


def rate_key(rate: float) -> str:
    return f"{rate:g}"


def measure_corpus(pipeline: Pipeline, api: Api, drops: list[Drop], timeout_s: float) -> float:
    """Seconds from the first drop until the total grew by the corpus's distinct count. Gives up
    after `timeout_s`, or after STALL_S without progress (a file refused would never count)."""
    before = api.total()
    if before is None:
        raise RuntimeError("the API did not answer a search before the corpus drop")
    expected = before + len({file.content_id for file in drops})
    started = time.monotonic()
    for file in drops:
        drop(pipeline.inbox, file)
    deadline, last_total, progress_at = started + timeout_s, before, started
    while (total := api.total()) is None or total < expected:
        now = time.monotonic()
        if total is not None and total != last_total:
            last_total, progress_at = total, now
        if now > deadline or now - progress_at > STALL_S or not pipeline.alive():
            raise TimeoutError(
                f"the corpus: {last_total - before} of {expected - before} articles searchable "
                f"after {now - started:.0f} s ({now - progress_at:.0f} s without progress)"
            )
        time.sleep(TOTAL_POLL_S)
    return time.monotonic() - started


def server_pids() -> dict[str, int]:
    """The Kafka and Elasticsearch dev-service JVMs that run now, by name."""
    home = DevServicesSettings().home
    return {
        name: pid
        for name in ("kafka", "elasticsearch")
        if (pid := ManagedProcess(name, home / name).running_pid()) is not None
    }


class ServerMemory:
    """In a thread: the highest VmRSS of the Kafka and Elasticsearch dev-service JVMs."""

    def __init__(self) -> None:
        self._pids = server_pids()
        self.peak_mib: dict[str, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="jvm-memory", daemon=True)

    def __enter__(self) -> "ServerMemory":
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while True:
            for name, pid in self._pids.items():
                rss = process_memory_bytes(pid, "VmRSS")
                if rss is not None:
                    label = f"{name} JVM (VmRSS)"
                    self.peak_mib[label] = max(self.peak_mib.get(label, 0.0), rss / 2**20)
            if self._stop.wait(1.0):
                return


def service_memory(pipeline: Pipeline) -> dict[str, float]:
    """Peak RSS (VmHWM) of each service and of the supervisor, in MiB."""
    found = {}
    for name, pid in sorted(pipeline.services().items()):
        if (peak := peak_rss_mib(pid)) is not None:
            found[name] = round(peak, 1)
    if pipeline.process is not None and (peak := peak_rss_mib(pipeline.process.pid)):
        found["supervisor"] = round(peak, 1)
    return found


@dataclass
class CpuSplit:
    """CPU seconds each process used over a phase, and as % of the machine's capacity then
    (cpu_s / (phase_s x cores)); `other_percent` is what the machine was busy with besides
    them (other processes, the kernel); a process gone by the end is None."""

    phase_s: float
    cpus: int
    cpu_s: dict[str, float | None]
    percent: dict[str, float | None]
    idle_percent: float
    other_percent: float


class CpuClock:
    """CPU time of named processes and idle time of the machine, from when it is made to
    `split`."""

    def __init__(self, pids: dict[str, int]) -> None:
        self._pids = pids
        self._cpus = os.cpu_count() or 1
        self._started_at = time.monotonic()
        self._machine = MachineTicks.now()
        self._cpu_s = {name: cpu_seconds(pid) for name, pid in pids.items()}

    def split(self) -> CpuSplit:
        phase_s = time.monotonic() - self._started_at
        machine = MachineTicks.now()
        capacity = phase_s * self._cpus
        used: dict[str, float | None] = {}
        for name, pid in self._pids.items():
            before, after = self._cpu_s[name], cpu_seconds(pid)
            used[name] = None if before is None or after is None else round(after - before, 2)
        percent = {n: None if s is None else round(100 * s / capacity, 1) for n, s in used.items()}
        idle = 100 * machine.idle_share_since(self._machine)
        listed = sum(value for value in percent.values() if value is not None)
        return CpuSplit(
            round(phase_s, 2),
            self._cpus,
            used,
            percent,
            round(idle, 1),
            round(max(0.0, 100 - idle - listed), 1),
        )


def measured_processes(pipeline: Pipeline) -> dict[str, int]:
    """Whose CPU time the corpus phase counts: the pipeline's processes, this benchmark (its
    drops and polls) and, in stack mode, the Kafka and Elasticsearch JVMs."""
    servers = server_pids() if pipeline.mode == "stack" else {}
    return (
        pipeline.processes()
        | {"benchmark": os.getpid()}
        | {f"{n} JVM": p for n, p in servers.items()}
    )


def measure_corpus_phase(
    pipeline: Pipeline, api: Api, drops: list[Drop], args: argparse.Namespace
) -> tuple[float, CpuSplit, dict[str, Profile]]:
    """The corpus's seconds, the CPU split over them and, with `--py-spy DIR`, each service's
    profile (py-spy attaches before the clock starts; its own CPU time is listed apart)."""
    if args.py_spy is None:
        clock = CpuClock(measured_processes(pipeline))
        return measure_corpus(pipeline, api, drops, args.corpus_timeout), clock.split(), {}
    with Recording(args.py_spy, pipeline.services()) as recording:
        clock = CpuClock(measured_processes(pipeline) | recording.recorder_pids())
        seconds = measure_corpus(pipeline, api, drops, args.corpus_timeout)
        split = clock.split()
    profiles = {
        name: read_profile(recording.output(name))
        for name in recording.names
        if recording.output(name).is_file()  # none when its process went before the end
    }
    return seconds, split, profiles


def _new_figures(args: argparse.Namespace) -> Figures:
    return Figures(
        mode=args.mode,
        rates_files_per_s=args.rate,
        duration_s=args.duration,
        settle_s=0.0,
        poll_s=args.poll,
    )


def measure(args: argparse.Namespace, folder: Path) -> Figures:
    """Start the pipeline, run the phases, and stop it (and delete its server state) whatever
    happens."""
    pipeline = Pipeline(args.mode, folder, args.settle)
    api = Api(pipeline.api_port)
    load_before = os.getloadavg()[0]
    try:
        pipeline.start()
        with ServerMemory() if args.mode == "stack" else contextlib.nullcontext() as servers:
            figures = run_phases(pipeline, api, args)
        if isinstance(servers, ServerMemory):
            figures.peak_rss_mib |= {k: round(v, 1) for k, v in servers.peak_mib.items()}
    except Exception:
        print(pipeline.log_tails(), file=sys.stderr)
        raise
    finally:
        api.close()
        pipeline.stop()
        pipeline.delete_server_state()
    figures.settle_s = pipeline.settings.ingest_settle_s
    figures.load_average_before = load_before
    figures.load_average_after = os.getloadavg()[0]
    return figures


def steady_phases(whole_corpus: list[Drop], args: argparse.Namespace) -> list[list[Drop]]:
    """The drops of each rate's phase: slices of one run of `steady_drops`, so no id is in two
    phases (nor in the corpus)."""
    counts = [round(rate * args.duration) for rate in args.rate]
    files = steady_drops(whole_corpus, sum(counts))
    starts = [sum(counts[:n]) for n in range(len(counts))]
    return [files[start : start + count] for start, count in zip(starts, counts, strict=True)]


def run_phases(pipeline: Pipeline, api: Api, args: argparse.Namespace) -> Figures:
    """Ready, a steady phase per rate, the corpus, then the services' memory (before they
    stop)."""
    whole_corpus = corpus_drops(None)
    corpus = corpus_drops(args.corpus_limit)
    phases = steady_phases(whole_corpus, args)
    wait_until_ready(pipeline, api)
    pids_at_start = pipeline.services()
    figures = _new_figures(args)
    for rate, drops in zip(args.rate, phases, strict=True):
        latency, missing = measure_steady(pipeline, drops, rate, args)
        figures.steady_files_by_rate[rate_key(rate)] = len(drops)
        figures.latency_s_by_rate[rate_key(rate)] = latency
        figures.never_searchable_by_rate[rate_key(rate)] = missing
    if not args.no_corpus:
        figures.corpus_files = len(corpus)
        figures.corpus_whole = len(corpus) == len(whole_corpus)
        figures.corpus_distinct = len({file.content_id for file in corpus})
        seconds, cpu, profiles = measure_corpus_phase(pipeline, api, corpus, args)
        figures.corpus_seconds = round(seconds, 2)
        figures.corpus_files_per_s = round(len(corpus) / seconds, 1)
        figures.corpus_cpu = asdict(cpu)
        figures.corpus_profile = {name: asdict(profile) for name, profile in profiles.items()}
    figures.service_restarts = _restarts(pids_at_start, pipeline.services())
    figures.peak_rss_mib = service_memory(pipeline)
    return figures


def _restarts(before: dict[str, int], after: dict[str, int]) -> int:
    """Processes whose pid changed, or that came or went (every enrich replica on its own)."""
    changed = sorted(
        name for name in before.keys() | after.keys() if before.get(name) != after.get(name)
    )
    if changed:
        print(f"warning: restarted during the run: {changed}", file=sys.stderr)
    return len(changed)


# --- reporting ---------------------------------------------------------------------------


def print_figures(figures: Figures) -> None:
    print(
        f"\npipeline, mode {figures.mode} ({figures.cpus} CPUs, load average "
        f"{figures.load_average_before:.2f} before, {figures.load_average_after:.2f} after)"
    )
    for rate in map(rate_key, figures.rates_files_per_s):
        print(
            f"  steady drops: {figures.steady_files_by_rate[rate]} files at {rate} files/s for "
            f"{figures.duration_s:g} s (settle time {figures.settle_s:g} s where writers can't "
            f"be told, polled every {figures.poll_s:g} s)"
        )
        for name, value in figures.latency_s_by_rate[rate].items():
            print(f"    drop → searchable {name:>4}: {value:6.2f} s")
        if figures.never_searchable_by_rate[rate]:
            print(f"    never searchable: {figures.never_searchable_by_rate[rate]}")
    if figures.corpus_seconds is not None:
        print(
            f"  corpus: {figures.corpus_files} files ({figures.corpus_distinct} distinct) "
            f"searchable in {figures.corpus_seconds:.1f} s ({figures.corpus_files_per_s} files/s)"
        )
        print_cpu_split(figures.corpus_cpu)
        print_profiles(figures.corpus_profile)
    for name, mib in figures.peak_rss_mib.items():
        print(f"  peak RSS {name:<26} {mib:7.0f} MiB")
    if figures.service_restarts:
        print(f"  WARNING: {figures.service_restarts} service(s) restarted during the run")


def print_cpu_split(cpu: dict[str, Any]) -> None:
    print(
        f"  CPU during the corpus phase ({cpu['phase_s']:g} s x {cpu['cpus']} cores; "
        f"% of that capacity):"
    )
    for name, seconds in sorted(cpu["cpu_s"].items(), key=lambda item: -(item[1] or 0.0)):
        if seconds is None:
            print(f"    {name:<28} gone before the end")
        else:
            print(f"    {name:<28} {seconds:8.1f} s  {cpu['percent'][name]:5.1f} %")
    print(f"    {'other (machine, kernel)':<28} {'':10}  {cpu['other_percent']:5.1f} %")
    print(f"    {'idle':<28} {'':10}  {cpu['idle_percent']:5.1f} %")


def print_profiles(profiles: dict[str, Any]) -> None:
    for name, profile in profiles.items():
        print(f"  py-spy, {name}: {profile['samples']} busy samples; most self time:")
        for hot in profile["top_self"]:
            print(f"    {100 * hot['share']:5.1f} %  {hot['self_samples']:6d}  {hot['function']}")


def parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--mode", choices=["stack", "embedded"], required=True)
    parser.add_argument(
        "--rate",
        type=float,
        nargs="+",
        default=[2.0, 10.0],
        help="files per second, a steady phase for each, in this order (2 10)",
    )
    parser.add_argument(
        "--duration", type=float, default=60.0, help="seconds of drops per rate (60)"
    )
    parser.add_argument("--poll", type=float, default=0.05, help="seconds between polls (0.05)")
    parser.add_argument(
        "--settle", type=float, help="ingest's settle time in s (default: the pipeline's, 1)"
    )
    parser.add_argument(
        "--drain-timeout", type=float, default=60.0, help="wait after the last drop (60 s)"
    )
    parser.add_argument("--no-corpus", action="store_true", help="skip the whole-corpus drop")
    parser.add_argument(
        "--corpus-limit", type=int, help="drop only N corpus files (every k-th; a smoke run)"
    )
    parser.add_argument("--corpus-timeout", type=float, default=900.0, help="seconds (900)")
    parser.add_argument(
        "--py-spy",
        type=Path,
        metavar="DIR",
        help="profile each service with py-spy during the corpus phase; raw profiles in DIR",
    )
    parser.add_argument("--keep-folder", action="store_true", help="keep the working folder")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    if len(set(args.rate)) != len(args.rate):
        parser.error("each --rate once: the figures are keyed by rate")
    return args


@contextlib.contextmanager
def working_folder(keep: bool) -> Iterator[Path]:
    folder = Path(tempfile.mkdtemp(prefix="newswire-bench-pipeline-"))
    try:
        yield folder
    finally:
        if keep:
            print(f"working folder kept: {folder}", file=sys.stderr)
        else:
            shutil.rmtree(folder, ignore_errors=True)


def _exit_on_sigterm(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)  # unwinds through the `finally`s that stop the pipeline


def main() -> int:
    args = parse_arguments()
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    try:
        with working_folder(args.keep_folder) as folder:
            figures = measure(args, folder)
    except KeyboardInterrupt:
        print("interrupted; the pipeline was stopped", file=sys.stderr)
        return 130
    print_figures(figures)
    if args.json:
        args.json.write_text(json.dumps(asdict(figures), indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
