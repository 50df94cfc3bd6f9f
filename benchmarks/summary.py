"""Every stage benchmark, run one after the other, and one table of their figures.

Each stage script runs as a subprocess exactly as documented in the README; the figures are read
from what it prints (or from its --json output), never typed in here. For each figure the table
gives its floor (the bare library doing the same work) and peer where the stage has one, the
ratios, the target from the issues, and whether it is met.

    python benchmarks/summary.py            # the full runs: about an hour on 2 cores
    python benchmarks/summary.py --quick    # small sizes, a few minutes: does everything run?
    python benchmarks/summary.py --only pipeline api
"""

import argparse
import json
import re
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
STAGES = ("ingest", "enrich", "indexer", "api", "pipeline")


@dataclass(frozen=True)
class Row:
    stage: str
    mode: str
    figure: str
    value: float
    unit: str
    floor: float | None = None
    peer: float | None = None
    target: str = ""
    met: bool | None = None


def _run(script: str, *arguments: str) -> str:
    command = [sys.executable, str(REPO / "benchmarks" / script), *arguments]
    print(f"$ {' '.join(command[1:])}", flush=True)
    done = subprocess.run(command, capture_output=True, text=True, check=False, cwd=REPO)
    if done.returncode != 0:
        raise RuntimeError(f"{script} failed:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
    return done.stdout


def _numbers(pattern: str, text: str) -> list[float]:
    return [float(match.replace(",", "")) for match in re.findall(pattern, text)]


def ingest(quick: bool) -> list[Row]:
    output = _run("ingest_throughput.py", "--rounds", "1" if quick else "3")
    service = statistics.median(_numbers(r"service ([\d,.]+) files/s", output))
    bare = statistics.median(_numbers(r"bare producer ([\d,.]+) files/s", output))
    ratio = service / bare
    return [
        Row(
            "ingest",
            "kafka",
            "files/s",
            service,
            "files/s",
            floor=bare,
            target=">= 1,000 and >= 0.5x floor",
            met=service >= 1000 and ratio >= 0.5,
        ),
    ]


def enrich(quick: bool) -> list[Row]:
    arguments = ["--workers", "2"] + (["--limit", "300"] if quick else [])
    output = _run("enrich_throughput.py", *arguments)

    def rate(name: str) -> float:
        return _numbers(rf"2 worker\(s\)\s+{re.escape(name)}\s+([\d.]+) articles/s", output)[0]

    floor, service = rate("floor: bare nlp.pipe"), rate("service (Kafka)")
    return [
        Row(
            "enrich",
            "kafka",
            "articles/s, 2 replicas",
            service,
            "articles/s",
            floor=floor,
            target=">= 55 and >= 0.85x floor",
            met=service >= 55 and service / floor >= 0.85,
        ),
    ]


def indexer(quick: bool) -> list[Row]:
    arguments = ["--docs", "5000", "--rounds", "1"] if quick else ["--rounds", "3"]
    output = _run("indexer_throughput.py", *arguments)

    def steady(name: str) -> float | None:
        found = _numbers(rf"{re.escape(name)}\s+[\d.]+\s+([\d.]+)", output)
        return found[-1] if found else None

    floor = steady("floor: streaming_bulk (no Kafka)")
    ours = steady("ours: newswire indexer")
    peer = steady("peer: quix-streams ElasticsearchSink")
    if ours is None or floor is None:
        raise RuntimeError(f"indexer_throughput.py printed no figures:\n{output[-2000:]}")
    met = ours / floor >= 0.9 and (peer is None or ours / peer >= 1.5)
    return [
        Row(
            "indexer",
            "kafka+es",
            "docs/s (steady)",
            ours,
            "docs/s",
            floor=floor,
            peer=peer,
            target=">= 0.9x floor, >= 1.5x peer",
            met=met,
        ),
    ]


def api(quick: bool) -> list[Row]:
    rows = []
    size = ["--docs", "5000", "--requests", "500", "--rounds", "1"] if quick else []
    for index in ("elasticsearch", "embedded"):
        with tempfile.NamedTemporaryFile(suffix=".json") as result:
            _run("api_latency.py", "--search-index", index, "--json", result.name, *size)
            figures = json.loads(Path(result.name).read_text())
        mix = figures["all searches (first pages with facets, and cursor pages)"]
        api_run, direct = mix["api"], mix["direct"]
        for name, field, target in (("p50", "p50_ms", None), ("p99", "p99_ms", 50.0)):
            ratio_ok = api_run[field] / direct[field] <= 1.3
            rows.append(
                Row(
                    "api",
                    index,
                    f"search {name}, 20 clients, {figures['docs']} docs",
                    api_run[field],
                    "ms",
                    floor=direct[field],
                    target="<= 1.3x direct" + (", <= 50 ms" if target else ""),
                    met=ratio_ok and (target is None or api_run[field] <= target),
                )
            )
    return rows


def pipeline(quick: bool) -> list[Row]:
    rows = []
    size = ["--duration", "20"] if quick else []
    for mode in ("embedded", "stack"):
        with tempfile.NamedTemporaryFile(suffix=".json") as result:
            _run("pipeline_latency.py", "--mode", mode, "--json", result.name, *size)
            figures = json.loads(Path(result.name).read_text())
        latency = figures["latency_s"]
        rows += [
            Row(
                "pipeline",
                mode,
                "drop→searchable p50 at 10 files/s",
                latency["p50"],
                "s",
                target="<= 1.5 s",
                met=latency["p50"] <= 1.5,
            ),
            Row(
                "pipeline",
                mode,
                "drop→searchable p99 at 10 files/s",
                latency["p99"],
                "s",
                target="<= 3 s",
                met=latency["p99"] <= 3.0,
            ),
        ]
        if figures["corpus_seconds"] is not None:
            seconds = figures["corpus_seconds"]
            rows.append(
                Row(
                    "pipeline",
                    mode,
                    "2,225-file corpus searchable",
                    seconds,
                    "s",
                    target="<= 60 s",
                    met=seconds <= 60,
                )
            )
        for service, mib in figures["peak_rss_mib"].items():
            rows.append(Row("pipeline", mode, f"peak RSS {service}", mib, "MiB"))
    return rows


RUNNERS: dict[str, Callable[[bool], list[Row]]] = {
    "ingest": ingest,
    "enrich": enrich,
    "indexer": indexer,
    "api": api,
    "pipeline": pipeline,
}


def _cell(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:,.2f}" if value < 100 else f"{value:,.0f}"


def print_table(rows: list[Row]) -> None:
    header = (
        "stage",
        "mode",
        "figure",
        "value",
        "floor",
        "x floor",
        "peer",
        "x peer",
        "target",
        "met",
    )
    lines = [header]
    for row in rows:
        lines.append(
            (
                row.stage,
                row.mode,
                row.figure,
                f"{_cell(row.value)} {row.unit}",
                _cell(row.floor),
                _cell(row.value / row.floor) if row.floor else "-",
                _cell(row.peer),
                _cell(row.value / row.peer) if row.peer else "-",
                row.target or "-",
                {True: "yes", False: "NO", None: "-"}[row.met],
            )
        )
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    for number, line in enumerate(lines):
        print("  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)))
        if number == 0:
            print("  ".join("-" * width for width in widths))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes: a smoke run")
    parser.add_argument("--only", nargs="+", choices=STAGES, default=list(STAGES))
    args = parser.parse_args()
    rows: list[Row] = []
    for stage in args.only:
        rows += RUNNERS[stage](args.quick)
    print()
    print_table(rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
