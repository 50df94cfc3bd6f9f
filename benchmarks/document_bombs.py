"""What a hostile document costs, and what parsing every document in a child process costs.

1. Isolation: the BBC corpus (2,225 files) and the reference sample read by the enricher's own
   process (`InProcessReader`, the floor) and by the parser process the service uses
   (`ParserProcess`): documents/s and the added time per document, set against the enrich
   service's ~30 articles/s per core (what NER allows).
2. The bombs alone: how long the parser process takes to refuse each one, with the default
   limits (refused before parsing) and with the limits wide open (stopped by its budget).
3. Through `newswire run` (or `up` with --mode stack), as the issue's independent check: the
   pipeline warmed up, a bomb dropped, a BBC article dropped 2 s later. Figures: seconds from the
   article's drop until it is searchable (target <= 30 s), and from the bomb's drop until it is
   in `failed/` with its reason (target <= 180 s); per bomb and per set of limits.

    python benchmarks/document_bombs.py [--mode embedded|stack] [--limit 2225] [--skip-pipeline]
"""

import argparse
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from benchmarks.bombs import paragraph_bomb, zip_bomb  # noqa: E402
from benchmarks.corpus import SHARED_DIR, bbc_files  # noqa: E402
from benchmarks.pipeline_latency import (  # noqa: E402
    Api,
    Drop,
    Pipeline,
    drop,
    wait_until_ready,
)
from newswire.messages import RawArticle, utc_now  # noqa: E402
from newswire_enrich.document_limits import DocumentLimits  # noqa: E402
from newswire_enrich.documents import (  # noqa: E402
    DocumentInput,
    DocumentReader,
    InProcessReader,
)
from newswire_enrich.errors import ArticleRejectedError  # noqa: E402
from newswire_enrich.parser_process import ParseBudget, ParserProcess  # noqa: E402

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
ENRICH_ARTICLES_PER_S_PER_CORE = 30.0  # README: the enrich service with newswire-ner 1.1.0
WIDE_OPEN_LIMITS = DocumentLimits(
    max_paragraphs=10**9,
    max_article_characters=10**12,
    max_unpacked_bytes=10**12,
    max_compression_ratio=10**9,
)
WIDE_OPEN_ENV = {
    "NEWSWIRE_ENRICH_MAX_COMPRESSION_RATIO": "1000000000",
    "NEWSWIRE_ENRICH_MAX_UNPACKED_BYTES": "100000000000",
    "NEWSWIRE_ENRICH_MAX_PARAGRAPHS": "1000000000",
    "NEWSWIRE_ENRICH_MAX_ARTICLE_CHARACTERS": "1000000000000",
}
FAILED_TIMEOUT_S = 400.0
ARTICLE_AFTER_S = 2.0


def bombs() -> dict[str, bytes]:
    return {
        "paragraph-bomb.docx": paragraph_bomb(),  # the probe's: 18.5 MB of paragraphs
        "zip-bomb.docx": zip_bomb(1_500_000_000),  # the probe's: 1.5 MB to 1.5 GB
    }


def documents(limit: int) -> list[DocumentInput]:
    files = bbc_files(SHARED_DIR)[:limit]
    files += sorted((SHARED_DIR / "samples").glob("*.txt"))
    raws = [RawArticle.from_bytes(path.read_bytes(), path.name, utc_now()) for path in files]
    return [DocumentInput.of(raw) for raw in raws]


def read_all(reader: DocumentReader, inputs: list[DocumentInput]) -> float:
    started = time.perf_counter()
    for document in inputs:
        reader.read(document)
    return time.perf_counter() - started


def isolation_cost(inputs: list[DocumentInput], rounds: int) -> dict[str, float]:
    in_process = InProcessReader()
    child = ParserProcess(DocumentLimits(), ParseBudget())
    child.start()
    read_all(child, inputs[:50])  # the child's imports and first parses: not timed
    read_all(in_process, inputs[:50])
    floor, isolated = [], []
    try:
        for _ in range(rounds):
            floor.append(read_all(in_process, inputs))
            isolated.append(read_all(child, inputs))
    finally:
        child.close()
    floor_s, isolated_s = statistics.median(floor), statistics.median(isolated)
    added_ms = (isolated_s - floor_s) / len(inputs) * 1000
    return {
        "documents": len(inputs),
        "in_process_docs_per_s": len(inputs) / floor_s,
        "parser_process_docs_per_s": len(inputs) / isolated_s,
        "added_ms_per_document": added_ms,
        "share_of_enrich_time": added_ms / 1000 * ENRICH_ARTICLES_PER_S_PER_CORE,
    }


def refusal_times(budget: ParseBudget) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    for limits_name, limits in (("default", DocumentLimits()), ("wide open", WIDE_OPEN_LIMITS)):
        child = ParserProcess(limits, budget)
        child.start()
        child.read(DocumentInput("warm.txt", "text/plain", "Title\n\nBody.", None))
        try:
            for name, data in bombs().items():
                started = time.perf_counter()
                try:
                    child.read(DocumentInput(name, DOCX, "", data))
                    outcome = "read (not refused)"
                except ArticleRejectedError as error:
                    outcome = error.error_type
                rows.append(
                    {
                        "limits": limits_name,
                        "bomb": name,
                        "outcome": outcome,
                        "seconds": time.perf_counter() - started,
                    }
                )
        finally:
            child.close()
    return rows


