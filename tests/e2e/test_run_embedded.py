"""`newswire run` with nothing configured: the embedded log and index, through real interfaces.

Files go into the inbox of a real `newswire run` process tree and come out over HTTP; a service
killed with SIGKILL mid-stream is restarted by the supervisor and nothing is lost or doubled.
No Kafka or Elasticsearch variable reaches the process, so `auto` must choose the embedded parts.
"""

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.network import free_port

pytestmark = pytest.mark.integration

SAMPLE = "trtworld-2024-09-11-pezeshkian-iraq.txt"
SERVER_VARIABLES = {
    "KAFKA_BOOTSTRAP_SERVERS",
    "NEWSWIRE_KAFKA_BOOTSTRAP_SERVERS",
    "ELASTICSEARCH_URL",
    "NEWSWIRE_ELASTICSEARCH_URL",
    "NEWSWIRE_EVENT_LOG",
    "NEWSWIRE_SEARCH_INDEX",
}


def _get_json(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=5) as response:
        return json.load(response)


def _eventually(condition: Callable[[], bool], timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            if condition():
                return True
        except (OSError, urllib.error.URLError):  # the API is still starting
            pass
        time.sleep(0.5)
    return False


class RunningPipeline:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.api_port = free_port()
        self.env = {k: v for k, v in os.environ.items() if k not in SERVER_VARIABLES}
        self.env.update(
            {
                "NEWSWIRE_INGEST_METRICS_PORT": str(free_port()),
                "NEWSWIRE_ENRICH_METRICS_PORT": str(free_port()),
                "NEWSWIRE_INDEXER_METRICS_PORT": str(free_port()),
                "NEWSWIRE_API_PORT": str(self.api_port),
            }
        )
        self.process = subprocess.Popen(
            [sys.executable, "-m", "newswire", "run"],
            cwd=folder,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.api_port}{path}"

    def total(self) -> int:
        return int(_get_json(self.url("/articles/search?size=1"))["total"])

    def ids(self) -> list[str]:
        ids: list[str] = []
        cursor = ""
        while True:
            page = _get_json(self.url(f"/articles/search?size=100&sort=date{cursor}"))
            ids += [hit["id"] for hit in page["hits"]]
            if page["next_cursor"] is None:
                return ids
            cursor = f"&cursor={page['next_cursor']}"

    def child_pid(self, module: str) -> int:
        """The pid of the supervised service running `python -m <module>`."""
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        for pid in children.read_text().split():
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
            if module.encode() in cmdline:
                return int(pid)
        raise LookupError(f"{module} is not running under newswire run")

    def status(self, *files: str) -> str:
        """What `newswire status FILE…` prints, run from the pipeline's folder."""
        done = subprocess.run(
            [sys.executable, "-m", "newswire", "status", *files],
            cwd=self.folder,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        return done.stdout

    def stop(self) -> str:
        self.process.send_signal(signal.SIGTERM)
        output, _ = self.process.communicate(timeout=90)
        return output.decode(errors="replace")


@pytest.fixture
def pipeline(tmp_path: Path) -> Iterator[RunningPipeline]:
    running = RunningPipeline(tmp_path)
    try:
        yield running
    finally:
        if running.process.poll() is None:
            running.process.kill()
            running.process.communicate()


def test_files_become_searchable_with_nothing_but_python(
    pipeline: RunningPipeline, shared_dir: Path
) -> None:
    inbox = pipeline.folder / "inbox"
    (inbox / "world").mkdir(parents=True)
    (inbox / "business").mkdir(parents=True)
    shutil.copy(shared_dir / "samples" / SAMPLE, inbox / "world" / SAMPLE)
    for path in sorted((shared_dir / "corpora" / "bbc" / "business").glob("*.txt"))[:3]:
        shutil.copy(path, inbox / "business" / path.name)

    assert _eventually(lambda: pipeline.total() == 4, timeout_s=180), "not all 4 became searchable"
    found = _get_json(pipeline.url("/articles/search?entity=Masoud%20Pezeshkian"))
    assert [hit["title"] for hit in found["hits"]] == [
        "Iran's Pezeshkian visits Iraq in his first foreign trip as president"
    ]
    assert _get_json(pipeline.url("/articles/search?section=Business"))["total"] == 3
    assert list(inbox.rglob("*.txt")) == []
    assert (pipeline.folder / "data" / "event-log.sqlite3").is_file()
    assert (pipeline.folder / "data" / "search-index.sqlite3").is_file()

    (inbox / "broken.txt").write_bytes(b"\x00\x01binary")
    assert _eventually((pipeline.folder / "failed" / "broken.txt").is_file, 60)
    status = pipeline.status(f"world/{SAMPLE}", "broken.txt")
    sample_id = found["hits"][0]["id"]
    assert f"world/{SAMPLE}: indexed: as {sample_id}" in status
    assert "broken.txt: failed: [binary]" in status
    output = pipeline.stop()
    assert pipeline.process.returncode == 0, output[-2000:]
    assert "drop article files into" in output


@pytest.mark.parametrize("victim", ["newswire_enrich", "newswire_indexer"])
def test_a_service_killed_mid_stream_loses_and_doubles_nothing(
    pipeline: RunningPipeline, shared_dir: Path, victim: str
) -> None:
    files = sorted((shared_dir / "corpora" / "bbc" / "tech").glob("*.txt"))[:150]
    distinct = {path.read_bytes() for path in files}
    inbox = pipeline.folder / "inbox" / "tech"
    inbox.mkdir(parents=True)
    # Wait for the first article before the kill, so the victim is mid-stream, not starting up.
    shutil.copy(files[0], inbox / files[0].name)
    assert _eventually(lambda: pipeline.total() == 1, timeout_s=180)
    for path in files[1:]:
        shutil.copy(path, inbox / path.name)
    assert _eventually(lambda: pipeline.total() >= 20, timeout_s=120)
    os.kill(pipeline.child_pid(victim), signal.SIGKILL)

    assert _eventually(lambda: pipeline.total() == len(distinct), timeout_s=300)
    ids = pipeline.ids()
    assert len(ids) == len(set(ids)) == len(distinct)
    output = pipeline.stop()
    assert f"{victim.removeprefix('newswire_')} exited" in output
    assert pipeline.process.returncode == 0, output[-2000:]
