"""The `newswire` command: one entry point, a sub-command per job."""

import argparse
import logging
import os
import sys
from collections.abc import Sequence

from newswire import __version__, stack
from newswire.devservices import commands as dev_services
from newswire_api import commands as api
from newswire_enrich import commands as enrich
from newswire_indexer import app as indexer
from newswire_ingest import app as ingest


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="newswire", description="Event-driven news ingestion: folder → Kafka → Elasticsearch."
    )
    parser.add_argument("--version", action="version", version=f"newswire {__version__}")
    subcommands = parser.add_subparsers(title="commands", required=True, metavar="COMMAND")
    api.add_parsers(subcommands)
    dev_services.add_parser(subcommands)
    enrich.add_parsers(subcommands)
    indexer.add_parsers(subcommands)
    ingest.add_parser(subcommands)
    stack.add_parsers(subcommands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=os.environ.get("NEWSWIRE_LOG_LEVEL", "INFO").upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    # kafka-python logs every connection at INFO, which buries the services' own lines.
    logging.getLogger("kafka").setLevel(max(logging.WARNING, logging.getLogger().level))
    exit_code: int = args.handler(args)
    return exit_code


if __name__ == "__main__":
    sys.exit(main())