def _watch(
    reason_file: Path, api: Api, article_path: str, drop_article: Callable[[], float]
) -> dict[str, float | None]:
    """Seconds from the bomb's drop (now) until its reason is in `failed/`, and from the
    article's drop (2 s later, by `drop_article`) until it is searchable; None: not within
    FAILED_TIMEOUT_S. Both are watched from the start, every 0.1 s."""
    bomb_dropped = time.monotonic()
    article_dropped: float | None = None
    found: dict[str, float | None] = {"bomb": None, "article": None}
    while time.monotonic() - bomb_dropped < FAILED_TIMEOUT_S and None in found.values():
        if article_dropped is None and time.monotonic() - bomb_dropped >= ARTICLE_AFTER_S:
            article_dropped = drop_article()
        if found["bomb"] is None and reason_file.is_file():
            found["bomb"] = time.monotonic() - bomb_dropped
        waiting = article_dropped is not None and found["article"] is None
        if waiting and api.get(article_path)[0] == 200:
            found["article"] = time.monotonic() - (article_dropped or 0.0)
        time.sleep(0.1)
    return found


def through_the_pipeline(mode: str, wide_open: bool) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    article_files = bbc_files(SHARED_DIR)[100:110]
    with tempfile.TemporaryDirectory(prefix="newswire-bombs-") as folder:
        pipeline = Pipeline(mode, Path(folder), settle_s=None)
        if wide_open:
            pipeline.env |= WIDE_OPEN_ENV
        api = Api(pipeline.api_port)
        pipeline.start()
        try:
            wait_until_ready(pipeline, api)
            for n, (name, data) in enumerate(bombs().items()):
                bomb = Drop(f"bombs/{n}-{name}", data)
                source = article_files[n]
                article = Drop(f"after/{n}-{source.name}", source.read_bytes())
                reason_file = pipeline.folder / "failed" / f"{bomb.relative}.reason.json"
                drop(pipeline.inbox, bomb)
                found = _watch(
                    reason_file,
                    api,
                    f"/articles/{article.article_id}",
                    lambda article=article: drop(pipeline.inbox, article),  # type: ignore[misc]
                )
                reason = json.loads(reason_file.read_text()) if reason_file.is_file() else {}
                rows.append(
                    {
                        "mode": mode,
                        "limits": "wide open" if wide_open else "default",
                        "bomb": name,
                        "article_searchable_s": found["article"],
                        "bomb_in_failed_s": found["bomb"],
                        "reason": reason.get("error_type"),
                        "services_exited": (pipeline.folder / "newswire.out")
                        .read_text(errors="replace")
                        .count(" exited ("),
                    }
                )
        finally:
            api.close()
            pipeline.stop()
            pipeline.delete_server_state()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mode", choices=["embedded", "stack"], default="embedded")
    parser.add_argument("--limit", type=int, default=2225, help="BBC files for the isolation cost")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--skip-pipeline", action="store_true")
    args = parser.parse_args()

    cost = isolation_cost(documents(args.limit), args.rounds)
    print(
        f"isolation ({cost['documents']:.0f} documents, median of {args.rounds} rounds): "
        f"in process {cost['in_process_docs_per_s']:,.0f} docs/s, in the parser process "
        f"{cost['parser_process_docs_per_s']:,.0f} docs/s: +{cost['added_ms_per_document']:.2f} "
        f"ms per document = {cost['share_of_enrich_time']:.1%} of an enrich replica's time "
        f"at {ENRICH_ARTICLES_PER_S_PER_CORE:.0f} articles/s"
    )
    print("\n| limits | bomb | outcome | seconds to refuse |\n|---|---|---|---|")
    for row in refusal_times(ParseBudget()):
        print(f"| {row['limits']} | {row['bomb']} | {row['outcome']} | {row['seconds']:.2f} |")
    if args.skip_pipeline:
        return
    print(
        f"\nthrough newswire {'run' if args.mode == 'embedded' else 'up'}: a bomb, then a BBC "
        "article 2 s later\n"
        "| limits | bomb | article searchable after (s) | bomb in failed/ after (s) | reason "
        "| services exited |\n|---|---|---|---|---|---|"
    )
    for wide_open in (False, True):
        for row in through_the_pipeline(args.mode, wide_open):
            searchable, failed = row["article_searchable_s"], row["bomb_in_failed_s"]
            print(
                f"| {row['limits']} | {row['bomb']} | "
                f"{'never' if searchable is None else f'{searchable:.1f}'} | "
                f"{'never' if failed is None else f'{failed:.1f}'} | {row['reason']} | "
                f"{row['services_exited']} |"
            )


if __name__ == "__main__":
    main()
