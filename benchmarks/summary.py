"""Every stage benchmark, one after the other, and one table of their figures.

Each stage script runs as a subprocess, as the README documents it, with `--json PATH`; the
figures in the table are read from those JSON files, never typed in here. Stages and modes:

    stage     stack (Kafka / Elasticsearch)       embedded (SQLite log / index)
    ingest    ingest_throughput.py                ingest_throughput.py --event-log embedded
    enrich    enrich_throughput.py --workers 2    -
    scaling   enrich_scaling.py                   -
    indexer   indexer_throughput.py               -
    api       api_latency.py                      api_latency.py --search-index embedded
    abuse     api_abuse.py --search-index elasticsearch    api_abuse.py --search-index embedded
    pipeline  pipeline_latency.py --mode stack    pipeline_latency.py --mode embedded

For each figure the table gives its floor (the bare library doing the same work: for ingest a
bare producer that reads the same files from disk; the producer sending from memory is an
informative row of its own) and peer where the stage has one, the ratios (figure / floor,
figure / peer: above 1 is faster for rates, slower for latencies), the target from the issues,
and whether it is met. The pipeline gives its drop→searchable percentiles for each steady rate
(2 and 10 files/s), the whole corpus's seconds, and the CPU split over the corpus phase (% of
the machine per process); scaling gives the enrich service's articles/s for replicas 1, 2, 4 x
partitions 1, 2, 4, 8 (about 10 min; in the default stages, left out by an `--only` without
it). Targets apply to the stage whatever its back-end, and to the full sizes: with `--quick`
the figures come from small runs (a smoke test that everything runs end to end, in a few
minutes), not from the sizes the targets are about.

Each script's output goes to a log beside its JSON file (in a temporary folder, or in
`--keep DIR`); a script that fails is reported in the table and the others still run (exit
status 1). Ctrl-C or SIGTERM stops the running script with SIGTERM (each stops what it started),
then kills whatever of its process group is left.

    .venv/bin/python benchmarks/summary.py                       # full sizes: 40-70 min
    .venv/bin/python benchmarks/summary.py --quick               # small sizes: a few minutes
    .venv/bin/python benchmarks/summary.py --only pipeline api --modes embedded --json out.json
"""

import argparse
import contextlib
import json
import math
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from newswire_ops.dev_services.server import free_port  # noqa: E402

STAGES = ("ingest", "enrich", "scaling", "indexer", "api", "abuse", "pipeline")
MODES = ("stack", "embedded")
STOP_TIMEOUT_S = 150.0
ALL_SEARCHES = "all searches (first pages with facets, and cursor pages)"

Figures = dict[str, Any]
Check = Callable[[float, float | None, float | None], bool | None]


@dataclass(frozen=True)
class Target:
    text: str
    check: Check  # (value, floor, peer) → met; None when it cannot be judged


@dataclass(frozen=True)
class Row:
    stage: str
    mode: str
    figure: str
    value: float | None
    unit: str = ""
    floor: float | None = None
    peer: float | None = None
    target: Target | None = None

    def met(self) -> str:
        if self.target is None or self.value is None:
            return "-"
        verdict = self.target.check(self.value, self.floor, self.peer)
        return {True: "yes", False: "NO", None: "n/a"}[verdict]

    def ratio(self, reference: float | None) -> float | None:
        if self.value is None or not reference:
            return None
        return self.value / reference


def _ratio_at_least(value: float, reference: float | None, bound: float) -> bool | None:
    return None if not reference else value / reference >= bound


def _all(*verdicts: bool | None) -> bool | None:
    if any(verdict is False for verdict in verdicts):
        return False
    return None if any(verdict is None for verdict in verdicts) else True


INGEST_TARGET = Target(
    ">= 1,000 files/s, >= 0.7x disk floor",
    lambda v, f, p: _all(v >= 1000, _ratio_at_least(v, f, 0.7)),
)
ENRICH_TARGET = Target(
    ">= 55 articles/s, >= 0.85x floor",
    lambda v, f, p: _all(v >= 55, _ratio_at_least(v, f, 0.85)),
)
INDEXER_TARGET = Target(
    ">= 0.9x floor, >= 1.5x peer",
    lambda v, f, p: _all(_ratio_at_least(v, f, 0.9), _ratio_at_least(v, p, 1.5)),
)
API_P99_TARGET = Target(
    "<= 50 ms, <= 1.3x direct",
    lambda v, f, p: _all(v <= 50, None if not f else v / f <= 1.3),
)
REFRESH_COST_TARGET = Target(">= 0.9x floor", lambda v, f, p: _ratio_at_least(v, f, 0.9))
COSTLIEST_TARGET = Target("<= 10x the median query", lambda v, f, p: v <= 10)
ABUSED_P99_TARGET = Target("<= 2x without attackers", lambda v, f, p: v <= 2)
P50_TARGET = Target("<= 0.5 s", lambda v, f, p: v <= 0.5)
P99_TARGET = Target("<= 1.0 s", lambda v, f, p: v <= 1.0)
CORPUS_TARGET = Target("<= 60 s", lambda v, f, p: v <= 60.0)


