"""Ingest throughput: the BBC corpus dropped into a watched inbox, against a bare producer.

Per round, each side in a fresh process of its own (so neither warms the other, and each has its
own peak RSS):
- service: `newswire ingest` watches an empty inbox; this process then drops the corpus into it
  the way a careful writer does (each file copied beside the inbox first, keeping its mtime, then
  renamed in). Timed from the first rename until Kafka acknowledged every file and the service
  moved it to processed/.
- bare: one KafkaProducer configured like the service's (acks=all, idempotent) sends the same
  payloads (the service's own JSON, built beforehand), timed from the first send until all are
  acknowledged.

A file whose mtime is older than the settle time is complete at once. With `--fresh` each dropped
file gets a new mtime, so the service waits the settle time (1 s by default) before reading it:
latency, not throughput, but then it is in the figure.

With `--event-log embedded` both sides write to the embedded event log instead (the SQLite
file `newswire run` uses), each to a file of its own in the round's temporary folder: the service
through its usual settings (NEWSWIRE_EVENT_LOG=embedded), the bare side through the log's own
producer (`SqliteEventLog.producer`, the one the service uses too, which commits what was queued
in one durable transaction per batch), sending the same payloads and timed from the first send
until every delivery future completed. That is the embedded analogue of the bare KafkaProducer:
the log's client alone, with the same durability, without watching, reading or moving files.

From the repository: `.venv/bin/python benchmarks/ingest_throughput.py [--rounds 3] [--fresh]
[--event-log kafka|embedded] [--json PATH]`. Kafka at KAFKA_BOOTSTRAP_SERVERS (default
127.0.0.1:9092); topics are made per round and deleted. `--json` also writes every round and the
medians there.
"""

import argparse
import json
import logging
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
from dataclasses import asdict, dataclass
from multiprocessing.connection import Connection
from pathlib import Path

from kafka import KafkaAdminClient, KafkaProducer
from prometheus_client import CollectorRegistry

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from benchmarks.corpus import SHARED_DIR  # noqa: E402
from newswire.adapters.kafka import create_producer, ensure_topics  # noqa: E402
from newswire.backends import open_event_log  # noqa: E402
from newswire.messages import utc_now  # noqa: E402
from newswire.settings import Settings  # noqa: E402
from newswire_ingest.app import ingest_service  # noqa: E402
from newswire_ingest.article import raw_article  # noqa: E402

TIMEOUT_S = 300.0
POLL_S = 0.002


@dataclass(frozen=True)
class Measurement:
    files: int
    seconds: float
    peak_rss_mib: float

    @property
    def files_per_s(self) -> float:
        return self.files / self.seconds

    def describe(self) -> str:
        return (
            f"{self.files_per_s:,.0f} files/s ({self.files} in {self.seconds:.2f} s, "
            f"peak RSS {self.peak_rss_mib:.0f} MiB)"
        )


def corpus_files(corpus: Path) -> list[Path]:
    return sorted(corpus.rglob("*.txt"))


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def published(registry: CollectorRegistry) -> float:
    return registry.get_sample_value("newswire_ingest_files_published_total") or 0.0


def serve(settings: Settings, expected_files: int, reports: Connection) -> None:
    """Runs the service until `expected_files` are published. Reports "ready" once it watches,
    then the time of the last acknowledgement (time.monotonic: one clock for all processes)."""
    # The service logs a line per file: written somewhere, so that their cost is counted.
    logging.basicConfig(level=logging.INFO, stream=open(os.devnull, "w"))  # noqa: SIM115
    logging.getLogger("kafka").setLevel(logging.WARNING)
    with ingest_service(settings, watch=True) as service:
        running = threading.Thread(target=service.run)
        running.start()
        time.sleep(0.5)  # for the watcher's inotify watches to be in place
        reports.send("ready")
        deadline = time.monotonic() + TIMEOUT_S
        while published(service.metrics.registry) < expected_files:
            if time.monotonic() > deadline:
                raise TimeoutError(f"{published(service.metrics.registry)} files published")
            time.sleep(POLL_S)
        reports.send((time.monotonic(), peak_rss_mib()))
        service.stop()
        running.join()


Payloads = list[tuple[bytes, bytes]]


def service_payloads(settings: Settings, corpus: Path) -> Payloads:
    """(key, value) of each file's message, exactly as the service builds it."""
    payloads = []
    for path in corpus_files(corpus):
        relative_path = path.relative_to(corpus).as_posix()
        article = raw_article(
            path.read_bytes(), relative_path, utc_now(), settings.ingest_fallback_encoding
        )
        payloads.append((article.id.encode(), article.model_dump_json().encode()))
    return payloads


def send_bare(settings: Settings, corpus: Path, reports: Connection) -> None:
    payloads = service_payloads(settings, corpus)
    if settings.uses_kafka():
        reports.send(send_to_kafka(settings, payloads))
    else:
        reports.send(send_to_embedded_log(settings, payloads))


