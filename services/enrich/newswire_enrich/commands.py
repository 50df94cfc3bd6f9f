"""`newswire enrich` runs the service; `newswire parse FILE…` prints enriched JSON, no Kafka;
`newswire reenrich` replays the raw topic through enrich.

The handlers import the enrichment lazily: spaCy, trafilatura and dateparser take a second to
import, which every other `newswire` command would otherwise pay.
"""

import argparse
import logging
import sys
import threading
from collections.abc import Sequence
from pathlib import Path

from newswire.adapters.kafka_access import KafkaAccessError
from newswire.adapters.refusals import EXIT_REFUSED
from newswire.command_line import run_command
from newswire.service_process import expose_metrics, stop_on_signals
from newswire.settings import Settings

log = logging.getLogger(__name__)


def add_parsers(subcommands: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    enrich = subcommands.add_parser(
        "enrich",
        help="enrich articles.raw into articles.enriched (the enrich service)",
        description="Consume articles.raw in consumer group `enrich`, produce articles.enriched, "
        "send poison messages to articles.dlq. Runs until SIGTERM or SIGINT.",
    )
    enrich.set_defaults(handler=_serve)
    parse = subcommands.add_parser(
        "parse",
        help="print the enriched JSON of local article files (no Kafka)",
        description="Enrich local files exactly as the service would and print one JSON article "
        "per line (JSON Lines); files that cannot be enriched are reported on stderr.",
    )
    parse.add_argument("files", nargs="+", type=Path, metavar="FILE")
    parse.add_argument(
        "--inbox",
        type=Path,
        help="treat FILEs as dropped in this inbox folder, so that their sub-folder there gives "
        "the section when the document has none (default: no section hint)",
    )
    parse.add_argument("--pretty", action="store_true", help="indented JSON, one after another")
    parse.set_defaults(handler=_parse)
    reenrich = subcommands.add_parser(
        "reenrich",
        help="enrich every article of articles.raw again (after a model or parser change)",
        description="Replay articles.raw from its first message through enrich, in a consumer "
        "group of its own, into articles.enriched; the indexer replaces each article with its "
        "new enrichment. Stops once it has caught up; runs beside a live pipeline.",
    )
    reenrich.set_defaults(handler=_reenrich)


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m newswire_enrich`: the enrich commands alone."""
    return run_command("python -m newswire_enrich", __doc__ or "", [add_parsers], argv)


def _serve(args: argparse.Namespace) -> int:
    from newswire_enrich.app import run_enrich  # noqa: PLC0415 (see the module docstring)
    from newswire_enrich.documents import ReaderUnavailableError  # noqa: PLC0415
    from newswire_enrich.metrics import EnrichMetrics  # noqa: PLC0415

    settings = Settings()
    metrics = EnrichMetrics()
    expose_metrics(settings.enrich_metrics_port, metrics.registry)
    stop = threading.Event()
    stop_on_signals(stop.set)
    try:
        run_enrich(settings, stop, metrics)
    except KafkaAccessError as error:  # a wrong password, certificate or ACL: not retried
        log.error("%s", error)
        return EXIT_REFUSED
    except ReaderUnavailableError as error:  # restarted: the machine may have been too busy
        log.error("%s", error)
        return 1
    log.info("enrich stopped")
    return 0


def _parse(args: argparse.Namespace) -> int:
    from newswire_enrich.app import parse_files  # noqa: PLC0415 (see the module docstring)

    failures = 0
    for path, outcome in parse_files(Settings(), args.files, args.inbox):
        if isinstance(outcome, str):
            print(f"{path}: {outcome}", file=sys.stderr)
            failures += 1
        else:
            print(outcome.model_dump_json(indent=2 if args.pretty else None))
    return 1 if failures else 0


def _reenrich(args: argparse.Namespace) -> int:
    from newswire_enrich.reenrich import reenrich  # noqa: PLC0415 (see the module docstring)

    stop = threading.Event()
    stop_on_signals(stop.set)
    try:
        report = reenrich(Settings(), stop)
    except KafkaAccessError as error:
        log.error("%s", error)
        return EXIT_REFUSED
    done = "re-enriched" if report.caught_up else "stopped before catching up: re-enriched"
    print(
        f"{done} {report.messages} raw messages into {report.articles} articles "
        f"({report.dead_letters} dead letters) with {report.model} in {report.seconds:.1f} s "
        f"(consumer group {report.group_id})"
    )
    return 0 if report.caught_up else 1
