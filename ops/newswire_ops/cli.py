"""The `newswire` command: one entry point, a sub-command per job.

This is the composition root: the only module that imports every service's commands (each
service also runs alone as `python -m newswire_<name>`, with its own sub-commands only).
"""

import sys
from collections.abc import Sequence

from newswire.command_line import run_command
from newswire_api import commands as api
from newswire_enrich import commands as enrich
from newswire_indexer import commands as indexer
from newswire_ingest import commands as ingest
from newswire_ops import backup, consume, kafka_acls, snapshots
from newswire_ops import commands as pipeline
from newswire_ops.dev_services import commands as dev_services

DESCRIPTION = "Event-driven news ingestion: a watched folder → event log → search index."


def main(argv: Sequence[str] | None = None) -> int:
    return run_command(
        "newswire",
        DESCRIPTION,
        [
            api.add_parsers,
            backup.add_parsers,
            consume.add_parsers,
            dev_services.add_parsers,
            enrich.add_parsers,
            indexer.add_parsers,
            ingest.add_parsers,
            kafka_acls.add_parsers,
            pipeline.add_parsers,
            snapshots.add_parsers,
        ],
        argv,
    )


if __name__ == "__main__":
    sys.exit(main())
