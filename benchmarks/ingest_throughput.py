"""Ingest throughput: the BBC corpus dropped into a watched inbox, against a bare producer.

Per round, each side in a fresh process of its own (so neither warms the other, and each has its
own peak RSS):
- service: `newswire ingest` watches an empty inbox; this process then drops the corpus into it
  the way a careful writer does (each file copied beside the inbox first, keeping its mtime, then
  renamed in). Timed from the first rename until Kafka acknowledged every file and the service
  moved it to processed/.
- bare (the floor): one KafkaProducer configured like the service's (`create_producer`:
  acks=all, idempotent) reads each file from disk, builds the message the service builds for
  it (`raw_article`, its JSON) and sends it, all inside the timed loop; timed from the first
  read until every send is acknowledged. No watching, no moves: what reading the files and
  publishing them costs at the least, the floor the service is compared with.
- bare from memory (informative): the same producer sending the same messages built
  beforehand, so without reading or building anything: what the producer alone can do.

Both sides read files copied just before (the service its staged copies, the bare side a copy
of its own made the same way), so both read from the page cache: dropping the cache between
them needs root's control of the caches, which the benchmark does not assume. The ratio and the
target use the disk-reading floor.

A file whose mtime is older than the settle time is complete at once. With `--fresh` each dropped
file gets a new mtime, so the service waits the settle time (1 s by default) before reading it:
latency, not throughput, but then it is in the figure.

With `--event-log embedded` both sides write to the embedded event log instead (the SQLite
file `newswire run` uses), each to a file of its own in the round's temporary folder: the service
through its usual settings (NEWSWIRE_EVENT_LOG=embedded), the bare side through the log's own
producer (`SqliteEventLog.producer`, the one the service uses too, which commits what was queued
in one durable transaction per batch), sending the same payloads and timed from the first send
until every delivery future completed (reading the files and building the payloads in the loop
as above, or from memory). That is the embedded analogue of the bare KafkaProducer: the log's
client alone, with the same durability, without watching or moving files.

From the repository: `.venv/bin/python benchmarks/ingest_throughput.py [--rounds 3] [--fresh]
[--event-log kafka|embedded] [--limit N] [--json PATH]`. Kafka at KAFKA_BOOTSTRAP_SERVERS
(default 127.0.0.1:9092); topics are made per round and deleted. `--limit N` takes the first N
files only (a smoke run). `--json` also writes every round and the medians there
(`bare_files_per_s`: the disk-reading floor; `bare_from_memory_files_per_s`).
"""

import argparse
import contextlib
import json
import multiprocessing
import os
import platform
import resource
import shutil
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass
from multiprocessing.connection import Connection
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from benchmarks.corpus import SHARED_DIR  # noqa: E402
from newswire.adapters.kafka import (  # noqa: E402
    create_producer,
    ensure_topics,
    new_admin,
    new_producer,
)
from newswire.backends import open_event_log  # noqa: E402
from newswire.command_line import configure_logging  # noqa: E402
from newswire.messages import utc_now  # noqa: E402
from newswire.settings import Settings  # noqa: E402
from newswire_ingest.app import ingest_service  # noqa: E402
from newswire_ingest.article import raw_article  # noqa: E402
from newswire_ingest.metrics import IngestMetrics  # noqa: E402

TIMEOUT_S = 300.0
# How often the service process looks whether every file is published: often enough to add
# little to the figure, seldom enough not to take the service's CPU (every look is a GIL hand-over).
POLL_S = 0.01


@dataclass(frozen=True)
class Measurement:
    files: int
    seconds: float
    peak_rss_mib: float
    cpu_seconds: float  # the process's, user and system, over the timed part

    @property
    def cpu_share(self) -> float:
        """CPU time over wall time: 1.0 is one core busy throughout."""
        return self.cpu_seconds / self.seconds

    @property
    def files_per_s(self) -> float:
        return self.files / self.seconds

    def describe(self) -> str:
        return (
            f"{self.files_per_s:,.0f} files/s ({self.files} in {self.seconds:.2f} s, "
            f"CPU {self.cpu_seconds:.2f} s = {self.cpu_share:.0%} of a core, "
            f"peak RSS {self.peak_rss_mib:.0f} MiB)"
        )


@dataclass(frozen=True)
class Round:
    service: Measurement
    bare: Measurement  # the floor: reads each file from disk and builds its message
    bare_from_memory: Measurement  # informative: messages built beforehand


