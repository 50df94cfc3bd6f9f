"""`newswire run`, `newswire up` and `newswire status`: the whole pipeline on one machine,
supervised.

`run` needs nothing but Python: the services talk through the embedded event log and index into
the embedded search index, both in the data directory (unless KAFKA_BOOTSTRAP_SERVERS /
ELASTICSEARCH_URL name a broker or cluster: switching is only configuration). `up` is the same
on Kafka and Elasticsearch: it makes sure they are there (the local dev-services, unless those
variables name other ones). Both start the four services as child processes with their logs in
one folder, restart one that dies, print a status line, and on Ctrl-C / SIGTERM stop them all
(each flushes and commits on SIGTERM). `status` prints the same status line once, from another
terminal.
"""

import argparse
import logging
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

from newswire.devservices.commands import selected_servers
from newswire.service_process import stop_on_signals
from newswire.settings import DevServicesSettings, Settings

RESTART_DELAY_S = 2.0
STATUS_INTERVAL_S = 2.0


@dataclass(frozen=True)
class ServiceSpec:
    name: str
    module: str
    metrics_url: str | None
    shown: tuple[tuple[str, str], ...] = ()  # (metric sample name, label in the status line)


def service_specs(settings: Settings) -> list[ServiceSpec]:
    def metrics(port: int) -> str | None:
        return f"http://127.0.0.1:{port}/metrics" if port else None

    return [
        ServiceSpec(
            "ingest",
            "newswire_ingest",
            metrics(settings.ingest_metrics_port),
            (
                ("newswire_ingest_files_published_total", "published"),
                ("newswire_ingest_files_failed_total", "failed"),
            ),
        ),
        ServiceSpec(
            "enrich",
            "newswire_enrich",
            metrics(settings.enrich_metrics_port),
            (
                ("newswire_enrich_articles_enriched_total", "enriched"),
                ("newswire_enrich_dead_letters_total", "dead letters"),
            ),
        ),
        ServiceSpec(
            "indexer",
            "newswire_indexer",
            metrics(settings.indexer_metrics_port),
            (
                ("newswire_indexer_documents_indexed_total", "indexed"),
                ("newswire_indexer_consumer_lag", "lag"),
                ("newswire_indexer_dead_letters_total", "dead letters"),
            ),
        ),
        ServiceSpec("api", "newswire_api", f"http://127.0.0.1:{settings.api_port}/metrics"),
    ]


def _scrape(url: str) -> dict[str, float] | None:
    """Sample name → value summed over labels; None when the endpoint does not answer."""
    try:
        with urllib.request.urlopen(url, timeout=1) as response:
            text = response.read().decode("utf-8")
    except (OSError, urllib.error.URLError):
        return None
    totals: dict[str, float] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            totals[sample.name] = totals.get(sample.name, 0.0) + sample.value
    return totals


def _files_waiting(inbox: Path) -> int:
    if not inbox.is_dir():
        return 0
    return sum(1 for path in inbox.rglob("*") if path.is_file() and not path.name.startswith("."))


def status_line(settings: Settings, alive: dict[str, bool] | None = None) -> str:
    parts = [f"inbox {settings.ingest_inbox}: {_files_waiting(settings.ingest_inbox)} waiting"]
    for spec in service_specs(settings):
        state = "" if alive is None else ("" if alive.get(spec.name) else " (down)")
        if spec.metrics_url is None:
            parts.append(f"{spec.name}: {'no metrics' if alive is None else 'running'}{state}")
            continue
        sample = _scrape(spec.metrics_url)
        if sample is None:
            parts.append(f"{spec.name}: not answering{state}")
            continue
        figures = ", ".join(f"{label} {sample.get(metric, 0):.0f}" for metric, label in spec.shown)
        parts.append(f"{spec.name}: {figures or 'up'}{state}")
    return " | ".join(parts)


@dataclass
class _Child:
    spec: ServiceSpec
    log_file: Path
    env: dict[str, str]
    process: subprocess.Popen[bytes] | None = None
    restarts: int = 0
    died_at: float | None = None

    def start(self) -> None:
        with self.log_file.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", self.spec.module],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=self.env,
            )
        self.died_at = None

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None


