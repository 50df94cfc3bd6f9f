"""The pipeline on a secured Kafka and Elasticsearch (`newswire dev-services up --secure`): each
service as its own user with only the rights docs/deploy.md lists, `newswire up` with what
`newswire dev-services env` prints, a refused service saying why and exiting, and no log of any
of it holding a password.

The search API is not part of these runs: its Elasticsearch client is built in
`newswire_api.search.elasticsearch.article_search` without the connection settings yet, so what
became searchable is read as the `api` user straight from Elasticsearch.
"""

import shlex
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from newswire.adapters.elasticsearch import create_client
from newswire.adapters.refusals import EXIT_REFUSED
from newswire.article_index import stories_alias
from newswire.settings import Settings
from tests.support.pipeline import RunningPipeline, eventually, story_id_of
from tests.support.secured import SecuredServers

pytestmark = [pytest.mark.integration, pytest.mark.secured]

BBC_FILES = 4


def _pipeline_names(run: str) -> dict[str, str]:
    """Topics and groups of this run's own (the index alias is the one the roles name)."""
    return {
        "NEWSWIRE_RAW_TOPIC": f"secure.{run}.raw",
        "NEWSWIRE_ENRICHED_TOPIC": f"secure.{run}.enriched",
        "NEWSWIRE_DLQ_TOPIC": f"secure.{run}.dlq",
        "NEWSWIRE_ENRICH_GROUP_ID": f"enrich-{run}",
        "NEWSWIRE_INDEXER_GROUP_ID": f"indexer-{run}",
    }


def _granted(servers: SecuredServers, names: dict[str, str]) -> Settings:
    """The run's names as settings, with their ACLs granted (as `up --secure` grants the
    default names)."""
    settings = servers.client_settings(
        "admin",
        raw_topic=names["NEWSWIRE_RAW_TOPIC"],
        enriched_topic=names["NEWSWIRE_ENRICHED_TOPIC"],
        dlq_topic=names["NEWSWIRE_DLQ_TOPIC"],
        enrich_group_id=names["NEWSWIRE_ENRICH_GROUP_ID"],
        indexer_group_id=names["NEWSWIRE_INDEXER_GROUP_ID"],
    )
    servers.kafka.grant(settings)
    return settings


def _bbc(shared_dir: Path) -> list[Path]:
    return sorted((shared_dir / "corpora" / "bbc" / "tech").glob("*.txt"))[:BBC_FILES]


def _drop(inbox: Path, files: list[Path], folder: str) -> list[str]:
    """Drop `files` complete at once; their paths relative to the inbox."""
    relative = []
    for source in files:
        target = inbox / folder / source.name
        target.parent.mkdir(parents=True, exist_ok=True)
        temporary = target.with_name(f".{source.name}.part")
        temporary.write_bytes(source.read_bytes())
        temporary.rename(target)
        relative.append(f"{folder}/{source.name}")
    return relative


def _searchable(servers: SecuredServers, relative_paths: list[str]) -> bool:
    """Whether every file's story is in the index (its stories alias), read as the `api`
    user."""
    settings = servers.client_settings("api")
    client = create_client(settings, max_retries=0)
    try:
        ids = [story_id_of(path) for path in relative_paths]
        found = client.mget(index=stories_alias(settings.index_alias), ids=ids)["docs"]
    finally:
        client.close()
    return all(doc.get("found") for doc in found)


def _logs_holding(secrets: list[str], logs: list[Path]) -> list[str]:
    """Which of `logs` contain any of `secrets` (named, never the secret)."""
    return [
        str(log)
        for log in logs
        if log.is_file() and any(s in log.read_text(errors="replace") for s in secrets)
    ]