def corpus_files(corpus: Path) -> list[Path]:
    return sorted(corpus.rglob("*.txt"))


def fresh_copy(corpus: Path, target: Path, limit: int | None = None) -> Path:
    """The corpus (its first `limit` files) copied under `target`, mtimes kept: files just
    written, in the page cache."""
    for source in corpus_files(corpus)[:limit]:
        copied = target / source.relative_to(corpus)
        copied.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, copied)
    return target


def cpu_seconds() -> float:
    """This process's CPU time so far, all threads, user and system."""
    times = os.times()
    return times.user + times.system


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def published(metrics: IngestMetrics) -> float:
    """The service's count of published files: its one counter read, not the whole registry
    collected (which took a few % of the service's CPU at one look per 10 ms)."""
    (family,) = metrics.files_published.collect()
    return next(s.value for s in family.samples if s.name.endswith("_total"))


def serve(settings: Settings, expected_files: int, reports: Connection) -> None:
    """Runs the service until `expected_files` are published. Reports "ready" once it watches,
    then the time of the last acknowledgement (time.monotonic: one clock for all processes)."""
    # The service's own logging, a line per file: formatted and written (to nowhere), so that
    # its cost is counted.
    configure_logging(stream=open(os.devnull, "w"))  # noqa: SIM115
    with ingest_service(settings, watch=True) as service:
        running = threading.Thread(target=service.run)
        running.start()
        time.sleep(0.5)  # for the watcher's inotify watches to be in place
        cpu_at_start = cpu_seconds()
        reports.send("ready")
        deadline = time.monotonic() + TIMEOUT_S
        while published(service.metrics) < expected_files:
            if time.monotonic() > deadline:
                raise TimeoutError(f"{published(service.metrics)} files published")
            time.sleep(POLL_S)
        reports.send((time.monotonic(), peak_rss_mib(), cpu_seconds() - cpu_at_start))
        service.stop()
        running.join()


Payload = tuple[bytes, bytes]


def service_payload(settings: Settings, corpus: Path, path: Path) -> Payload:
    """(key, value) of the file's message, read from disk and built exactly as the service
    does."""
    relative_path = path.relative_to(corpus).as_posix()
    article = raw_article(
        path.read_bytes(), relative_path, utc_now(), settings.ingest_fallback_encoding
    )
    return article.id.encode(), article.model_dump_json().encode()


def send_bare(settings: Settings, corpus: Path, from_disk: bool, reports: Connection) -> None:
    """The bare producer. From disk, the payloads are a generator: each file is read and its
    message built inside the timed loop, as the service has to; from memory, all beforehand."""
    paths = corpus_files(corpus)  # listed beforehand: the service learns of files from inotify
    payloads: Iterable[Payload] = (service_payload(settings, corpus, path) for path in paths)
    if not from_disk:
        payloads = list(payloads)
    send = send_to_kafka if settings.uses_kafka() else send_to_embedded_log
    reports.send(send(settings, payloads))


def send_to_kafka(settings: Settings, payloads: Iterable[Payload]) -> Measurement:
    producer = create_producer(settings, client_id="benchmark-bare-producer")
    try:
        # Connected and with the topic's metadata, as the service is before the first file.
        producer.partitions_for(settings.raw_topic)
        started, cpu_at_start, sent = time.perf_counter(), cpu_seconds(), 0
        for key, value in payloads:
            producer.send(settings.raw_topic, key=key, value=value)
            sent += 1
        producer.flush()
        seconds = time.perf_counter() - started
        return Measurement(sent, seconds, peak_rss_mib(), cpu_seconds() - cpu_at_start)
    finally:
        producer.close()


def send_to_embedded_log(settings: Settings, payloads: Iterable[Payload]) -> Measurement:
    """The embedded log's producer alone: every send, then until each one is acknowledged."""
    producer = open_event_log(settings).producer(client_id="benchmark-bare-producer")
    try:
        started, cpu_at_start = time.perf_counter(), cpu_seconds()
        deliveries = [producer.send(settings.raw_topic, key, value) for key, value in payloads]
        producer.flush()
        seconds, cpu = time.perf_counter() - started, cpu_seconds() - cpu_at_start
    finally:
        producer.close()
    failures = [error for d in deliveries if (error := d.exception()) is not None]
    if failures:
        raise RuntimeError(f"{len(failures)} sends failed, the first: {failures[0]}")
    return Measurement(len(deliveries), seconds, peak_rss_mib(), cpu)


