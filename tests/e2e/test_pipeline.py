"""The whole pipeline through its real interfaces: files into the inbox, search over HTTP, and
`newswire status FILE` from another terminal.

`newswire up` runs as a user runs it (a process in a working folder), against the real Kafka and
Elasticsearch the fixtures found, with topics, index, groups and ports of its own.
"""

import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest

from tests.support.pipeline import (
    RunningPipeline,
    eventually,
    get_json,
    stack_env,
    story_id_of,
)

pytestmark = pytest.mark.integration

SAMPLE = "trtworld-2024-09-11-pezeshkian-iraq.txt"


@pytest.fixture
def pipeline(
    tmp_path: Path, kafka_bootstrap_servers: str, elasticsearch_url: str
) -> Iterator[RunningPipeline]:
    env = stack_env(kafka_bootstrap_servers, elasticsearch_url, f"test-up-{uuid.uuid4().hex[:8]}")
    running = RunningPipeline(tmp_path / "pipeline", "up", env)
    try:
        yield running
    finally:
        running.kill_everything()


def test_dropped_files_become_searchable_and_leave_the_inbox(
    pipeline: RunningPipeline, shared_dir: Path
) -> None:
    pipeline.drop([shared_dir / "samples" / SAMPLE], folder="world")
    bbc = sorted((shared_dir / "corpora" / "bbc" / "business").glob("*.txt"))[:3]
    pipeline.drop(bbc, folder="business")

    assert eventually(lambda: pipeline.total() == 4, timeout_s=180), (
        f"not all 4 files became searchable\n{pipeline.log()[-3000:]}"
    )
    search = pipeline.url("/articles/search")
    found = get_json(f"{search}?entity={quote('Masoud Pezeshkian')}")
    assert [hit["title"] for hit in found["hits"]] == [
        "Iran's Pezeshkian visits Iraq in his first foreign trip as president"
    ]
    assert get_json(f"{search}?section=Business")["total"] == 3
    assert [p for p in pipeline.inbox.rglob("*") if p.is_file()] == []
    assert (pipeline.folder / "processed" / "world" / SAMPLE).is_file()

    output = pipeline.stop()
    assert pipeline.process.returncode == 0, output[-2000:]
    assert "drop article files into" in output
    assert not pipeline.deaths(output), pipeline.deaths(output)


def test_status_tells_where_each_dropped_file_is(
    pipeline: RunningPipeline, shared_dir: Path, tmp_path: Path
) -> None:
    """Through the real CLI, in another process, while the pipeline runs: `indexed` with the
    article id, `failed` with ingest's reason or with the later stage's, `waiting`, and exit
    status 1 for a file found nowhere."""
    sample = shared_dir / "samples" / SAMPLE
    binary = tmp_path / "broken.bin"
    binary.write_bytes(b"\x00\x01 not an article")
    bad_json = tmp_path / "bad.json"
    bad_json.write_bytes(b'{"title": "Broken", "body": [unclosed')
    pipeline.drop([sample], folder="world")
    pipeline.drop([binary, bad_json])
    draft = pipeline.inbox / ".draft.txt.part"  # a writer's name: ingest leaves it alone
    draft.write_text("Not finished\n\nStill being written.")

    failed = pipeline.folder / "failed"
    assert eventually(
        lambda: (
            pipeline.total() == 1
            and (failed / "broken.bin").is_file()
            and (failed / "bad.json").is_file()
        ),
        timeout_s=180,
    ), pipeline.log()[-3000:]

    done = pipeline.run_status(
        f"world/{SAMPLE}",
        str(failed / "broken.bin"),  # a path into failed/ works as well as a name
        "bad.json",
        f"inbox/{draft.name}",
    )
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    key = f"world/{SAMPLE}"
    assert lines[0].startswith(
        f"{key}: indexed: story inbox:{key} (id {story_id_of(key)}): "
        "this file's version is the current one"
    ), lines[0]
    assert lines[1].startswith("broken.bin: failed: [binary] "), lines[1]
    assert lines[2].startswith("bad.json: failed: enrich ["), lines[2]
    assert lines[3].startswith(f"{draft.name}: waiting: in "), lines[3]

    nowhere = pipeline.run_status("never-dropped.txt")
    assert nowhere.returncode == 1
    assert nowhere.stdout.startswith("never-dropped.txt: unknown: no such file in ")

    output = pipeline.stop()
    assert pipeline.process.returncode == 0, output[-2000:]
    assert not pipeline.deaths(output), pipeline.deaths(output)
