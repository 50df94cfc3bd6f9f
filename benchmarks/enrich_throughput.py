"""Enrich throughput in articles/s on the BBC corpus, beside the bare `nlp.pipe` floor.

Three contenders over the same 2,225 articles, one after the other in one run, each with 1 and
then 2 worker processes:
  floor    bare `nlp.pipe` of the NER-only pipeline over exactly the texts the service gives NER
           (title, standfirst, caption, body joined), grouped like the service's poll batches
           and with its `nlp.pipe` batch size; texts prepared beforehand, no parsing, no Kafka:
           what the model alone can do;
  enrich   `ArticleEnricher.enrich` over the raw articles in the same batches (parsing, metadata,
           language, NER, alias merging, JSON), no Kafka;
  service  W replicas of `python -m newswire_enrich` in one consumer group on a fresh raw topic
           of 4 partitions (two each with W=2). The replicas first load the model and join the
           group; the clock starts when the raw messages start being produced and stops at the
           broker timestamp of the last enriched message, so Kafka is included and model loading
           and group joining are not. Its topics and group are deleted afterwards.
           (enrich_scaling.py runs this contender over replica and partition counts.)
With W workers, the floor and enrich processes each take every W-th batch, start together on a
barrier and are timed until the last finishes. Peak RSS is each worker's VmHWM.

    python benchmarks/enrich_throughput.py [--workers 1 2] [--limit N] [--batch 64] [--ner-batch 16]
        [--json PATH]

`--json` also writes every contender's figures there (articles/s, ratio to the floor with the same
worker count, peak RSS per worker).
"""

import argparse
import json
import multiprocessing
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass
from multiprocessing.synchronize import Barrier
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from benchmarks._measure import peak_rss_mib  # noqa: E402
from benchmarks.corpus import SHARED_DIR  # noqa: E402
from newswire.adapters.kafka import (  # noqa: E402
    create_producer,
    ensure_topics,
    new_admin,
    new_consumer,
)
from newswire.messages import RawArticle  # noqa: E402
from newswire.settings import Settings  # noqa: E402
from newswire_enrich.analysed_text import AnalysedText  # noqa: E402
from newswire_enrich.article import ParsedArticle  # noqa: E402
from newswire_enrich.enrichment import ArticleEnricher  # noqa: E402
from newswire_enrich.formats import detect_format  # noqa: E402
from newswire_enrich.language import language_identifier  # noqa: E402
from newswire_enrich.local_files import raw_article_from_file  # noqa: E402
from newswire_enrich.parsers import parse_document  # noqa: E402
from newswire_enrich.pipeline import NerPipeline  # noqa: E402

SERVICE_PARTITIONS = 4


@dataclass
class Result:
    name: str
    workers: int
    articles_per_s: float
    peak_rss_mib: list[float]
    model: str = ""


def bbc_raw_articles(shared_dir: Path, limit: int | None) -> list[RawArticle]:
    inbox = shared_dir / "corpora" / "bbc"
    paths = sorted(inbox.glob("*/*.txt"))[:limit]
    return [raw_article_from_file(path, inbox) for path in paths]


def ner_texts(raws: list[RawArticle]) -> list[str]:
    """What the service hands to NER for each article."""
    texts = []
    for raw in raws:
        article_format = detect_format(raw.file_name, raw.media_type, raw.content)
        for item in parse_document(article_format, raw.content):
            if isinstance(item, ParsedArticle):
                texts.append(AnalysedText(item).text)
    return texts


def _own_peak_rss_mib() -> float:
    return peak_rss_mib(os.getpid()) or 0.0


def _floor_worker(
    model: str,
    batches: list[list[str]],
    ner_batch: int,
    start: Barrier,
    results: "multiprocessing.Queue[Any]",
) -> None:
    nlp = NerPipeline.load(model).nlp
    start.wait()
    for batch in batches:
        for doc in nlp.pipe(batch, batch_size=ner_batch):
            [(entity.label_, entity.start_char, entity.end_char) for entity in doc.ents]
    results.put((time.time(), _own_peak_rss_mib()))


def _enrich_worker(
    model: str,
    batches: list[list[RawArticle]],
    ner_batch: int,
    start: Barrier,
    results: "multiprocessing.Queue[Any]",
) -> None:
    enricher = ArticleEnricher(
        NerPipeline.load(model), words_per_minute=230, ner_batch_size=ner_batch
    )
    language_identifier()
    start.wait()
    for batch in batches:
        for enrichment in enricher.enrich(batch):
            assert not enrichment.rejections
            for article in enrichment.articles:
                article.model_dump_json()
    results.put((time.time(), _own_peak_rss_mib()))


