"""The `newswire` command: one entry point, a sub-command per job."""

import argparse
import sys
from collections.abc import Sequence

from newswire import __version__
from newswire.devservices import commands as dev_services


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="newswire", description="Event-driven news ingestion: folder → Kafka → Elasticsearch."
    )
    parser.add_argument("--version", action="version", version=f"newswire {__version__}")
    subcommands = parser.add_subparsers(title="commands", required=True, metavar="COMMAND")
    dev_services.add_parser(subcommands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    exit_code: int = args.handler(args)
    return exit_code


if __name__ == "__main__":
    sys.exit(main())