# --- running the scripts -----------------------------------------------------------------


class ScriptFailedError(RuntimeError):
    pass


def run_script(folder: Path, name: str, script: str, arguments: list[str]) -> Figures:
    """Run benchmarks/<script> with `--json`, its output into <name>.log; its figures."""
    result, log = folder / f"{name}.json", folder / f"{name}.log"
    command = [sys.executable, str(REPO / "benchmarks" / script), *arguments, "--json", str(result)]
    print(f"$ {' '.join(command[1:])}", flush=True)
    started = time.monotonic()
    with log.open("wb") as output:
        code = _run_child(command, output)
    print(f"  exit {code} after {time.monotonic() - started:.0f} s (log {log})", flush=True)
    if code != 0 or not result.is_file():
        tail = "\n".join(log.read_text(errors="replace").splitlines()[-25:])
        raise ScriptFailedError(f"{script} failed (exit {code}):\n{tail}")
    figures: Figures = json.loads(result.read_text())
    return figures


def _run_child(command: list[str], output: Any) -> int:
    """The script in a process group of its own; stopped (SIGTERM, then SIGKILL to the group)
    if this one is interrupted."""
    process = subprocess.Popen(
        command,
        cwd=REPO,
        stdin=subprocess.DEVNULL,
        stdout=output,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        return process.wait()
    except BaseException:
        print(f"stopping {command[1]} …", file=sys.stderr, flush=True)
        process.send_signal(signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=STOP_TIMEOUT_S)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        raise


# --- the stages: arguments and rows ------------------------------------------------------


def ingest(folder: Path, mode: str, quick: bool) -> list[Row]:
    event_log = "kafka" if mode == "stack" else "embedded"
    arguments = ["--event-log", event_log, "--rounds", "1" if quick else "3"]
    figures = run_script(folder, f"ingest-{mode}", "ingest_throughput.py", arguments)
    median, files = figures["median"], figures["rounds"][0]["service"]["files"]
    return [
        Row(
            "ingest",
            mode,
            f"files/s, {files:,} files ({event_log} log); floor: producer reading from disk",
            median["service_files_per_s"],
            "files/s",
            floor=median["bare_files_per_s"],
            target=INGEST_TARGET,
        ),
        Row(
            "ingest",
            mode,
            "files/s; floor: producer sending from memory (informative)",
            median["service_files_per_s"],
            "files/s",
            floor=median["bare_from_memory_files_per_s"],
        ),
    ]


def enrich(folder: Path, mode: str, quick: bool) -> list[Row]:
    arguments = ["--workers", "2"] + (["--limit", "200"] if quick else [])
    figures = run_script(folder, f"enrich-{mode}", "enrich_throughput.py", arguments)
    by_name = {result["name"]: result for result in figures["results"]}
    service, floor = by_name["service (Kafka)"], by_name["floor: bare nlp.pipe"]
    return [
        Row(
            "enrich",
            mode,
            f"articles/s, 2 replicas, {figures['articles']} articles",
            service["articles_per_s"],
            "articles/s",
            floor=floor["articles_per_s"],
            target=ENRICH_TARGET,
        )
    ]


def scaling(folder: Path, mode: str, quick: bool) -> list[Row]:
    sizes = ["--replicas", "1", "2", "--partitions", "1", "2", "--limit", "60"] if quick else []
    figures = run_script(folder, f"scaling-{mode}", "enrich_scaling.py", sizes)
    return [
        Row(
            "scaling",
            mode,
            f"enrich articles/s, {cell['replicas']} replica(s) x {cell['partitions']} "
            f"partition(s), {figures['articles']} articles",
            cell["articles_per_s"],
            "articles/s",
        )
        for cell in figures["cells"]
    ]


def indexer(folder: Path, mode: str, quick: bool) -> list[Row]:
    arguments = ["--docs", "3000", "--rounds", "1"] if quick else []
    figures = run_script(folder, f"indexer-{mode}", "indexer_throughput.py", arguments)
    median = figures["median"]
    peer = median.get("peer", {}).get("steady_docs_per_s")
    return [
        Row(
            "indexer",
            mode,
            f"docs/s steady, {figures['docs']:,} docs" + ("" if peer else " (no peer venv)"),
            median["ours"]["steady_docs_per_s"],
            "docs/s",
            floor=median["floor"]["steady_docs_per_s"],
            peer=peer,
            target=INDEXER_TARGET,
        ),
        Row(
            "indexer",
            mode,
            "docs/s steady at full load; floor: the same indexer without quiet-batch refreshes",
            median["ours"]["steady_docs_per_s"],
            "docs/s",
            floor=median["ours_no_quiet_refresh"]["steady_docs_per_s"],
            target=REFRESH_COST_TARGET,
        ),
    ]


def api(folder: Path, mode: str, quick: bool) -> list[Row]:
    index = "elasticsearch" if mode == "stack" else "embedded"
    arguments = ["--search-index", index, "--port", str(free_port())]
    if quick:
        arguments += ["--docs", "3000", "--requests", "400", "--rounds", "1"]
    figures = run_script(folder, f"api-{mode}", "api_latency.py", arguments)
    mix = figures[ALL_SEARCHES]
    api_run, direct = mix["api"], mix["direct"]
    where = f"{figures['clients']} clients, {figures['docs']:,} docs"

    def row(figure: str, field: str, unit: str, target: Target | None = None) -> Row:
        value, floor = api_run[field], direct[field]
        return Row("api", mode, f"{figure}, {where}", value, unit, floor=floor, target=target)

    return [
        row("search p50", "p50_ms", "ms"),
        row("search p99", "p99_ms", "ms", API_P99_TARGET),
        row("searches/s", "requests_per_s", "req/s"),
    ]


def abuse(folder: Path, mode: str, quick: bool) -> list[Row]:
    index = "elasticsearch" if mode == "stack" else "embedded"
    arguments = ["--search-index", index, "--port", str(free_port())]
    if quick:
        arguments += ["--docs", "2127", "--seconds", "5"]
    figures = run_script(folder, f"abuse-{mode}", "api_abuse.py", arguments)[index]
    alone, beside = figures["normal_alone"], figures["normal_beside_attackers"]
    return [
        Row(
            "abuse",
            mode,
            f"costliest accepted query / median ({figures['costliest']})",
            figures["costliest_ms"] / figures["median_query_ms"],
            "x",
            target=COSTLIEST_TARGET,
        ),
        Row(
            "abuse",
            mode,
            "16 clients' p99 beside 4 attackers / alone",
            beside["p99_ms"] / alone["p99_ms"],
            "x",
            target=ABUSED_P99_TARGET,
        ),
    ]


def pipeline(folder: Path, mode: str, quick: bool) -> list[Row]:
    arguments = ["--mode", mode]
    if quick:
        arguments += ["--duration", "10", "--corpus-limit", "200"]
    figures = run_script(folder, f"pipeline-{mode}", "pipeline_latency.py", arguments)
    latency = [
        row for rate in figures["latency_s_by_rate"] for row in _latency_rows(mode, figures, rate)
    ]
    corpus = _corpus_rows(mode, figures) + _cpu_rows(mode, figures)
    return latency + corpus + _memory_rows(mode, figures)


def _latency_rows(mode: str, figures: Figures, rate: str) -> list[Row]:
    """One steady rate's percentiles; `rate` as the JSON keys it ("2", "10")."""
    latency = figures["latency_s_by_rate"][rate]
    steady = f"at {rate} files/s"
    targets = {"p50": P50_TARGET, "p99": P99_TARGET}
    rows = [
        Row(
            "pipeline",
            mode,
            f"drop→searchable {name} {steady}",
            latency.get(name),
            "s",
            target=targets.get(name),
        )
        for name in ("p50", "p90", "p99", "max")
    ]
    if never := figures["never_searchable_by_rate"][rate]:
        rows.append(Row("pipeline", mode, f"steady files never searchable {steady}", never))
    return rows


def _cpu_rows(mode: str, figures: Figures) -> list[Row]:
    """Where the machine's CPU went during the corpus phase: % of its capacity per process."""
    cpu = figures["corpus_cpu"]
    if not cpu:
        return []
    shares = [(name, share) for name, share in cpu["percent"].items() if share is not None]
    shares += [("other (machine, kernel)", cpu["other_percent"]), ("idle", cpu["idle_percent"])]
    where = f"{cpu['cpus']} cores x {cpu['phase_s']:.0f} s"
    return [
        Row("pipeline", mode, f"corpus phase CPU {name} (of {where})", share, "%")
        for name, share in shares
    ]


def _corpus_rows(mode: str, figures: Figures) -> list[Row]:
    if figures["corpus_seconds"] is None:
        return []
    files, whole = figures["corpus_files"], figures["corpus_whole"]
    label = f"{'whole ' if whole else ''}corpus ({files:,} files, "
    label += f"{figures['corpus_distinct']:,} distinct)"
    return [
        Row(
            "pipeline",
            mode,
            f"{label} searchable",
            figures["corpus_seconds"],
            "s",
            target=CORPUS_TARGET if whole else None,
        ),
        Row("pipeline", mode, f"{label} rate", figures["corpus_files_per_s"], "files/s"),
    ]


def _memory_rows(mode: str, figures: Figures) -> list[Row]:
    rows = [
        Row("pipeline", mode, f"peak RSS {name}", mib, "MiB")
        for name, mib in figures["peak_rss_mib"].items()
    ]
    if figures["service_restarts"]:
        rows.append(Row("pipeline", mode, "services restarted (!)", figures["service_restarts"]))
    return rows


RUNNERS: dict[tuple[str, str], Callable[[Path, str, bool], list[Row]]] = {
    ("ingest", "stack"): ingest,
    ("ingest", "embedded"): ingest,
    ("enrich", "stack"): enrich,
    ("scaling", "stack"): scaling,
    ("indexer", "stack"): indexer,
    ("api", "stack"): api,
    ("api", "embedded"): api,
    ("abuse", "stack"): abuse,
    ("abuse", "embedded"): abuse,
    ("pipeline", "stack"): pipeline,
    ("pipeline", "embedded"): pipeline,
}


# --- the table ---------------------------------------------------------------------------


def _number(value: float | None) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:.1f}" if abs(value) >= 10 else f"{value:.2f}"


