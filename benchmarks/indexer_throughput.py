"""Indexer throughput: docs/s from a pre-filled `articles.enriched` topic into Elasticsearch.

Three contenders over the same documents and batch size, in one run:
  floor  elasticsearch.helpers.streaming_bulk over the documents in memory (no Kafka): what the
         Python client alone does;
  ours   `python -m newswire_indexer` consuming the topic (a subprocess); and again with
         NEWSWIRE_INDEXER_REFRESH_WHEN_QUIET=false, so the cost of the refreshes it asks for
         after batches that are not full (the quiet-stream freshness of issue 18) is measured
         at full load, side by side;
  peer   quix-streams' ElasticsearchSink consuming the same topic (benchmarks/quix_indexer_peer.py,
         in .venv-peers made by benchmarks/peer-venv.sh).
Documents are the BBC corpus as enriched articles (benchmarks/corpus.py), repeated up to --docs as
distinct stories with distinct contents (so none is an exact duplicate of another). Each contender
writes a fresh index with the current mapping, deleted when it is done: the floor and the peer one
document per article, ours what the service writes (a story document, a claims document and a
listing per article, the story and claims compare-and-set after one realtime `mget` of both: see
newswire_indexer.bulk), so the floor is the cost of plain writes;
the floor's documents carry the index-only derived fields, computed before timing
(ours derives them from each consumed message, as the service does). The consumers' progress is
read from their group's committed offsets (both commit only after
Elasticsearch acknowledged the bulk), so measuring does not load Elasticsearch with refreshes; the
document count is checked once at the end. "steady" is the rate from the first commit to the last
(start-up and group join excluded); "overall" includes them. Peak RSS is the consumer's VmHWM.
Contenders run in a rotating order over --rounds; the table gives each one's median.

    python benchmarks/indexer_throughput.py [--docs 30000] [--batch 500] [--rounds 3] [--json PATH]

`--json` also writes each contender's median figures and every round there.
"""

import argparse
import hashlib
import json
import os
import signal
import statistics
import subprocess
import sys
import time
import uuid
from dataclasses import asdict, dataclass
from pathlib import Path

from elasticsearch.helpers import streaming_bulk

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from kafka import KafkaAdminClient  # noqa: E402
from kafka.errors import KafkaError  # noqa: E402

from benchmarks._measure import peak_rss_mib  # noqa: E402
from benchmarks.corpus import enriched_bbc_articles  # noqa: E402
from newswire.adapters.elasticsearch import create_client  # noqa: E402
from newswire.adapters.kafka import (  # noqa: E402
    create_producer,
    ensure_topics,
    new_admin,
)
from newswire.article_index import (  # noqa: E402
    DEFAULT_MAPPING,
    LISTING,
    MAPPINGS,
    index_definition,
    index_document,
)
from newswire.enriched import story_id  # noqa: E402
from newswire.settings import Settings  # noqa: E402

Documents = list[tuple[bytes, bytes]]


@dataclass(frozen=True)
class Result:
    overall_docs_per_s: float
    steady_docs_per_s: float
    peak_rss_mib: float | None


def build_documents(shared_dir: Path, count: int) -> Documents:
    articles = list(enriched_bbc_articles(shared_dir))
    documents = []
    for n in range(count):
        article = articles[n % len(articles)]
        copy = n // len(articles)
        key = f"{article.story_key}#copy-{copy}"
        content = hashlib.sha256(f"{article.content_sha256}:{copy}".encode()).hexdigest()
        value = article.model_copy(
            update={"id": story_id(key), "story_key": key, "content_sha256": content}
        )
        documents.append((value.id.encode(), value.model_dump_json().encode()))
    return documents


def _check_count(settings: Settings, index: str, expected: int, *, listings: bool) -> None:
    """`expected` documents in `index` (`listings`: counting only the searchable listings, as
    the service writes a story document beside each)."""
    client = create_client(settings)
    client.indices.refresh(index=f"{index}*")  # ours: `<index>-000001`, `<index>-stories`
    query = {"exists": {"field": LISTING}} if listings else {"match_all": {}}
    indexed = int(client.count(index=f"{index}*", query=query)["count"])
    client.indices.delete(index=f"{index}*")
    client.close()
    if indexed != expected:
        raise RuntimeError(f"{index}: {indexed} documents, expected {expected}")


