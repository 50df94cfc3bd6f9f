"""Moving to Elasticsearch: `newswire reindex --from-embedded` indexes the embedded log's articles.

Through the real command, from a real embedded log file into the real Elasticsearch node.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from elasticsearch import Elasticsearch

from benchmarks.corpus import enriched_bbc_articles
from newswire.backends import open_event_log
from newswire.settings import Settings
from tests.support.search_corpus import listed_stories

pytestmark = pytest.mark.integration

ARTICLES = 300


def _fill_embedded_log(data_dir: Path, shared_dir: Path) -> set[str]:
    settings = Settings(event_log="embedded", data_dir=data_dir)
    event_log = open_event_log(settings)
    event_log.ensure_topics([settings.enriched_topic])
    producer = event_log.producer(client_id="test")
    ids = set()
    sends = []
    for article in enriched_bbc_articles(shared_dir, limit=ARTICLES):
        ids.add(article.id)
        value = article.model_dump_json().encode()
        sends.append(producer.send(settings.enriched_topic, article.id.encode(), value))
    # A replayed message (same key) must not become a second document.
    sends.append(producer.send(settings.enriched_topic, article.id.encode(), value))
    producer.flush()
    for send in sends:
        send.result(timeout=30)
    producer.close()
    return ids


def _reindex(data_dir: Path, elasticsearch_url: str, index_name: str) -> str:
    env = {
        **os.environ,
        "ELASTICSEARCH_URL": elasticsearch_url,
        "NEWSWIRE_INDEX_NAME": index_name,
        "NEWSWIRE_INDEX_ALIAS": f"{index_name}-alias",
    }
    done = subprocess.run(
        [sys.executable, "-m", "newswire_ops", "reindex", "--from-embedded", str(data_dir)],
        env=env,
        check=False,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_every_article_of_the_embedded_log_is_indexed_once(
    tmp_path: Path,
    shared_dir: Path,
    elasticsearch_url: str,
    elasticsearch: Elasticsearch,
    index_name: str,
) -> None:
    ids = _fill_embedded_log(tmp_path / "data", shared_dir)

    output = _reindex(tmp_path / "data", elasticsearch_url, index_name)
    assert f"indexed {ARTICLES + 1} articles" in output

    listed = listed_stories(elasticsearch, f"{index_name}-alias")
    assert sorted(listed) == sorted(ids)

    # Twice is harmless: the same stories, the same versions.
    _reindex(tmp_path / "data", elasticsearch_url, index_name)
    assert sorted(listed_stories(elasticsearch, f"{index_name}-alias")) == sorted(ids)


def test_a_missing_data_directory_is_a_clear_error(tmp_path: Path, elasticsearch_url: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "newswire_ops", "reindex", "--from-embedded", str(tmp_path / "x")],
        env={**os.environ, "ELASTICSEARCH_URL": elasticsearch_url},
        check=False,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1
    assert "no embedded event log at" in done.stdout
