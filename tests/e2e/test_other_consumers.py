"""Consumers that are not Newswire's read `articles.enriched` and trust its schema: the Python
example (kafka-python, jsonschema-rs) and the Java example (the official kafka-clients, built
with Maven, networknt's JSON Schema validator), after `newswire up` enriched the reference
sample and a few BBC files on the real broker. Every message validates against the committed
schema, every key is the story id, and the Java consumer counts what the search API counts."""

import json
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.pipeline import RunningPipeline, eventually, stack_env

pytestmark = pytest.mark.integration

REPO_ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = REPO_ROOT / "examples" / "consumers"
SCHEMA = REPO_ROOT / "schemas" / "enriched-article.v2.json"
SAMPLE = "samples/trtworld-2024-09-11-pezeshkian-iraq.txt"
BBC_FILES = 5


@pytest.fixture(scope="module")
def java_consumer() -> Path:
    """The Java example, built with Maven (incremental: seconds once its jars are cached)."""
    pom = EXAMPLES / "java" / "pom.xml"
    built = subprocess.run(
        ["mvn", "-q", "-B", "-f", str(pom), "package"],
        check=False,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert built.returncode == 0, built.stdout[-3000:] + built.stderr[-3000:]
    return EXAMPLES / "java" / "target" / "enriched-consumer.jar"


@pytest.fixture
def enriched(
    tmp_path: Path, kafka_bootstrap_servers: str, elasticsearch_url: str, shared_dir: Path
) -> Iterator[tuple[RunningPipeline, str]]:
    """`newswire up` after it enriched and indexed the sample and a few BBC files; the name of
    its enriched topic."""
    name = f"test-consumers-{uuid.uuid4().hex[:8]}"
    running = RunningPipeline(
        tmp_path / "pipeline", "up", stack_env(kafka_bootstrap_servers, elasticsearch_url, name)
    )
    try:
        running.drop([shared_dir / SAMPLE], folder="world")
        bbc = sorted((shared_dir / "corpora" / "bbc" / "tech").glob("*.txt"))[:BBC_FILES]
        running.drop(bbc, folder="tech")
        assert eventually(lambda: running.total() == BBC_FILES + 1, timeout_s=240), running.log()[
            -3000:
        ]
        yield running, f"{name}.enriched"
        running.stop()
    finally:
        running.kill_everything()


def summary_of(command: list[str]) -> dict[str, Any]:
    done = subprocess.run(command, check=False, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    summary: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return summary


def test_consumers_that_are_not_ours_validate_every_message_and_count_what_search_counts(
    enriched: tuple[RunningPipeline, str], java_consumer: Path, kafka_bootstrap_servers: str
) -> None:
    pipeline, topic = enriched

    python = summary_of(
        [
            sys.executable,
            str(EXAMPLES / "python" / "consume_enriched.py"),
            "--bootstrap-servers",
            kafka_bootstrap_servers,
            "--topic",
            topic,
            "--group",
            f"{topic}.example-python",
            "--schema",
            str(SCHEMA),
        ]
    )
    java = summary_of(
        [
            "java",
            "-jar",
            str(java_consumer),
            kafka_bootstrap_servers,
            topic,
            f"{topic}.example-java",
            str(SCHEMA),
        ]
    )

    total = pipeline.total()
    for summary in (python, java):
        assert summary["messages"] >= BBC_FILES + 1
        assert summary["invalid"] == 0
        assert summary["key_mismatches"] == 0
    assert python == java
    assert java["distinct_contents"] == total == BBC_FILES + 1