def run_floor(settings: Settings, documents: Documents, index: str, batch: int) -> Result:
    client = create_client(settings)
    client.indices.create(index=index, **index_definition())
    actions = [
        {"_index": index, "_id": key.decode(), "_source": index_document(json.loads(value))}
        for key, value in documents
    ]
    started = time.monotonic()
    for ok, item in streaming_bulk(client, actions, chunk_size=batch, max_chunk_bytes=5_000_000):
        if not ok:
            raise RuntimeError(f"floor: document refused: {item}")
    rate = len(documents) / (time.monotonic() - started)
    client.close()
    _check_count(settings, index, len(documents), listings=False)
    return Result(rate, rate, None)


def _committed(admin: KafkaAdminClient, group: str) -> int:
    try:
        offsets = admin.list_group_offsets({group: None}).get(group, {})
    except KafkaError:  # a new cluster makes its offsets topic at the first group: not yet
        return 0
    return sum(max(0, meta.offset) for meta in offsets.values())


def run_consumer(
    command: list[str],
    env: dict[str, str],
    settings: Settings,
    *,
    group: str,
    expected: int,
    listings: bool,
) -> Result:
    """Run a consumer until its group committed `expected` messages; its index is named `group`."""
    index = group
    admin = new_admin(settings)
    started = time.monotonic()
    process = subprocess.Popen(
        command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    first_seen_at, first_count = 0.0, 0
    try:
        while (count := _committed(admin, group)) < expected:
            if process.poll() is not None:
                raise RuntimeError(f"{command} exited early with {process.returncode}")
            if count and not first_count:
                first_seen_at, first_count = time.monotonic(), count
            if time.monotonic() - started > 600:
                raise TimeoutError(f"{command} did not index {expected} documents in 600 s")
            time.sleep(0.02)
        finished = time.monotonic()
        rss = peak_rss_mib(process.pid)
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
        admin.close()
    _check_count(settings, index, expected, listings=listings)
    if not first_count:  # everything arrived in the first commit
        first_seen_at, first_count = started, 0
    steady = (expected - first_count) / max(finished - first_seen_at, 1e-9)
    return Result(expected / (finished - started), steady, rss)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--docs", type=int, default=30_000)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--shared-dir",
        type=Path,
        default=Path(os.environ.get("NEWSWIRE_SHARED_DIR", REPO.parent / "shared")),
    )
    parser.add_argument("--peer-python", type=Path, default=REPO / ".venv-peers" / "bin" / "python")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()

    run = uuid.uuid4().hex[:8]
    settings = Settings(enriched_topic=f"bench.enriched.{run}", dlq_topic=f"bench.dlq.{run}")
    documents = build_documents(args.shared_dir, args.docs)
    ensure_topics(settings, [settings.enriched_topic, settings.dlq_topic])
    producer = create_producer(settings, client_id="bench-fill")
    for key, value in documents:
        producer.send(settings.enriched_topic, key=key, value=value)
    producer.flush()
    producer.close()
    payload_mib = sum(len(v) for _, v in documents) / 2**20
    print(
        f"{len(documents)} documents ({payload_mib:.1f} MiB) in {settings.enriched_topic} "
        f"({settings.topic_partitions} partitions); batch {args.batch}; {args.rounds} rounds",
        flush=True,
    )

    def floor(tag: str) -> Result:
        return run_floor(settings, documents, f"bench-floor-{tag}", args.batch)

    def ours(tag: str, refresh_when_quiet: bool = True) -> Result:
        env = {
            **os.environ,
            "KAFKA_BOOTSTRAP_SERVERS": settings.kafka_bootstrap_servers,
            "ELASTICSEARCH_URL": settings.elasticsearch_url,
            "NEWSWIRE_ENRICHED_TOPIC": settings.enriched_topic,
            "NEWSWIRE_DLQ_TOPIC": settings.dlq_topic,
            "NEWSWIRE_INDEX_NAME": f"bench-ours-{tag}",
            "NEWSWIRE_INDEX_ALIAS": f"bench-ours-{tag}-alias",
            "NEWSWIRE_INDEXER_GROUP_ID": f"bench-ours-{tag}",
            "NEWSWIRE_INDEXER_BATCH_MAX_DOCS": str(args.batch),
            "NEWSWIRE_INDEXER_METRICS_PORT": "0",
            "NEWSWIRE_LOG_LEVEL": "WARNING",
            "NEWSWIRE_INDEXER_REFRESH_WHEN_QUIET": str(refresh_when_quiet).lower(),
        }
        command = [sys.executable, "-m", "newswire_indexer"]
        return run_consumer(
            command,
            env,
            settings,
            group=f"bench-ours-{tag}",
            expected=len(documents),
            listings=True,
        )

    def peer(tag: str) -> Result:
        command = [
            str(args.peer_python),
            str(REPO / "benchmarks" / "quix_indexer_peer.py"),
            *("--broker", settings.kafka_bootstrap_servers),
            *("--elasticsearch", settings.elasticsearch_url),
            *("--topic", settings.enriched_topic),
            *("--index", f"bench-peer-{tag}", "--group", f"bench-peer-{tag}"),
            *("--mapping-file", str(MAPPINGS / DEFAULT_MAPPING), "--batch", str(args.batch)),
        ]
        env = dict(os.environ)
        return run_consumer(
            command,
            env,
            settings,
            group=f"bench-peer-{tag}",
            expected=len(documents),
            listings=False,
        )

    contenders = {
        FLOOR: floor,
        OURS: ours,
        OURS_NO_REFRESH: lambda tag: ours(f"{tag}-no-refresh", refresh_when_quiet=False),
        PEER: peer,
    }
    if not args.peer_python.exists():
        print(f"peer skipped: {args.peer_python} missing (run benchmarks/peer-venv.sh)")
        del contenders[PEER]
    names = list(contenders)
    results: dict[str, list[Result]] = {name: [] for name in names}
    for round_number in range(args.rounds):
        order = names[round_number % len(names) :] + names[: round_number % len(names)]
        for name in order:
            result = contenders[name](f"{run}-{round_number}")
            results[name].append(result)
            print(f"  round {round_number + 1} {name}: {result.steady_docs_per_s:.0f} docs/s")

    median = {
        name: Result(
            statistics.median(r.overall_docs_per_s for r in runs),
            statistics.median(r.steady_docs_per_s for r in runs),
            max((r.peak_rss_mib for r in runs if r.peak_rss_mib), default=None),
        )
        for name, runs in results.items()
    }
    print_medians(median, names)
    if args.json:
        write_json(args.json, len(documents), args.batch, median, results)
    return 0


