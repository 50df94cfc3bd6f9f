"""The whole pipeline through its real interfaces: files into the inbox, search over HTTP.

`newswire up` runs as a user runs it (a process in a working folder), against the real Kafka and
Elasticsearch the fixtures found, with topics, index and ports of its own.
"""

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.network import free_port

pytestmark = pytest.mark.integration

SAMPLE = "trtworld-2024-09-11-pezeshkian-iraq.txt"


def _get_json(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=5) as response:
        return json.load(response)


def _eventually(condition: Callable[[], bool], timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            if condition():
                return True
        except OSError:  # the API is still starting
            pass
        time.sleep(0.5)
    return False


def test_dropped_files_become_searchable_and_leave_the_inbox(
    tmp_path: Path,
    kafka_bootstrap_servers: str,
    elasticsearch_url: str,
    kafka_topic: Callable[[], str],
    index_name: str,
    shared_dir: Path,
) -> None:
    api_port = free_port()
    env = {
        **os.environ,
        "KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap_servers,
        "ELASTICSEARCH_URL": elasticsearch_url,
        "NEWSWIRE_RAW_TOPIC": kafka_topic(),
        "NEWSWIRE_ENRICHED_TOPIC": kafka_topic(),
        "NEWSWIRE_DLQ_TOPIC": kafka_topic(),
        "NEWSWIRE_INDEX_NAME": index_name,
        "NEWSWIRE_INDEX_ALIAS": f"{index_name}-alias",
        "NEWSWIRE_ENRICH_GROUP_ID": f"{index_name}-enrich",
        "NEWSWIRE_INDEXER_GROUP_ID": f"{index_name}-indexer",
        "NEWSWIRE_INGEST_METRICS_PORT": str(free_port()),
        "NEWSWIRE_ENRICH_METRICS_PORT": str(free_port()),
        "NEWSWIRE_INDEXER_METRICS_PORT": str(free_port()),
        "NEWSWIRE_API_PORT": str(api_port),
    }
    (tmp_path / "inbox" / "world").mkdir(parents=True)
    (tmp_path / "inbox" / "business").mkdir(parents=True)
    pipeline = subprocess.Popen(
        [sys.executable, "-m", "newswire", "up"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        shutil.copy(shared_dir / "samples" / SAMPLE, tmp_path / "inbox" / "world" / SAMPLE)
        bbc = sorted((shared_dir / "corpora" / "bbc" / "business").glob("*.txt"))[:3]
        for path in bbc:
            shutil.copy(path, tmp_path / "inbox" / "business" / path.name)
        search = f"http://127.0.0.1:{api_port}/articles/search"

        def everything_indexed() -> bool:
            return int(_get_json(search)["total"]) == 4

        assert _eventually(everything_indexed, timeout_s=120), "not all 4 files became searchable"
        found = _get_json(f"{search}?entity=Masoud%20Pezeshkian")
        assert [hit["title"] for hit in found["hits"]] == [
            "Iran's Pezeshkian visits Iraq in his first foreign trip as president"
        ]
        business = _get_json(f"{search}?section=Business")
        assert business["total"] == 3
        assert list((tmp_path / "inbox").rglob("*.txt")) == []
        assert (tmp_path / "processed" / "world" / SAMPLE).is_file()
    finally:
        pipeline.send_signal(signal.SIGTERM)
        output, _ = pipeline.communicate(timeout=60)
    assert pipeline.returncode == 0, output.decode(errors="replace")[-2000:]
    assert "drop article files into" in output.decode()
