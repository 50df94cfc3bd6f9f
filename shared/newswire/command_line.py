"""What every Newswire command line shares: how logging is set up, and running a command made of
sub-commands.

Each service's `python -m newswire_<name>` runs its own sub-commands with `run_command`; the
`newswire` command (package `newswire_ops`) runs all of them the same way, so a service behaves
the same whichever way it was started.
"""

import argparse
import logging
import os
import re
from collections.abc import Callable, Sequence
from typing import TextIO

from newswire import __version__

AddParsers = Callable[["argparse._SubParsersAction[argparse.ArgumentParser]"], None]
"""Adds a package's sub-commands, each with a `handler(args) -> exit status` default."""


LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# C0 and C1 control characters and the Unicode line and paragraph separators: what could end a
# log line early or dress text up as a line of its own.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def escape_controls(text: str) -> str:
    """`text` with every control character written as an escape (`\\n`, `\\x1b`, `\\u2028`)."""
    return _CONTROL.sub(
        lambda match: (
            _NAMED.get(match[0])
            or (f"\\x{ord(match[0]):02x}" if ord(match[0]) < 0x100 else f"\\u{ord(match[0]):04x}")
        ),
        text,
    )


class OneLineFormatter(logging.Formatter):
    """Every event's message on one line: control characters in it (a file name with a newline,
    an article's text) are escaped, so nothing a user drops can forge a line of the log. A
    traceback, which only the code writes, keeps its lines."""

    def formatMessage(self, record: logging.LogRecord) -> str:  # noqa: N802 (logging's name)
        record.message = escape_controls(record.message)
        return super().formatMessage(record)


def configure_logging(stream: TextIO | None = None) -> None:
    """One line per event on stderr (or `stream`), at NEWSWIRE_LOG_LEVEL (default INFO)."""
    # LOG_FORMAT names no process, thread or multiprocessing name: not looking them up spares
    # each event a system call and two lookups (ingest logs every file).
    logging.logProcesses = logging.logThreads = logging.logMultiprocessing = False
    handler = logging.StreamHandler(stream)
    handler.setFormatter(OneLineFormatter(LOG_FORMAT))
    logging.basicConfig(
        level=os.environ.get("NEWSWIRE_LOG_LEVEL", "INFO").upper(), handlers=[handler]
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
