"""Enrich scaling: the enrich service's articles/s for each count of replicas and partitions.

The service contender of enrich_throughput.py (its `run_service`), cell by cell: R replicas of
`python -m newswire_enrich` in one consumer group on a fresh raw topic of P partitions, for R in
`--replicas` (1 2 4) and P in `--partitions` (1 2 4 8). In each cell the replicas first load the
model and join the group, untimed; the clock starts when the raw messages start being produced
and stops at the broker timestamp of the last enriched message (Kafka included). Each cell's
topics and group are deleted after it.

A consumer group gives a partition to one replica only, so replicas beyond the partitions get
none and idle: that is part of the curve (what one more replica buys, and what it needs). All
replicas share this machine's cores, so the curve says what more processes buy on it; a
replica on a machine of its own adds that machine's cores too.

The articles are `--limit` (600) of the BBC corpus, every k-th file so every section and length
is in (12 cells x 600 articles: about 10 min on 2 cores).

    .venv/bin/python benchmarks/enrich_scaling.py [--replicas 1 2 4] [--partitions 1 2 4 8] \\
        [--limit 600] [--json PATH]

Prints a table of articles/s (rows: replicas, columns: partitions) and its markdown for the
README; `--json` also writes every cell there.
"""

import argparse
import json
import os
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from benchmarks.corpus import SHARED_DIR  # noqa: E402
from benchmarks.enrich_throughput import bbc_raw_articles, run_service  # noqa: E402
from newswire.messages import RawArticle  # noqa: E402
from newswire.settings import Settings  # noqa: E402


@dataclass(frozen=True)
class Cell:
    replicas: int
    partitions: int
    articles_per_s: float
    peak_rss_mib: list[float]


def spread(raws: list[RawArticle], count: int) -> list[RawArticle]:
    """Every k-th article, `count` of them (the corpus is sorted by section)."""
    if count >= len(raws):
        return raws
    step = len(raws) / count
    return [raws[int(n * step)] for n in range(count)]


def measure_cells(raws: list[RawArticle], args: argparse.Namespace) -> list[Cell]:
    settings = Settings()
    cells = []
    for replicas in args.replicas:
        for partitions in args.partitions:
            result = run_service(
                settings,
                raws,
                replicas,
                settings.enrich_batch_size,
                settings.enrich_ner_batch_size,
                model=settings.enrich_spacy_model,
                partitions=partitions,
            )
            cell = Cell(replicas, partitions, result.articles_per_s, result.peak_rss_mib)
            print(
                f"{replicas} replica(s), {partitions} partition(s): "
                f"{cell.articles_per_s:6.1f} articles/s",
                flush=True,
            )
            cells.append(cell)
    return cells


def table_rows(cells: list[Cell], replicas: list[int], partitions: list[int]) -> list[list[str]]:
    """A header row, then one row per replica count: articles/s per partition count."""
    rate = {(cell.replicas, cell.partitions): cell.articles_per_s for cell in cells}
    rows = [["replicas \\ partitions", *map(str, partitions)]]
    for count in replicas:
        rows.append([str(count), *(f"{rate[count, p]:.1f}" for p in partitions)])
    return rows


def plain_table(rows: list[list[str]]) -> str:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "\n".join(
        "  ".join(c.rjust(w) for c, w in zip(row, widths, strict=True)) for row in rows
    )


def markdown_table(rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(row) + " |" for row in rows]
    lines.insert(1, "|" + "---|" * len(rows[0]))
    return "\n".join(lines)


def parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--replicas", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--partitions", type=int, nargs="+", default=[1, 2, 4, 8])
    parser.add_argument("--limit", type=int, default=600, help="articles per cell (600)")
    parser.add_argument("--json", type=Path, help="also write every cell here")
    return parser.parse_args()


def main() -> int:
    args = parse_arguments()
    raws = spread(bbc_raw_articles(SHARED_DIR, None), args.limit)
    print(
        f"{len(raws)} BBC articles per cell; {os.cpu_count()} CPUs, load average "
        f"{os.getloadavg()[0]:.2f}; model {Settings().enrich_spacy_model}",
        flush=True,
    )
    cells = measure_cells(raws, args)
    rows = table_rows(cells, args.replicas, args.partitions)
    print(f"\nenrich service, articles/s ({len(raws)} articles per cell)\n{plain_table(rows)}")
    print(f"\nfor the README:\n\n{markdown_table(rows)}")
    if args.json:
        figures = {
            "articles": len(raws),
            "cpus": os.cpu_count(),
            "load_average": os.getloadavg()[0],
            "model": Settings().enrich_spacy_model,
            "cells": [asdict(cell) for cell in cells],
            "markdown": markdown_table(rows),
        }
        args.json.write_text(json.dumps(figures, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
