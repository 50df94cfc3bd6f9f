"""`newswire backup` of a running embedded pipeline, restored into a fresh folder: every article
searchable when the backup began is searchable again, once, and the restored event log goes on
(new files become searchable). Through real `newswire run` process trees and the HTTP API."""

import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.pipeline import RunningPipeline, eventually

pytestmark = pytest.mark.integration

WAIT_S = 240.0


@pytest.fixture
def first(tmp_path: Path) -> Iterator[RunningPipeline]:
    running = RunningPipeline(tmp_path / "first", "run")
    try:
        yield running
    finally:
        running.kill_everything()


def _newswire(
    pipeline_env: dict[str, str], folder: Path, *arguments: str
) -> "subprocess.CompletedProcess[str]":
    """`newswire ARGUMENTS` run in `folder` with a pipeline's settings, as a user runs it."""
    folder.mkdir(parents=True, exist_ok=True)
    return subprocess.run(
        [sys.executable, "-m", "newswire_ops", *arguments],
        cwd=folder,
        env=pipeline_env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def _distinct(files: list[Path]) -> int:
    return len({path.read_bytes() for path in files})


def test_a_backup_taken_while_files_arrive_restores_every_searchable_article(
    first: RunningPipeline, shared_dir: Path, tmp_path: Path
) -> None:
    corpus = shared_dir / "corpora" / "bbc"
    before = sorted((corpus / "business").glob("*.txt"))[:30]
    during = sorted((corpus / "tech").glob("*.txt"))[:60]
    after = sorted((corpus / "sport").glob("*.txt"))[:3]
    first.drop(before, "business")
    assert eventually(lambda: first.total() == _distinct(before), WAIT_S), first.log()[-2000:]

    def drop_one_by_one() -> None:
        for path in during:
            first.drop([path], "tech")
            time.sleep(0.05)

    dropping = threading.Thread(target=drop_one_by_one)
    dropping.start()
    assert eventually(lambda: first.total() > _distinct(before), WAIT_S)
    searchable = set(first.ids())  # a lower bound of what the backup's snapshot holds
    backup = tmp_path / "backup"
    done = _newswire(first.env, first.folder, "backup", str(backup))
    dropping.join()
    assert done.returncode == 0, done.stderr
    assert "event-log: " in done.stdout
    assert "search-index: " in done.stdout

    refused = _newswire(first.env, first.folder, "restore-backup", "--replace", str(backup))
    assert refused.returncode == 1
    assert "is in use" in refused.stderr
    assert "stop the pipeline" in refused.stderr
    output = first.stop()
    assert first.process.returncode == 0, output[-2000:]

    second_folder = tmp_path / "second"
    restored = _newswire(first.env, second_folder, "restore-backup", str(backup))
    assert restored.returncode == 0, restored.stderr
    second = RunningPipeline(second_folder, "run")
    try:
        assert eventually(lambda: searchable <= set(second.ids()), WAIT_S), second.log()[-2000:]
        ids = second.ids()
        assert len(ids) == len(set(ids)), "an article is listed twice after the restore"
        assert len(ids) <= _distinct(before + during)

        second.drop(after, "sport")
        assert eventually(lambda: second.sections().get("Sport") == _distinct(after), WAIT_S), (
            second.log()[-2000:]
        )
        output = second.stop()
        assert second.process.returncode == 0, output[-2000:]
    finally:
        second.kill_everything()