def send_to_kafka(settings: Settings, payloads: Payloads) -> Measurement:
    producer = create_producer(settings, client_id="benchmark-bare-producer")
    try:
        # Connected and with the topic's metadata, as the service is before the first file.
        producer.partitions_for(settings.raw_topic)
        started = time.perf_counter()
        for key, value in payloads:
            producer.send(settings.raw_topic, key=key, value=value)
        producer.flush()
        return Measurement(len(payloads), time.perf_counter() - started, peak_rss_mib())
    finally:
        producer.close()


def send_to_embedded_log(settings: Settings, payloads: Payloads) -> Measurement:
    """The embedded log's producer alone: every send, then until each one is acknowledged."""
    producer = open_event_log(settings).producer(client_id="benchmark-bare-producer")
    try:
        started = time.perf_counter()
        deliveries = [producer.send(settings.raw_topic, key, value) for key, value in payloads]
        producer.flush()
        seconds = time.perf_counter() - started
    finally:
        producer.close()
    failures = [error for d in deliveries if (error := d.exception()) is not None]
    if failures:
        raise RuntimeError(f"{len(failures)} sends failed, the first: {failures[0]}")
    return Measurement(len(payloads), seconds, peak_rss_mib())


def measure_service(settings: Settings, corpus: Path, workdir: Path, fresh: bool) -> Measurement:
    files = corpus_files(corpus)
    staging = workdir / "staging"
    for source in files:
        staged = staging / source.relative_to(corpus)
        staged.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, staged)
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
        finished, rss = reports.recv()
    finally:
        process.join(TIMEOUT_S)
    return Measurement(len(files), finished - started, rss)


def measure_bare_producer(settings: Settings, corpus: Path) -> Measurement:
    reports, child_end = multiprocessing.get_context("spawn").Pipe(duplex=False)
    process = multiprocessing.get_context("spawn").Process(
        target=send_bare, args=(settings, corpus, child_end)
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
    producer = KafkaProducer(bootstrap_servers=settings.kafka_bootstrap_servers)
    try:
        for name in names:
            producer.partitions_for(name)
    finally:
        producer.close()


def embedded_round(corpus: Path, fresh: bool) -> tuple[Measurement, Measurement]:
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
        bare_settings = settings.model_copy(update={"data_dir": workdir / "bare-data"})
        for side in (settings, bare_settings):
            open_event_log(side).ensure_topics([side.raw_topic, side.dlq_topic])
        service = measure_service(settings, corpus, workdir, fresh)
        bare = measure_bare_producer(bare_settings, corpus)
    return service, bare


def one_round(bootstrap: str, corpus: Path, fresh: bool) -> tuple[Measurement, Measurement]:
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
        bare_settings = settings.model_copy(update={"raw_topic": f"benchmark.{run}.bare"})
        topics = [settings.raw_topic, settings.dlq_topic, bare_settings.raw_topic]
        prepared_topics(settings, topics)
        try:
            service = measure_service(settings, corpus, workdir, fresh)
            bare = measure_bare_producer(bare_settings, corpus)
        finally:
            admin = KafkaAdminClient(bootstrap_servers=bootstrap)
            admin.delete_topics(topics)
            admin.close()
    return service, bare


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
    parser.add_argument("--json", type=Path, help="also write the rounds and medians here")
    args = parser.parse_args()
    bootstrap = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092")
    files = corpus_files(args.corpus)
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
            service, bare = one_round(bootstrap, args.corpus, args.fresh)
        else:
            service, bare = embedded_round(args.corpus, args.fresh)
        rounds.append((service, bare))
        ratio = service.files_per_s / bare.files_per_s
        print(f"round {number}: service {service.describe()}")
        print(f"round {number}: bare producer {bare.describe()}; service/bare {ratio:.2f}")
    ratios = [service.files_per_s / bare.files_per_s for service, bare in rounds]
    print(f"median service/bare: {statistics.median(ratios):.2f}")
    if args.json:
        write_json(args.json, args.event_log, args.fresh, rounds)
    return 0


def write_json(
    path: Path, event_log: str, fresh: bool, rounds: list[tuple[Measurement, Measurement]]
) -> None:
    def described(measurement: Measurement) -> dict[str, float]:
        return asdict(measurement) | {"files_per_s": measurement.files_per_s}

    figures = {
        "event_log": event_log,
        "fresh_mtimes": fresh,
        "cpus": os.cpu_count(),
        "load_average": os.getloadavg()[0],
        "rounds": [{"service": described(s), "bare": described(b)} for s, b in rounds],
        "median": {
            "service_files_per_s": statistics.median(s.files_per_s for s, _ in rounds),
            "bare_files_per_s": statistics.median(b.files_per_s for _, b in rounds),
            "service_to_bare": statistics.median(s.files_per_s / b.files_per_s for s, b in rounds),
        },
    }
    path.write_text(json.dumps(figures, indent=2) + "\n")


if __name__ == "__main__":
    sys.exit(main())
