"""The supervisor behind `newswire run` and `newswire up`: the four services as child processes,
each logging to a file of its own, restarted when one dies, a status line every few seconds, and
on Ctrl-C / SIGTERM all of them stopped (each flushes and commits on SIGTERM) before a closing
line says so."""

import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from newswire.adapters.refusals import EXIT_REFUSED
from newswire.settings import Settings
from newswire_ops.service_logs import ServiceLog
from newswire_ops.status_line import PipelineService, Replica, pipeline_services, status_line

RESTART_DELAY_S = 2.0
STATUS_INTERVAL_S = 2.0
STOP_TIMEOUT_S = 30.0


@dataclass
class _Child:
    service: PipelineService
    replica: Replica
    log: ServiceLog
    env: dict[str, str]
    process: subprocess.Popen[bytes] | None = None
    output: threading.Thread | None = None
    restarts: int = 0
    died_at: float | None = None
    refused: bool = False

    @property
    def log_file(self) -> Path:
        return self.log.path

    def start(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", self.service.module],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            env={**self.env, **self.replica.env},
        )
        assert self.process.stdout is not None
        self.output = self.log.follow(self.process.stdout)
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
            _Child(
                service,
                replica,
                ServiceLog(
                    self.log_dir / f"{replica.name}.log",
                    self.settings.log_max_bytes,
                    self.settings.log_backups,
                ),
                self.env,
            )
            for service in pipeline_services(self.settings)
            for replica in service.replicas
        ]
        for child in self.children:
            child.start()
        try:
            while not stop.wait(STATUS_INTERVAL_S):
                self._restart_the_dead()
                alive = {child.replica.name: child.alive() for child in self.children}
                print(f"\r{status_line(self.settings, alive)}", end="", flush=True)
        finally:
            print()
            self._stop_all()

    def _restart_the_dead(self) -> None:
        now = time.monotonic()
        for child in self.children:
            if child.alive() or child.refused:
                continue
            code = child.process.returncode if child.process else None
            if code == EXIT_REFUSED:
                # Kafka or Elasticsearch refused it (credentials, certificates, permissions):
                # starting it again would be refused again.
                child.refused = True
                print(
                    f"\n{child.replica.name} was refused and is not restarted: "
                    f"{_message(child.log.last_error)}; fix that setting and start the pipeline "
                    f"again (log {child.log_file})"
                )
                continue
            if child.died_at is None:
                child.died_at = now
                print(
                    f"\n{child.replica.name} exited ({code}); "
                    f"restarting in {RESTART_DELAY_S:.0f}s, log {child.log_file}"
                )
            elif now - child.died_at >= RESTART_DELAY_S:
                child.restarts += 1
                child.start()

    def _stop_all(self) -> None:
        print("stopping the services (each finishes and commits what it holds)…", flush=True)
        for child in self.children:
            if child.alive() and child.process:
                child.process.send_signal(signal.SIGTERM)
        killed = []
        for child in self.children:
            if child.process is None:
                continue
            try:
                child.process.wait(timeout=STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                child.process.kill()
                child.process.wait()
                killed.append(child.replica.name)
        for child in self.children:
            if child.output is not None:
                child.output.join(STOP_TIMEOUT_S)  # the last lines of the child's output
            child.log.close()
        names = ", ".join(child.replica.name for child in self.children)
        late = f"; killed after {STOP_TIMEOUT_S:.0f}s: {', '.join(killed)}" if killed else ""
        print(f"pipeline stopped ({names}){late}; logs in {self.log_dir.resolve()}", flush=True)


def _message(line: str | None) -> str:
    """The message of a service's log line (`<time> ERROR <logger>: <message>`)."""
    if line is None:
        return "see its log"
    return line.split(": ", 1)[-1]
