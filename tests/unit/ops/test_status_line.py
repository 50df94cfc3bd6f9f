"""`newswire status` reads each service's real /metrics endpoint into one line."""

import os
from pathlib import Path

import pytest
from prometheus_client import start_http_server

from newswire.settings import Settings
from newswire_enrich.metrics import EnrichMetrics
from newswire_indexer.metrics import IndexerMetrics
from newswire_ingest.metrics import IngestMetrics
from newswire_ops.dev_services.server import free_port
from newswire_ops.status_line import status_line


def test_the_status_line_counts_waiting_files_and_reads_every_service_metrics(
    tmp_path: Path,
) -> None:
    inbox = tmp_path / "inbox"
    (inbox / "world").mkdir(parents=True)
    (inbox / "world" / "a.txt").write_text("A\n\nbody")
    (inbox / ".b.txt.part").write_text("being written")
    ingest, enrich, indexer = IngestMetrics(), EnrichMetrics(), IndexerMetrics()
    ingest.files_published.inc(7)
    ingest.files_failed.labels(error_type="binary").inc(2)
    enrich.articles_enriched.inc(6)
    indexer.documents_indexed.inc(5)
    indexer.consumer_lag.set(1)
    ports = {name: free_port() for name in ("ingest", "enrich", "indexer", "api")}
    for name, metrics in (("ingest", ingest), ("enrich", enrich), ("indexer", indexer)):
        start_http_server(ports[name], addr="127.0.0.1", registry=metrics.registry)
    settings = Settings(
        ingest_inbox=inbox,
        ingest_metrics_port=ports["ingest"],
        enrich_metrics_port=ports["enrich"],
        indexer_metrics_port=ports["indexer"],
        api_port=ports["api"],  # nothing listens there
        enrich_replicas=1,
    )

    line = status_line(settings, alive={"ingest": True, "enrich": True, "indexer": True})

    assert line.split(" | ") == [
        f"1 waiting in {inbox}",
        "ingest: published 7, failed 2",
        "enrich: enriched 6, dead letters 0",
        "indexer: indexed 5, lag 1, dead letters 0",
        "api: not answering (down)",
    ]


def test_enrich_replicas_are_summed_and_a_replica_down_is_named(tmp_path: Path) -> None:
    first, second = EnrichMetrics(), EnrichMetrics()
    first.articles_enriched.inc(4)
    second.articles_enriched.inc(3)
    base = free_port()
    # Replica k listens on the enrich port + 10 x (k - 1).
    start_http_server(base, addr="127.0.0.1", registry=first.registry)
    start_http_server(base + 10, addr="127.0.0.1", registry=second.registry)
    settings = Settings(
        ingest_inbox=tmp_path / "inbox",
        ingest_metrics_port=0,
        enrich_metrics_port=base,
        indexer_metrics_port=0,
        api_port=free_port(),
        enrich_replicas=2,
    )

    line = status_line(settings, alive={"enrich": True, "enrich-2": False})

    assert line.split(" | ")[2] == "enrich x2: enriched 7, dead letters 0 (enrich-2 down)"


def test_by_default_one_enrich_replica_per_core_as_many_as_share_the_partitions_evenly(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(os, "cpu_count", lambda: 4)
    assert Settings(topic_partitions=12).enrich_replica_count() == 4
    assert Settings(topic_partitions=6).enrich_replica_count() == 3  # 4 would idle on 6
    assert Settings(topic_partitions=1).enrich_replica_count() == 1
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    assert Settings(topic_partitions=6).enrich_replica_count() == 2
    assert Settings(topic_partitions=1, enrich_replicas=3).enrich_replica_count() == 3