def measure_service(settings: Settings, corpus: Path, workdir: Path, fresh: bool) -> Measurement:
    files = corpus_files(corpus)
    staging = fresh_copy(corpus, workdir / "staging")
    reports, child_end = multiprocessing.get_context("spawn").Pipe(duplex=False)
    process = multiprocessing.get_context("spawn").Process(
        target=serve, args=(settings, len(files), child_end)
    )
    process.start()
    try:
        if not reports.poll(TIMEOUT_S) or reports.recv() != "ready":
            raise RuntimeError("the service did not start")
        started = time.monotonic()
        for source in files:
            relative = source.relative_to(corpus)
            (settings.ingest_inbox / relative).parent.mkdir(parents=True, exist_ok=True)
            if fresh:
                os.utime(staging / relative)
            (staging / relative).rename(settings.ingest_inbox / relative)
        if not reports.poll(TIMEOUT_S):
            raise TimeoutError("the service did not publish every file")
        finished, rss, cpu = reports.recv()
    finally:
        process.join(TIMEOUT_S)
    return Measurement(len(files), finished - started, rss, cpu)


def measure_bare_producer(settings: Settings, corpus: Path, from_disk: bool) -> Measurement:
    reports, child_end = multiprocessing.get_context("spawn").Pipe(duplex=False)
    process = multiprocessing.get_context("spawn").Process(
        target=send_bare, args=(settings, corpus, from_disk, child_end)
    )
    process.start()
    try:
        if not reports.poll(TIMEOUT_S):
            raise TimeoutError("the bare producer did not finish")
        measurement: Measurement = reports.recv()
    finally:
        process.join(TIMEOUT_S)
    return measurement


def prepared_topics(settings: Settings, names: list[str]) -> None:
    """Creates the topics and waits for their leaders, so that neither side pays for that."""
    ensure_topics(settings, names)
    producer = new_producer(settings)
    try:
        for name in names:
            producer.partitions_for(name)
    finally:
        producer.close()


def measure_floors(
    disk_settings: Settings, memory_settings: Settings, corpus: Path, workdir: Path
) -> tuple[Measurement, Measurement]:
    """The bare producer from disk (reading a fresh copy, as the service read its staged one),
    then from memory; each with settings (a topic or log) of its own."""
    copy = fresh_copy(corpus, workdir / "bare-copy")
    from_disk = measure_bare_producer(disk_settings, copy, from_disk=True)
    from_memory = measure_bare_producer(memory_settings, copy, from_disk=False)
    return from_disk, from_memory


def embedded_round(corpus: Path, fresh: bool) -> Round:
    """One round on the embedded log: a fresh log file for each side."""
    with tempfile.TemporaryDirectory(prefix="ingest-benchmark-") as temporary:
        workdir = Path(temporary)
        settings = Settings(
            event_log="embedded",
            data_dir=workdir / "data",
            ingest_inbox=workdir / "inbox",
            ingest_processed_dir=workdir / "processed",
            ingest_failed_dir=workdir / "failed",
            ingest_metrics_port=0,
        )
        disk = settings.model_copy(update={"data_dir": workdir / "bare-data"})
        memory = settings.model_copy(update={"data_dir": workdir / "bare-memory-data"})
        for side in (settings, disk, memory):
            open_event_log(side).ensure_topics([side.raw_topic, side.dlq_topic])
        service = measure_service(settings, corpus, workdir, fresh)
        return Round(service, *measure_floors(disk, memory, corpus, workdir))


def one_round(bootstrap: str, corpus: Path, fresh: bool) -> Round:
    run = uuid.uuid4().hex[:8]
    with tempfile.TemporaryDirectory(prefix="ingest-benchmark-") as temporary:
        workdir = Path(temporary)
        settings = Settings(
            event_log="kafka",
            kafka_bootstrap_servers=bootstrap,
            raw_topic=f"benchmark.{run}.raw",
            dlq_topic=f"benchmark.{run}.dlq",
            ingest_inbox=workdir / "inbox",
            ingest_processed_dir=workdir / "processed",
            ingest_failed_dir=workdir / "failed",
            ingest_metrics_port=0,
        )
        disk = settings.model_copy(update={"raw_topic": f"benchmark.{run}.bare"})
        memory = settings.model_copy(update={"raw_topic": f"benchmark.{run}.bare-memory"})
        topics = [settings.raw_topic, settings.dlq_topic, disk.raw_topic, memory.raw_topic]
        prepared_topics(settings, topics)
        try:
            service = measure_service(settings, corpus, workdir, fresh)
            return Round(service, *measure_floors(disk, memory, corpus, workdir))
        finally:
            admin = new_admin(settings)
            admin.delete_topics(topics)
            admin.close()