def _ratio(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}x"


HEADER = ("stage", "mode", "figure", "value", "floor", "x floor", "peer", "x peer", "target", "met")


def table_lines(rows: list[Row]) -> list[str]:
    cells = [HEADER] + [
        (
            row.stage,
            row.mode,
            row.figure,
            f"{_number(row.value)} {row.unit}".strip(),
            _number(row.floor),
            _ratio(row.ratio(row.floor)),
            _number(row.peer),
            _ratio(row.ratio(row.peer)),
            row.target.text if row.target else "-",
            row.met(),
        )
        for row in rows
    ]
    widths = [max(len(line[i]) for line in cells) for i in range(len(HEADER))]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True))
        for line in cells
    ]
    return [lines[0], "  ".join("-" * width for width in widths), *lines[1:]]


def as_json(rows: list[Row]) -> list[dict[str, Any]]:
    return [
        {
            "stage": row.stage,
            "mode": row.mode,
            "figure": row.figure,
            "value": row.value,
            "unit": row.unit,
            "floor": row.floor,
            "to_floor": row.ratio(row.floor),
            "peer": row.peer,
            "to_peer": row.ratio(row.peer),
            "target": row.target.text if row.target else None,
            "met": row.met(),
        }
        for row in rows
    ]


# --- main --------------------------------------------------------------------------------


