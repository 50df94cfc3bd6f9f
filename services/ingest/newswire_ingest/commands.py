"""`newswire ingest` watches the inbox until SIGTERM/SIGINT; `newswire ingest --once` takes the
files there now and exits. Exit status 1 when the event log was unreachable or left files
unacknowledged (they stay in the inbox), or the folders can't be used; 78 when Kafka refused it
(credentials, certificates, ACLs: `newswire.adapters.refusals`).
"""

import argparse
import logging
from collections.abc import Sequence

from newswire.adapters.kafka_access import KafkaAccessError
from newswire.adapters.refusals import EXIT_REFUSED
from newswire.command_line import run_command
from newswire.event_log import EventLogError
from newswire.service_process import expose_metrics, stop_on_signals
from newswire.settings import Settings
from newswire_ingest.app import ingest_service
from newswire_ingest.inbox import InboxSetupError

log = logging.getLogger(__name__)


def add_parsers(subcommands: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    parser = subcommands.add_parser(
        "ingest",
        help="publish the files dropped in the inbox to articles.raw",
        description="Watch the inbox (NEWSWIRE_INGEST_INBOX) and publish each complete file to "
        "the raw topic. Once the log acknowledged it, a file moves to the processed folder (or is "
        "deleted); a file that can't be taken moves to the failed folder with a reason, and a "
        "dead letter goes to the dead-letter topic. Exit status 1 when the event log was "
        "unreachable or left files unacknowledged (they stay in the inbox), or the folders "
        "can't be used.",
    )
    parser.add_argument(
        "--once", action="store_true", help="take the files in the inbox now, then exit"
    )
    parser.set_defaults(handler=_ingest)


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m newswire_ingest`: the `ingest` command alone."""
    return run_command("python -m newswire_ingest", __doc__ or "", [add_parsers], argv)


def _ingest(args: argparse.Namespace) -> int:
    settings = Settings()
    # watchfiles logs every group of events at INFO, which would bury the one line per file.
    logging.getLogger("watchfiles").setLevel(logging.WARNING)
    refusals: list[str] = []
    try:
        with ingest_service(settings, watch=not args.once, refusals=refusals) as service:
            expose_metrics(settings.ingest_metrics_port, service.metrics.registry)
            stop_on_signals(service.stop)
            all_acknowledged = service.run(once=args.once)
    except KafkaAccessError as error:
        log.error("%s", error)
        return EXIT_REFUSED
    except (InboxSetupError, EventLogError) as error:
        log.error("%s", error)
        return 1
    if refusals:
        return EXIT_REFUSED
    log.info("ingest stopped%s", "" if all_acknowledged else "; some files stay in the inbox")
    return 0 if all_acknowledged else 1
