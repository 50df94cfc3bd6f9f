"""`newswire run` with nothing configured: the embedded log and index, through real interfaces.

Files go into the inbox of a real `newswire run` process tree and come out over HTTP; a service
killed with SIGKILL mid-stream is restarted by the supervisor and nothing is lost or doubled.
No Kafka or Elasticsearch variable reaches the process, so `auto` must choose the embedded parts.
"""

import os
import re
import shutil
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.pipeline import RunningPipeline, eventually, get_json

pytestmark = pytest.mark.integration

SAMPLE = "trtworld-2024-09-11-pezeshkian-iraq.txt"


@pytest.fixture
def pipeline(tmp_path: Path) -> Iterator[RunningPipeline]:
    running = RunningPipeline(tmp_path, "run")
    try:
        yield running
    finally:
        running.kill_everything()


def test_files_become_searchable_with_nothing_but_python(
    pipeline: RunningPipeline, shared_dir: Path
) -> None:
    inbox = pipeline.folder / "inbox"
    (inbox / "world").mkdir(parents=True)
    (inbox / "business").mkdir(parents=True)
    shutil.copyfile(shared_dir / "samples" / SAMPLE, inbox / "world" / SAMPLE)
    for path in sorted((shared_dir / "corpora" / "bbc" / "business").glob("*.txt"))[:3]:
        shutil.copyfile(path, inbox / "business" / path.name)

    assert eventually(lambda: pipeline.total() == 4, timeout_s=180), "not all 4 became searchable"
    found = get_json(pipeline.url("/articles/search?entity=Masoud%20Pezeshkian"))
    assert [hit["title"] for hit in found["hits"]] == [
        "Iran's Pezeshkian visits Iraq in his first foreign trip as president"
    ]
    assert get_json(pipeline.url("/articles/search?section=Business"))["total"] == 3
    assert list(inbox.rglob("*.txt")) == []
    assert (pipeline.folder / "data" / "event-log.sqlite3").is_file()
    assert (pipeline.folder / "data" / "search-index.sqlite3").is_file()

    (inbox / "broken.txt").write_bytes(b"\x00\x01binary")
    assert eventually((pipeline.folder / "failed" / "broken.txt").is_file, 60)
    status = pipeline.status(f"world/{SAMPLE}", "broken.txt")
    sample_id = found["hits"][0]["id"]
    assert f"world/{SAMPLE}: indexed: story inbox:world/{SAMPLE} (id {sample_id})" in status
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
    shutil.copyfile(files[0], inbox / files[0].name)
    assert eventually(lambda: pipeline.total() == 1, timeout_s=180)
    for path in files[1:]:
        shutil.copyfile(path, inbox / path.name)
    assert eventually(lambda: pipeline.total() >= 20, timeout_s=120)
    os.kill(pipeline.child_pid(victim), signal.SIGKILL)

    assert eventually(lambda: pipeline.total() == len(distinct), timeout_s=300)
    ids = pipeline.ids()
    assert len(ids) == len(set(ids)) == len(distinct)
    output = pipeline.stop()
    # Enrich runs as several replicas (`enrich`, `enrich-2`, …): whichever was killed is named.
    assert re.search(rf"\b{victim.removeprefix('newswire_')}(-\d+)? exited", output), output[-2000:]
    assert pipeline.process.returncode == 0, output[-2000:]
