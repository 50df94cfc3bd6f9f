"""Running the whole pipeline in a test as a user runs it: `newswire run` or `newswire up` as a
process in a folder of its own, files dropped into its inbox, answers read over HTTP."""

import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from newswire.enriched import story_id, story_key
from newswire.settings import BACKEND_VARIABLES
from newswire_ops.dev_services.server import free_port

SERVICES = ("newswire_ingest", "newswire_enrich", "newswire_indexer", "newswire_api")


def get_json(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=10) as response:
        return json.load(response)


def eventually(condition: Callable[[], bool], timeout_s: float, interval_s: float = 0.5) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            if condition():
                return True
        except (OSError, urllib.error.URLError):  # the API is still starting or restarting
            pass
        time.sleep(interval_s)
    return False


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def story_id_of(relative_path: str) -> str:
    """The story id of a one-article file that names no identifier of its own: its key is the
    path it was dropped at, relative to the inbox."""
    return story_id(story_key(guid=None, url=None, source_file=relative_path, item=None))


def stories_by_content(files: Mapping[str, Path]) -> dict[str, set[str]]:
    """For each distinct content among `files` (inbox-relative path: file), the ids of the
    stories that may list it: byte-identical files are stories with the same content, listed
    once, under whichever arrived first."""
    groups: dict[str, set[str]] = {}
    for relative, path in files.items():
        groups.setdefault(sha256_of(path), set()).add(story_id_of(relative))
    return groups


def listed_once_per_content(ids: list[str], files: Mapping[str, Path]) -> list[str]:
    """What is wrong with `ids` (the listed stories) for these files: empty when every distinct
    content is listed exactly once, under one of its stories, and nothing else is listed."""
    problems = [f"{story} is listed twice" for story in set(ids) if ids.count(story) > 1]
    for content, stories in stories_by_content(files).items():
        listed = stories & set(ids)
        if len(listed) != 1:
            problems.append(f"content {content} is listed {len(listed)} times")
    known = set().union(*stories_by_content(files).values())
    problems += [f"{story} is not a story of these files" for story in set(ids) - known]
    return problems


class RunningPipeline:
    """`newswire <command>` in `folder`, with ports of its own and `env` on top of a copy of this
    process's environment without any server variables (so `run` must choose embedded parts)."""

    def __init__(self, folder: Path, command: str, env: Mapping[str, str] | None = None) -> None:
        self.folder = folder
        self.inbox = folder / "inbox"
        self.inbox.mkdir(parents=True, exist_ok=True)
        self.api_port = free_port()
        self.env = {k: v for k, v in os.environ.items() if k not in BACKEND_VARIABLES}
        self.env.update(
            {
                "NEWSWIRE_INGEST_METRICS_PORT": str(free_port()),
                "NEWSWIRE_ENRICH_METRICS_PORT": str(free_port()),
                "NEWSWIRE_INDEXER_METRICS_PORT": str(free_port()),
                "NEWSWIRE_API_PORT": str(self.api_port),
                # The tests poll the API from one address as fast as they check; the per-client
                # rate limit has tests of its own (tests/unit/api, tests/security).
                "NEWSWIRE_API_RATE_LIMIT_PER_S": "1000000",
                "NEWSWIRE_API_RATE_LIMIT_BURST": "1000000",
                **(env or {}),
            }
        )
        self.output = folder / "newswire.out"
        with self.output.open("wb") as output:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "newswire_ops", command],
                cwd=folder,
                env=self.env,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.api_port}{path}"

    def total(self) -> int:
        return int(get_json(self.url("/articles/search?size=1"))["total"])

    def ids(self) -> list[str]:
        """Every indexed article id, through cursor paging (each page once)."""
        ids: list[str] = []
        cursor = ""
        while True:
            page = get_json(self.url(f"/articles/search?size=100&sort=date{cursor}"))
            ids += [hit["id"] for hit in page["hits"]]
            if page["next_cursor"] is None:
                return ids
            cursor = f"&cursor={page['next_cursor']}"

    def sections(self) -> dict[str, int]:
        return {s["value"]: s["count"] for s in get_json(self.url("/sections"))["sections"]}

    def drop(self, sources: Iterable[Path], folder: str = "") -> None:
        """Copy each file in under a name ingest ignores, then rename it: complete at once."""
        for source in sources:
            target = self.inbox / folder / source.name
            target.parent.mkdir(parents=True, exist_ok=True)
            temporary = target.with_name(f".{target.name}.part")
            shutil.copyfile(source, temporary)
            temporary.rename(target)

    def child_pid(self, module: str) -> int:
        """The pid of the supervised service running `python -m <module>`."""
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        for pid in children.read_text().split():
            arguments = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
            if module.encode() in arguments:
                return int(pid)
        raise LookupError(f"{module} is not running under the pipeline")

    def kill(self, module: str) -> None:
        os.kill(self.child_pid(module), signal.SIGKILL)

    def status(self, *files: str) -> str:
        """What `newswire status FILE…` prints, run from the pipeline's folder."""
        done = self.run_status(*files)
        return done.stdout + done.stderr

    def run_status(self, *files: str) -> "subprocess.CompletedProcess[str]":
        """`newswire status FILE…` as a user runs it in another terminal, in the pipeline's
        folder with its settings."""
        return subprocess.run(
            [sys.executable, "-m", "newswire_ops", "status", *files],
            cwd=self.folder,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    def log(self) -> str:
        return self.output.read_text(errors="replace")

    def deaths(self, output: str) -> str:
        """The services that exited on the way (`<name> exited (<code>)` in the supervisor's
        output), each with the end of its log: empty when none died."""
        died = sorted(set(re.findall(r"(\w+) exited \(", output)))
        return "\n".join(
            f"--- {name} died; the end of logs/{name}.log:\n"
            + (self.folder / "logs" / f"{name}.log").read_text(errors="replace")[-4000:]
            for name in died
        )

    def stop(self) -> str:
        """SIGTERM, as Ctrl-C does; returns everything the pipeline printed."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=120)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        return self.log()

    def kill_everything(self) -> None:
        """After a failed test: nothing may outlive it."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()


def stack_env(kafka_bootstrap_servers: str, elasticsearch_url: str, name: str) -> dict[str, str]:
    """`newswire up` on the given servers, with topics, index and groups of its own."""
    return {
        "KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap_servers,
        "ELASTICSEARCH_URL": elasticsearch_url,
        "NEWSWIRE_RAW_TOPIC": f"{name}.raw",
        "NEWSWIRE_ENRICHED_TOPIC": f"{name}.enriched",
        "NEWSWIRE_DLQ_TOPIC": f"{name}.dlq",
        "NEWSWIRE_INDEX_NAME": name,
        "NEWSWIRE_INDEX_ALIAS": f"{name}-alias",
        "NEWSWIRE_ENRICH_GROUP_ID": f"{name}-enrich",
        "NEWSWIRE_INDEXER_GROUP_ID": f"{name}-indexer",
    }


def pipeline_for(
    request: pytest.FixtureRequest, folder: Path, command: str, name: str
) -> Iterator[RunningPipeline]:
    """`newswire <command>` in `folder`: `run` on the embedded parts, `up` on the test's Kafka
    and Elasticsearch with topics, index and groups named after `name`; killed afterwards."""
    env = {}
    if command == "up":
        env = stack_env(
            request.getfixturevalue("kafka_bootstrap_servers"),
            request.getfixturevalue("elasticsearch_url"),
            f"{name}-{uuid.uuid4().hex[:8]}",
        )
    running = RunningPipeline(folder, command, env)
    try:
        yield running
    finally:
        running.kill_everything()
