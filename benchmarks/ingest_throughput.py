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

From the repository: `.venv/bin/python benchmarks/ingest_throughput.py [--rounds 3] [--fresh]`.
Kafka at KAFKA_BOOTSTRAP_SERVERS (default 127.0.0.1:9092); topics are made per round and deleted.
"""

import argparse
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
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path

from kafka import KafkaAdminClient, KafkaProducer
from prometheus_client import CollectorRegistry

from newswire.adapters.kafka import create_producer, ensure_topics
from newswire.messages import utc_now
from newswire.settings import Settings
from newswire_ingest.app import ingest_service
from newswire_ingest.article import raw_article

REPO_ROOT = Path(__file__).resolve().parent.parent
SHARED_DIR = Path(os.environ.get("NEWSWIRE_SHARED_DIR", REPO_ROOT.parent / "shared"))
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


def send_bare(settings: Settings, corpus: Path, reports: Connection) -> None:
    payloads = []
    for path in corpus_files(corpus):
        relative_path = path.relative_to(corpus).as_posix()
        article = raw_article(
            path.read_bytes(), relative_path, utc_now(), settings.ingest_fallback_encoding
        )
        payloads.append((article.id.encode(), article.model_dump_json().encode()))
    producer = create_producer(settings, client_id="benchmark-bare-producer")
    try:
        # Connected and with the topic's metadata, as the service is before the first file.
        producer.partitions_for(settings.raw_topic)
        started = time.perf_counter()
        for key, value in payloads:
            producer.send(settings.raw_topic, key=key, value=value)
        producer.flush()
        reports.send(Measurement(len(payloads), time.perf_counter() - started, peak_rss_mib()))
    finally:
        producer.close()


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


def one_round(bootstrap: str, corpus: Path, fresh: bool) -> tuple[Measurement, Measurement]:
    run = uuid.uuid4().hex[:8]
    with tempfile.TemporaryDirectory(prefix="ingest-benchmark-") as temporary:
        workdir = Path(temporary)
        settings = Settings(
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
    args = parser.parse_args()
    bootstrap = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092")
    files = corpus_files(args.corpus)
    print(
        f"{len(files)} files, {sum(p.stat().st_size for p in files):,} bytes from {args.corpus}"
        f" ({'new' if args.fresh else 'original'} mtimes); Kafka at {bootstrap}; "
        f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f}; "
        f"Python {platform.python_version()}"
    )
    ratios = []
    for number in range(1, args.rounds + 1):
        service, bare = one_round(bootstrap, args.corpus, args.fresh)
        ratios.append(service.files_per_s / bare.files_per_s)
        print(f"round {number}: service {service.describe()}")
        print(f"round {number}: bare producer {bare.describe()}; service/bare {ratios[-1]:.2f}")
    print(f"median service/bare: {statistics.median(ratios):.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