@dataclass
class ServiceProcesses:
    """The four services' loops run as `python -m newswire_<name>`, each as its own user."""

    folder: Path
    servers: SecuredServers
    names: dict[str, str]
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    @property
    def inbox(self) -> Path:
        return self.folder / "inbox"

    @property
    def logs(self) -> Path:
        return self.folder / "logs"

    def start(self, service: str) -> None:
        self.logs.mkdir(parents=True, exist_ok=True)
        env = self.servers.process_environment(
            service,
            **self.names,
            NEWSWIRE_INGEST_INBOX=str(self.inbox),
            NEWSWIRE_INGEST_PROCESSED_DIR=str(self.folder / "processed"),
            NEWSWIRE_INGEST_FAILED_DIR=str(self.folder / "failed"),
            NEWSWIRE_INGEST_METRICS_PORT="0",
            NEWSWIRE_ENRICH_METRICS_PORT="0",
            NEWSWIRE_INDEXER_METRICS_PORT="0",
        )
        with (self.logs / f"{service}.log").open("wb") as log:
            self.processes[service] = subprocess.Popen(
                [sys.executable, "-m", f"newswire_{service}"],
                cwd=self.folder,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    def exited(self) -> dict[str, int]:
        return {name: p.returncode for name, p in self.processes.items() if p.poll() is not None}

    def stop(self) -> dict[str, int]:
        for process in self.processes.values():
            if process.poll() is None:
                process.terminate()
        return {name: process.wait(timeout=120) for name, process in self.processes.items()}

    def tail(self) -> str:
        return "\n".join(
            f"--- {log.name}\n{log.read_text(errors='replace')[-2000:]}"
            for log in sorted(self.logs.glob("*.log"))
        )


@pytest.fixture
def services(tmp_path: Path, secured_servers: SecuredServers) -> Iterator[ServiceProcesses]:
    names = _pipeline_names(uuid.uuid4().hex[:8])
    _granted(secured_servers, names)
    running = ServiceProcesses(tmp_path / "pipeline", secured_servers, names)
    running.inbox.mkdir(parents=True)
    try:
        yield running
    finally:
        running.stop()


def test_each_service_runs_as_its_own_user_and_consume_reads_the_result(
    services: ServiceProcesses, secured_servers: SecuredServers, shared_dir: Path
) -> None:
    for service in ("ingest", "enrich", "indexer"):
        services.start(service)
    # A folder of the run's own: the stories (keyed by path) are new to the shared index.
    dropped = _drop(services.inbox, _bbc(shared_dir), f"tech-{uuid.uuid4().hex[:8]}")

    assert eventually(lambda: _searchable(secured_servers, dropped), timeout_s=240), (
        f"not all {len(dropped)} files became searchable; exited: {services.exited()}\n"
        + services.tail()
    )
    consumed = subprocess.run(
        [sys.executable, "-m", "newswire_ops", "consume", "--from-beginning"],
        env=secured_servers.process_environment("consumer", **services.names),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    (services.logs / "consume.log").write_text(consumed.stderr)
    assert consumed.returncode == 0, consumed.stderr
    keys = {line.split('"key":"', 1)[1].split('"', 1)[0] for line in consumed.stdout.splitlines()}
    assert {story_id_of(path) for path in dropped} <= keys

    exits = services.stop()
    assert exits == {"ingest": 0, "enrich": 0, "indexer": 0}, services.tail()
    server_logs = [*secured_servers.settings.home.rglob("*.log")]
    assert _logs_holding(secured_servers.secrets(), [*services.logs.glob("*"), *server_logs]) == []


def test_up_with_the_printed_environment_indexes_dropped_files(
    tmp_path: Path, secured_servers: SecuredServers, shared_dir: Path
) -> None:
    dev = secured_servers.settings
    printed = subprocess.run(
        [sys.executable, "-m", "newswire_ops", "dev-services", "env"],
        env=secured_servers.process_environment(
            "newswire",
            NEWSWIRE_DEV_HOME=str(dev.home),
            NEWSWIRE_DEV_KAFKA_PORT=str(dev.kafka_port),
            NEWSWIRE_DEV_ELASTICSEARCH_PORT=str(dev.elasticsearch_port),
        ),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    exported = dict(
        shlex.split(line.removeprefix("export "))[0].split("=", 1)
        for line in printed.splitlines()
        if line.startswith("export ")
    )
    assert exported["NEWSWIRE_KAFKA_SASL_USERNAME"] == "newswire"
    assert exported["ELASTICSEARCH_URL"].startswith("https://")
    assert secured_servers.password("newswire") not in printed  # files are named, not secrets
    names = _pipeline_names(uuid.uuid4().hex[:8])
    _granted(secured_servers, names)
    pipeline = RunningPipeline(tmp_path / "up", "up", {**exported, **names})
    try:
        dropped = _drop(pipeline.inbox, _bbc(shared_dir), f"tech-{uuid.uuid4().hex[:8]}")
        assert eventually(lambda: _searchable(secured_servers, dropped), timeout_s=240), (
            pipeline.log()[-3000:]
        )
        status = pipeline.status()
        assert "refused" not in status
        assert "authentication failed" not in status
        output = pipeline.stop()
    finally:
        pipeline.kill_everything()
    assert pipeline.process.returncode == 0, output[-2000:]
    logs = [*pipeline.folder.glob("logs/*"), pipeline.output]
    assert _logs_holding(secured_servers.secrets(), logs) == []


def test_a_wrong_password_stops_each_service_and_status_names_it(
    tmp_path: Path, secured_servers: SecuredServers
) -> None:
    wrong = "not-the-password"
    cases = {
        "ingest": (
            ["newswire_ingest", "--once"],
            "NEWSWIRE_KAFKA_SASL_PASSWORD",
            "Kafka authentication failed for user 'ingest' (SCRAM-SHA-512) at "
            f"{secured_servers.kafka.address}",
        ),
        "indexer": (
            ["newswire_indexer"],
            "NEWSWIRE_ELASTICSEARCH_PASSWORD",
            "Elasticsearch authentication failed for user 'indexer' at "
            f"{secured_servers.elasticsearch.address}",
        ),
    }
    for service, (command, password_variable, expected) in cases.items():
        env = secured_servers.process_environment(
            service,
            NEWSWIRE_INGEST_INBOX=str(tmp_path / "inbox"),
            NEWSWIRE_INGEST_PROCESSED_DIR=str(tmp_path / "processed"),
            NEWSWIRE_INGEST_FAILED_DIR=str(tmp_path / "failed"),
            NEWSWIRE_INGEST_METRICS_PORT="0",
            NEWSWIRE_INDEXER_METRICS_PORT="0",
        )
        del env[f"{password_variable}_FILE"]
        env[password_variable] = wrong
        done = subprocess.run(
            [sys.executable, "-m", *command],
            env=env,
            capture_output=True,
            text=True,
            timeout=180,
            check=False,
        )
        output = done.stdout + done.stderr
        assert done.returncode == EXIT_REFUSED, output
        errors = [line for line in output.splitlines() if " ERROR " in line]
        assert len(errors) == 1, output
        assert expected in errors[0]
        assert wrong not in output
        status = subprocess.run(
            [sys.executable, "-m", "newswire_ops", "status"],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert expected in status.stdout, status.stdout + status.stderr
        assert wrong not in status.stdout + status.stderr


def test_up_does_not_restart_a_refused_service_and_prints_why(
    tmp_path: Path, secured_servers: SecuredServers
) -> None:
    env = secured_servers.environment("newswire")
    del env["NEWSWIRE_KAFKA_SASL_PASSWORD_FILE"]
    env["NEWSWIRE_KAFKA_SASL_PASSWORD"] = "not-the-password"
    pipeline = RunningPipeline(tmp_path / "up", "up", {**env, "NEWSWIRE_ENRICH_REPLICAS": "1"})
    refused = (
        "ingest was refused and is not restarted: Kafka authentication failed for user "
        f"'newswire' (SCRAM-SHA-512) at {secured_servers.kafka.address}"
    )
    try:
        assert eventually(lambda: refused in pipeline.log(), timeout_s=180), pipeline.log()[-3000:]
        output = pipeline.stop()
    finally:
        pipeline.kill_everything()
    assert output.count("ingest was refused") == 1
    assert "ingest exited" not in output  # never restarted
    assert "not-the-password" not in output