def print_medians(median: dict[str, Result], names: list[str]) -> None:
    print()
    print(f"{'contender (median)':48} {'overall docs/s':>15} {'steady docs/s':>14} {'RSS MiB':>8}")
    for name, result in median.items():
        rss = f"{result.peak_rss_mib:.0f}" if result.peak_rss_mib else "-"
        overall, steady = result.overall_docs_per_s, result.steady_docs_per_s
        print(f"{name:48} {overall:15.0f} {steady:14.0f} {rss:>8}")
    ours_result = median[OURS]
    print()
    ratio = ours_result.steady_docs_per_s / median[FLOOR].steady_docs_per_s
    print(f"ours / floor (steady): {ratio:.2f}  (target >= 0.8, issue 29)")
    ratio = ours_result.steady_docs_per_s / median[OURS_NO_REFRESH].steady_docs_per_s
    print(f"ours / ours without quiet-batch refreshes (steady): {ratio:.2f}  (target >= 0.9)")
    if PEER in median:
        peer_result = median[PEER]
        ratio = ours_result.steady_docs_per_s / peer_result.steady_docs_per_s
        print(f"ours / peer (steady):  {ratio:.2f}  (target >= 1.5)")
        ratio = ours_result.overall_docs_per_s / peer_result.overall_docs_per_s
        print(f"ours / peer (overall): {ratio:.2f}")


FLOOR = "floor: streaming_bulk (no Kafka)"
OURS = "ours: newswire indexer"
OURS_NO_REFRESH = "ours, no refresh after quiet batches"
PEER = "peer: quix-streams ElasticsearchSink"
ROLES = {FLOOR: "floor", OURS: "ours", OURS_NO_REFRESH: "ours_no_quiet_refresh", PEER: "peer"}


def write_json(
    path: Path,
    documents: int,
    batch: int,
    median: dict[str, Result],
    rounds: dict[str, list[Result]],
) -> None:
    """Figures by role (floor, ours, peer; no peer when it was skipped)."""
    figures = {
        "docs": documents,
        "batch": batch,
        "cpus": os.cpu_count(),
        "load_average": os.getloadavg()[0],
        "median": {ROLES[name]: asdict(result) | {"name": name} for name, result in median.items()},
        "rounds": {ROLES[name]: [asdict(run) for run in runs] for name, runs in rounds.items()},
    }
    path.write_text(json.dumps(figures, indent=2) + "\n")


if __name__ == "__main__":
    sys.exit(main())