@contextlib.contextmanager
def output_folder(keep: Path | None) -> Iterator[Path]:
    if keep is not None:
        keep.mkdir(parents=True, exist_ok=True)
        yield keep
        return
    with tempfile.TemporaryDirectory(prefix="newswire-bench-summary-") as folder:
        yield Path(folder)


def run_all(args: argparse.Namespace, folder: Path) -> tuple[list[Row], list[str]]:
    rows: list[Row] = []
    failures: list[str] = []
    for stage in args.only:
        for mode in args.modes:
            runner = RUNNERS.get((stage, mode))
            if runner is None:
                continue
            try:
                rows += runner(folder, mode, args.quick)
            except (ScriptFailedError, KeyError, TypeError) as error:
                print(error, file=sys.stderr, flush=True)
                failures.append(f"{stage}/{mode}")
                rows.append(Row(stage, mode, "FAILED: see its log", None))
    return rows, failures


def parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="small sizes: a smoke run")
    parser.add_argument("--only", nargs="+", choices=STAGES, default=list(STAGES))
    parser.add_argument("--modes", nargs="+", choices=MODES, default=list(MODES))
    parser.add_argument("--keep", type=Path, help="keep every script's JSON and log here")
    parser.add_argument("--json", type=Path, help="also write the table's rows here")
    return parser.parse_args()


def _exit_on_sigterm(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)


def main() -> int:
    args = parse_arguments()
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    started = time.monotonic()
    with output_folder(args.keep) as folder:
        rows, failures = run_all(args, folder)
    sizes = "quick sizes (a smoke run, not what the targets are about)" if args.quick else "full"
    print(
        f"\n{sizes}; {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f} at the end; "
        f"{(time.monotonic() - started) / 60:.1f} min"
    )
    print("\n".join(table_lines(rows)))
    if args.json:
        args.json.write_text(json.dumps(as_json(rows), indent=2) + "\n")
    if failures:
        print(f"\nfailed: {', '.join(failures)}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