@contextlib.contextmanager
def limited_corpus(corpus: Path, limit: int | None) -> Iterator[Path]:
    """The corpus, or a copy of its first `limit` files (a smoke run)."""
    if limit is None:
        yield corpus
        return
    with tempfile.TemporaryDirectory(prefix="ingest-benchmark-corpus-") as temporary:
        yield fresh_copy(corpus, Path(temporary), limit)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=SHARED_DIR / "corpora" / "bbc")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--fresh", action="store_true", help="give each dropped file a new mtime")
    parser.add_argument(
        "--event-log",
        choices=["kafka", "embedded"],
        default="kafka",
        help="where both sides publish: Kafka (default) or the embedded SQLite log",
    )
    parser.add_argument("--limit", type=int, help="the first N files only (a smoke run)")
    parser.add_argument("--json", type=Path, help="also write the rounds and medians here")
    args = parser.parse_args()
    with limited_corpus(args.corpus, args.limit) as corpus:
        rounds = run_rounds(args, corpus)
    ratios = [one.service.files_per_s / one.bare.files_per_s for one in rounds]
    print(f"median service / bare producer from disk: {statistics.median(ratios):.2f}")
    if args.json:
        write_json(args.json, args.event_log, args.fresh, rounds)
    return 0


def run_rounds(args: argparse.Namespace, corpus: Path) -> list[Round]:
    bootstrap = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092")
    files = corpus_files(corpus)
    where = f"Kafka at {bootstrap}" if args.event_log == "kafka" else "embedded log (SQLite)"
    print(
        f"{len(files)} files, {sum(p.stat().st_size for p in files):,} bytes from {args.corpus}"
        f" ({'new' if args.fresh else 'original'} mtimes); {where}; "
        f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f}; "
        f"Python {platform.python_version()}"
    )
    rounds = []
    for number in range(1, args.rounds + 1):
        if args.event_log == "kafka":
            this = one_round(bootstrap, corpus, args.fresh)
        else:
            this = embedded_round(corpus, args.fresh)
        rounds.append(this)
        ratio = this.service.files_per_s / this.bare.files_per_s
        print(f"round {number}: service {this.service.describe()}")
        print(f"round {number}: bare producer from disk {this.bare.describe()}")
        print(f"round {number}: bare producer from memory {this.bare_from_memory.describe()}")
        print(f"round {number}: service / bare from disk {ratio:.2f}")
    return rounds


def write_json(path: Path, event_log: str, fresh: bool, rounds: list[Round]) -> None:
    def described(measurement: Measurement) -> dict[str, float]:
        return asdict(measurement) | {"files_per_s": measurement.files_per_s}

    def median(figure: Callable[[Round], float]) -> float:
        return statistics.median(figure(one) for one in rounds)

    figures = {
        "event_log": event_log,
        "fresh_mtimes": fresh,
        "floor": "bare producer reading each file from disk and building its message",
        "cpus": os.cpu_count(),
        "load_average": os.getloadavg()[0],
        "rounds": [
            {
                "service": described(one.service),
                "bare": described(one.bare),
                "bare_from_memory": described(one.bare_from_memory),
            }
            for one in rounds
        ],
        "median": {
            "service_files_per_s": median(lambda one: one.service.files_per_s),
            "bare_files_per_s": median(lambda one: one.bare.files_per_s),
            "bare_from_memory_files_per_s": median(lambda one: one.bare_from_memory.files_per_s),
            "service_to_bare": median(lambda one: one.service.files_per_s / one.bare.files_per_s),
            "service_to_bare_from_memory": median(
                lambda one: one.service.files_per_s / one.bare_from_memory.files_per_s
            ),
        },
    }
    path.write_text(json.dumps(figures, indent=2) + "\n")


if __name__ == "__main__":
    sys.exit(main())