def run_in_processes(
    name: str,
    worker: Callable[..., None],
    items: list[Any],
    *,
    model: str,
    batch_size: int,
    ner_batch: int,
    workers: int,
) -> Result:
    context = multiprocessing.get_context("spawn")
    batches = [items[i : i + batch_size] for i in range(0, len(items), batch_size)]
    start = context.Barrier(workers + 1)
    results: multiprocessing.Queue[Any] = context.Queue()
    processes = [
        context.Process(target=worker, args=(model, batches[n::workers], ner_batch, start, results))
        for n in range(workers)
    ]
    for process in processes:
        process.start()
    start.wait()
    started = time.time()
    finished = [results.get(timeout=1800) for _ in processes]
    for process in processes:
        process.join()
    elapsed = max(end for end, _ in finished) - started
    return Result(name, workers, len(items) / elapsed, [rss for _, rss in finished])


def run_service(
    settings: Settings,
    raws: list[RawArticle],
    workers: int,
    batch: int,
    ner_batch: int,
    *,
    model: str,
    partitions: int = SERVICE_PARTITIONS,
) -> Result:
    """`workers` replicas on a fresh raw topic of `partitions` partitions (enrich_scaling.py
    varies both)."""
    run = uuid.uuid4().hex[:8]
    topics = {
        "NEWSWIRE_RAW_TOPIC": f"bench.enrich.{run}.raw",
        "NEWSWIRE_ENRICHED_TOPIC": f"bench.enrich.{run}.enriched",
        "NEWSWIRE_DLQ_TOPIC": f"bench.enrich.{run}.dlq",
    }
    group = f"bench-enrich-{run}"
    settings = settings.model_copy(
        update={
            "raw_topic": topics["NEWSWIRE_RAW_TOPIC"],
            "enriched_topic": topics["NEWSWIRE_ENRICHED_TOPIC"],
            "dlq_topic": topics["NEWSWIRE_DLQ_TOPIC"],
            "topic_partitions": partitions,
        }
    )
    ensure_topics(settings, topics.values())
    env = {
        **os.environ,
        **topics,
        "NEWSWIRE_ENRICH_GROUP_ID": group,
        "NEWSWIRE_ENRICH_BATCH_SIZE": str(batch),
        "NEWSWIRE_ENRICH_NER_BATCH_SIZE": str(ner_batch),
        "NEWSWIRE_ENRICH_SPACY_MODEL": model,
        "NEWSWIRE_TOPIC_PARTITIONS": str(partitions),
        "KAFKA_BOOTSTRAP_SERVERS": settings.kafka_bootstrap_servers,
        "NEWSWIRE_LOG_LEVEL": "WARNING",
        "NEWSWIRE_ENRICH_METRICS_PORT": "0",  # replicas on one host would fight for the port
    }
    replicas = [
        subprocess.Popen([sys.executable, "-m", "newswire_enrich"], env=env) for _ in range(workers)
    ]
    try:
        wait_for_members(settings, group, workers)
        started_ms = time.time() * 1000
        producer = create_producer(settings, client_id="bench-ingest")
        for raw in raws:
            producer.send(
                settings.raw_topic, key=raw.id.encode(), value=raw.model_dump_json().encode()
            )
        producer.flush()
        producer.close()
        last_ms = last_timestamp_ms(settings, expected=len(raws))
        rss = [peak_rss_mib(replica.pid) or 0.0 for replica in replicas]
    finally:
        for replica in replicas:
            replica.terminate()
        for replica in replicas:
            replica.wait(timeout=60)
        delete_run_state(settings, list(topics.values()), group)
    return Result("service (Kafka)", workers, len(raws) / ((last_ms - started_ms) / 1000), rss)


def delete_run_state(settings: Settings, topics: list[str], group: str) -> None:
    """The run's topics and consumer group: a scaling run makes a dozen of each."""
    admin = new_admin(settings)
    try:
        admin.delete_topics(topics)
        admin.delete_groups([group])
    except Exception as error:  # cleaning up: report, never mask the result
        print(f"could not delete the run's topics or group: {error!r}", file=sys.stderr)
    finally:
        admin.close()


