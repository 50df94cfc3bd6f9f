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
class PipelineService:
    """One of the four services as the supervisor starts it and the status line shows it."""

    name: str
    module: str
    metrics_url: str | None
    figures: Mapping[str, str] = field(default_factory=dict)  # sample name → label


def pipeline_services(settings: Settings) -> list[PipelineService]:
    def metrics(port: int) -> str | None:
        return f"http://127.0.0.1:{port}/metrics" if port else None

    return [
        PipelineService(
            "ingest", "newswire_ingest", metrics(settings.ingest_metrics_port), INGEST_FIGURES
        ),
        PipelineService(
            "enrich", "newswire_enrich", metrics(settings.enrich_metrics_port), ENRICH_FIGURES
        ),
        PipelineService(
            "indexer", "newswire_indexer", metrics(settings.indexer_metrics_port), INDEXER_FIGURES
        ),
        PipelineService("api", "newswire_api", f"http://127.0.0.1:{settings.api_port}/metrics"),
    ]


def status_line(settings: Settings, alive: dict[str, bool] | None = None) -> str:
    """`alive`: which services the supervisor sees running; None when asked from outside."""
    waiting = _files_waiting(settings.ingest_inbox)
    parts = [f"{waiting} waiting in {settings.ingest_inbox}"]
    for service in pipeline_services(settings):
        state = "" if alive is None else ("" if alive.get(service.name) else " (down)")
        if service.metrics_url is None:
            parts.append(f"{service.name}: {'no metrics' if alive is None else 'running'}{state}")
            continue
        sample = _scrape(service.metrics_url)
        if sample is None:
            parts.append(f"{service.name}: not answering{state}")
            continue
        figures = ", ".join(
            f"{label} {sample.get(metric, 0):.0f}" for metric, label in service.figures.items()
        )
        parts.append(f"{service.name}: {figures or 'up'}{state}")
    return " | ".join(parts)


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