@dataclass
class Supervisor:
    settings: Settings
    log_dir: Path
    env: dict[str, str] = field(default_factory=lambda: dict(os.environ))
    children: list[_Child] = field(default_factory=list)

    def run(self, stop: threading.Event) -> None:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self.children = [
            _Child(spec, self.log_dir / f"{spec.name}.log", self.env)
            for spec in service_specs(self.settings)
        ]
        for child in self.children:
            child.start()
        try:
            while not stop.wait(STATUS_INTERVAL_S):
                self._restart_the_dead()
                alive = {child.spec.name: child.alive() for child in self.children}
                print(f"\r{status_line(self.settings, alive)}", end="", flush=True)
        finally:
            print()
            self._stop_all()

    def _restart_the_dead(self) -> None:
        now = time.monotonic()
        for child in self.children:
            if child.alive():
                continue
            if child.died_at is None:
                child.died_at = now
                code = child.process.returncode if child.process else None
                print(
                    f"\n{child.spec.name} exited ({code}); "
                    f"restarting in {RESTART_DELAY_S:.0f}s, log {child.log_file}"
                )
            elif now - child.died_at >= RESTART_DELAY_S:
                child.restarts += 1
                child.start()

    def _stop_all(self) -> None:
        for child in self.children:
            if child.alive() and child.process:
                child.process.send_signal(signal.SIGTERM)
        for child in self.children:
            if child.process is None:
                continue
            try:
                child.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                child.process.kill()
                child.process.wait()


def _servers_needed(settings: Settings) -> set[str]:
    """The local servers to start: those the environment does not point elsewhere."""
    configured = settings.model_fields_set
    return {
        name
        for name, field_name in (
            ("kafka", "kafka_bootstrap_servers"),
            ("elasticsearch", "elasticsearch_url"),
        )
        if field_name not in configured
    }


def _up(args: argparse.Namespace) -> int:
    settings = Settings()
    dev_settings = DevServicesSettings()
    for server in selected_servers(None, dev_settings):
        if server.name in _servers_needed(settings):
            print(server.up().describe())
    # The children must use what `up` just made sure of, whatever `auto` would choose.
    env = {**os.environ, "NEWSWIRE_EVENT_LOG": "kafka", "NEWSWIRE_SEARCH_INDEX": "elasticsearch"}
    _supervise(settings, args.log_dir, env)
    return 0


def _run(args: argparse.Namespace) -> int:
    settings = Settings()
    log_place = "Kafka" if settings.uses_kafka() else "embedded log"
    index_place = "Elasticsearch" if settings.uses_elasticsearch() else "embedded index"
    if not (settings.uses_kafka() and settings.uses_elasticsearch()):
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        print(f"state: {settings.data_dir.resolve()} ({log_place}, {index_place})")
    _supervise(settings, args.log_dir, dict(os.environ))
    return 0


def _supervise(settings: Settings, log_dir: Path, env: dict[str, str]) -> None:
    settings.ingest_inbox.mkdir(parents=True, exist_ok=True)
    print(f"drop article files into {settings.ingest_inbox.resolve()}")
    print(f"search page: http://{settings.api_host}:{settings.api_port}/")
    print(f"logs: {log_dir.resolve()}/<service>.log; Ctrl-C stops the pipeline")
    stop = threading.Event()
    stop_on_signals(stop.set)
    Supervisor(settings, log_dir, env).run(stop)


def _status(args: argparse.Namespace) -> int:
    settings = Settings()
    if not args.files:
        print(status_line(settings))
        return 0
    from newswire.backends import open_article_lookup, open_event_log  # noqa: PLC0415
    from newswire.file_status import file_status, status_settings  # noqa: PLC0415

    settings = status_settings(settings)
    logging.disable(logging.CRITICAL)  # the clients' retries: a failure is told in the lines
    event_log, lookup = open_event_log(settings), open_article_lookup(settings)
    statuses = [file_status(settings, name, event_log, lookup) for name in args.files]
    for status in statuses:
        print(status.describe())
    return 1 if any(status.state == "unknown" for status in statuses) else 0


def add_parsers(subcommands: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    run = subcommands.add_parser(
        "run",
        help="run the whole pipeline here on embedded parts (nothing to install)",
        description=__doc__,
    )
    run.add_argument("--log-dir", type=Path, default=Path("logs"), help="default ./logs")
    run.set_defaults(handler=_run)
    up = subcommands.add_parser(
        "up", help="run the whole pipeline here (Kafka and Elasticsearch too)", description=__doc__
    )
    up.add_argument("--log-dir", type=Path, default=Path("logs"), help="default ./logs")
    up.set_defaults(handler=_up)
    status = subcommands.add_parser(
        "status",
        help="one status line of a running pipeline, or where dropped files are",
        description="Without FILE: the pipeline's status line. With FILE (a path relative to "
        "the inbox, or into the inbox, processed or failed folder): where each file is — "
        "waiting, published, enriched, indexed (with its article ids) or failed (with the "
        "reason). Exit status 1 when a file is found nowhere.",
    )
    status.add_argument("files", nargs="*", metavar="FILE")
    status.set_defaults(handler=_status)
