"""What every Newswire command line shares: how logging is set up, and running a command made of
sub-commands.

Each service's `python -m newswire_<name>` runs its own sub-commands with `run_command`; the
`newswire` command (package `newswire_ops`) runs all of them the same way, so a service behaves
the same whichever way it was started.
"""

import argparse
import logging
import os
from collections.abc import Callable, Sequence

from newswire import __version__

AddParsers = Callable[["argparse._SubParsersAction[argparse.ArgumentParser]"], None]
"""Adds a package's sub-commands, each with a `handler(args) -> exit status` default."""


def configure_logging() -> None:
    """One line per event on stderr, at NEWSWIRE_LOG_LEVEL (default INFO)."""
    logging.basicConfig(
        level=os.environ.get("NEWSWIRE_LOG_LEVEL", "INFO").upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    # kafka-python logs every connection at INFO, which buries the services' own lines.
    logging.getLogger("kafka").setLevel(max(logging.WARNING, logging.getLogger().level))


def build_parser(
    prog: str, description: str, add_parsers: Sequence[AddParsers]
) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=prog, description=description)
    parser.add_argument("--version", action="version", version=f"newswire {__version__}")
    subcommands = parser.add_subparsers(title="commands", required=True, metavar="COMMAND")
    for add in add_parsers:
        add(subcommands)
    return parser


def run_command(
    prog: str,
    description: str,
    add_parsers: Sequence[AddParsers],
    argv: Sequence[str] | None = None,
) -> int:
    """Parse `argv` (default: the process's arguments), set up logging, run the chosen
    sub-command's handler and return its exit status."""
    args = build_parser(prog, description, add_parsers).parse_args(argv)
    configure_logging()
    exit_code: int = args.handler(args)
    return exit_code