def wait_for_members(settings: Settings, group: str, count: int, timeout_s: float = 300) -> None:
    admin = new_admin(settings)
    deadline = time.monotonic() + timeout_s
    try:
        while time.monotonic() < deadline:
            described = admin.describe_groups([group])[group]
            members = described["members"]
            assigned = [isinstance(m["member_assignment"], dict) for m in members]
            if described["group_state"] == "Stable" and len(members) == count and all(assigned):
                return
            time.sleep(0.5)
    finally:
        admin.close()
    raise TimeoutError(f"{count} replicas did not join group {group} in {timeout_s:.0f}s")


def last_timestamp_ms(settings: Settings, expected: int, timeout_s: float = 1800) -> float:
    consumer = new_consumer(
        settings,
        settings.enriched_topic,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    received = 0
    last = 0.0
    deadline = time.monotonic() + timeout_s
    try:
        while received < expected:
            if time.monotonic() > deadline:
                raise TimeoutError(f"only {received} of {expected} articles enriched")
            for records in consumer.poll(timeout_ms=1000).values():
                received += len(records)
                last = max([last, *(float(record.timestamp) for record in records)])
    finally:
        consumer.close()
    return last


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--shared", type=Path, default=SHARED_DIR)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--limit", type=int, help="first N articles only")
    parser.add_argument("--batch", type=int, default=Settings().enrich_batch_size)
    parser.add_argument("--ner-batch", type=int, default=Settings().enrich_ner_batch_size)
    parser.add_argument(
        "--model",
        nargs="+",
        default=[Settings().enrich_spacy_model],
        help="one or more models, measured one after the other in this run (side by side)",
    )
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()

    raws = bbc_raw_articles(args.shared, args.limit)
    texts = ner_texts(raws)
    print(
        f"BBC corpus: {len(raws)} articles, "
        f"{sum(map(len, texts)) / 1e6:.1f} M characters to NER; poll batch {args.batch}, "
        f"nlp.pipe batch {args.ner_batch}; "
        f"{os.cpu_count()} CPUs; models {', '.join(args.model)} (NER only)",
        flush=True,
    )
    results: list[tuple[Result, float]] = []
    for model in args.model:
        for workers in args.workers:
            options = {
                "model": model,
                "batch_size": args.batch,
                "ner_batch": args.ner_batch,
                "workers": workers,
            }
            floor = run_in_processes("floor: bare nlp.pipe", _floor_worker, texts, **options)
            enrich = run_in_processes("enrich (no Kafka)", _enrich_worker, raws, **options)
            service = run_service(
                Settings(), raws, workers, args.batch, args.ner_batch, model=model
            )
            for result in (floor, enrich, service):
                result.model = model
                ratio = result.articles_per_s / floor.articles_per_s
                results.append((result, ratio))
                rss = ", ".join(f"{mib:.0f}" for mib in result.peak_rss_mib)
                print(
                    f"{model}  {result.workers} worker(s)  {result.name:<22} "
                    f"{result.articles_per_s:7.1f} articles/s  {ratio:5.2f}x floor  "
                    f"peak RSS per worker {rss} MiB",
                    flush=True,
                )
    print_model_ratios(args.model, [result for result, _ in results])
    if args.json:
        write_json(args.json, len(raws), args, results)


def print_model_ratios(models: list[str], results: list[Result]) -> None:
    """Each later model's articles/s over the first model's, contender by contender."""
    first = {(r.name, r.workers): r.articles_per_s for r in results if r.model == models[0]}
    for model in models[1:]:
        for result in (r for r in results if r.model == model):
            base = first[result.name, result.workers]
            print(
                f"{model} / {models[0]}  {result.workers} worker(s)  {result.name:<22} "
                f"{result.articles_per_s / base:5.2f}x"
            )


def write_json(
    path: Path, articles: int, args: argparse.Namespace, results: list[tuple[Result, float]]
) -> None:
    figures = {
        "articles": articles,
        "batch": args.batch,
        "ner_batch": args.ner_batch,
        "models": args.model,
        "cpus": os.cpu_count(),
        "load_average": os.getloadavg()[0],
        "results": [asdict(result) | {"to_floor": ratio} for result, ratio in results],
    }
    path.write_text(json.dumps(figures, indent=2) + "\n")


if __name__ == "__main__":
    main()
