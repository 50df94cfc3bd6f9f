"""The pipeline's status line, as `newswire run|up` print it and `newswire status` prints it once:
files waiting in the inbox, then each service's figures read from its own /metrics endpoint.

Which figures a service shows is the service's own word (`STATUS_FIGURES` in its metrics module):
this module knows no metric name.
"""

import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

from newswire.settings import Settings
from newswire_enrich.metrics import STATUS_FIGURES as ENRICH_FIGURES
from newswire_indexer.metrics import STATUS_FIGURES as INDEXER_FIGURES
from newswire_ingest.metrics import STATUS_FIGURES as INGEST_FIGURES


@dataclass(frozen=True)
class Replica:
    """One process of a service: its name (the log file's), what its environment adds to the
    supervisor's, and its /metrics."""

    name: str
    env: Mapping[str, str]
    metrics_url: str | None


@dataclass(frozen=True)
class PipelineService:
    """One of the four services as the supervisor starts it (one process per replica) and the
    status line shows it (the replicas' figures summed)."""

    name: str
    module: str
    replicas: tuple[Replica, ...]
    figures: Mapping[str, str] = field(default_factory=dict)  # sample name → label


def _metrics_url(port: int) -> str | None:
    return f"http://127.0.0.1:{port}/metrics" if port else None


def _single(name: str, module: str, port: int, figures: Mapping[str, str]) -> PipelineService:
    return PipelineService(name, module, (Replica(name, {}, _metrics_url(port)),), figures)


def _enrich_replicas(settings: Settings) -> tuple[Replica, ...]:
    """Enrich replica k (1, 2, …): log `enrich.log`, `enrich-2.log`, …; metrics on the enrich
    port + 10 x (k - 1), so no two listen on one port."""
    replicas = []
    for number in range(1, settings.enrich_replica_count() + 1):
        port = (
            settings.enrich_metrics_port + 10 * (number - 1) if settings.enrich_metrics_port else 0
        )
        name = "enrich" if number == 1 else f"enrich-{number}"
        replicas.append(
            Replica(name, {"NEWSWIRE_ENRICH_METRICS_PORT": str(port)}, _metrics_url(port))
        )
    return tuple(replicas)


def pipeline_services(settings: Settings) -> list[PipelineService]:
    return [
        _single("ingest", "newswire_ingest", settings.ingest_metrics_port, INGEST_FIGURES),
        PipelineService("enrich", "newswire_enrich", _enrich_replicas(settings), ENRICH_FIGURES),
        _single("indexer", "newswire_indexer", settings.indexer_metrics_port, INDEXER_FIGURES),
        _single("api", "newswire_api", settings.api_port, {}),
    ]


def status_line(settings: Settings, alive: dict[str, bool] | None = None) -> str:
    """`alive`: which processes (replica names) the supervisor sees running; None when asked
    from outside."""
    waiting = _files_waiting(settings.ingest_inbox)
    parts = [f"{waiting} waiting in {settings.ingest_inbox}"]
    for service in pipeline_services(settings):
        parts.append(_service_part(service, alive))
    return " | ".join(parts)


def _service_part(service: PipelineService, alive: dict[str, bool] | None) -> str:
    count = len(service.replicas)
    label = service.name if count == 1 else f"{service.name} x{count}"
    down = [] if alive is None else [r.name for r in service.replicas if not alive.get(r.name)]
    state = "" if not down else (" (down)" if count == 1 else f" ({', '.join(down)} down)")
    urls = [replica.metrics_url for replica in service.replicas if replica.metrics_url]
    if not urls:
        return f"{label}: {'no metrics' if alive is None else 'running'}{state}"
    samples = [sample for sample in map(_scrape, urls) if sample is not None]
    if not samples:
        return f"{label}: not answering{state}"
    figures = ", ".join(
        f"{name} {sum(sample.get(metric, 0) for sample in samples):.0f}"
        for metric, name in service.figures.items()
    )
    return f"{label}: {figures or 'up'}{state}"


def _scrape(url: str) -> dict[str, float] | None:
    """Sample name → value summed over labels; None when the endpoint does not answer."""
    try:
        with urllib.request.urlopen(url, timeout=1) as response:
            text = response.read().decode("utf-8")
    except urllib.error.HTTPError as error:
        # It answers, but its /metrics wants a key (NEWSWIRE_API_METRICS_KEY_HASHES): up.
        return {} if error.code in (401, 403) else None
    except (OSError, urllib.error.URLError):
        return None
    totals: dict[str, float] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            totals[sample.name] = totals.get(sample.name, 0.0) + sample.value
    return totals


def _files_waiting(inbox: Path) -> int:
    if not inbox.is_dir():
        return 0
    return sum(1 for path in inbox.rglob("*") if path.is_file() and not path.name.startswith("."))
