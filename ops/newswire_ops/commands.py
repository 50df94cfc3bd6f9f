"""`newswire run`, `newswire up` and `newswire status`: the whole pipeline on one machine,
supervised.

`run` needs nothing but Python: the services talk through the embedded event log and index into
the embedded search index, both in the data directory (unless KAFKA_BOOTSTRAP_SERVERS /
ELASTICSEARCH_URL name a broker or cluster: switching is only configuration). `up` is the same
on Kafka and Elasticsearch: it makes sure they are there (the local dev-services, unless those
variables name other ones). Both start the four services as child processes with their logs in
one folder, restart one that dies, print a status line, and on Ctrl-C / SIGTERM stop them all
(each flushes and commits on SIGTERM). `status` prints the same status line once, from another
terminal, with a line for each of Kafka and Elasticsearch that this configuration cannot use
(why, and which setting fixes it). On Kafka, `run` and `up` first print a WARNING line for each
cluster setting that can lose acknowledged messages (`newswire.adapters.kafka_durability`).
"""

import argparse
import logging
import os
import sys
import threading
from pathlib import Path

from elastic_transport import TransportError
from elasticsearch import ApiError

from newswire.adapters.elasticsearch import access_problem
from newswire.adapters.kafka_durability import read_durability_warnings
from newswire.backends import open_event_log
from newswire.event_log import EventLogError
from newswire.service_process import stop_on_signals
from newswire.settings import DevServicesSettings, Settings
from newswire_ops.connections import connection_problems
from newswire_ops.dev_services.commands import running_servers, selected_servers
from newswire_ops.file_status import file_status, open_article_lookup, status_settings
from newswire_ops.status_line import status_line
from newswire_ops.supervisor import Supervisor

log = logging.getLogger(__name__)


def add_parsers(subcommands: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    run = subcommands.add_parser(
        "run",
        help="run the whole pipeline here on embedded parts (nothing to install)",
        description=__doc__,
    )
    run.add_argument("--log-dir", type=Path, default=Path("logs"), help="default ./logs")
    run.set_defaults(handler=_run)
    up = subcommands.add_parser(
        "up", help="run the whole pipeline here (Kafka and Elasticsearch too)", description=__doc__
    )
    up.add_argument("--log-dir", type=Path, default=Path("logs"), help="default ./logs")
    up.set_defaults(handler=_up)
    status = subcommands.add_parser(
        "status",
        help="one status line of a running pipeline, or where dropped files are",
        description="Without FILE: the pipeline's status line. With FILE (a path relative to "
        "the inbox, or into the inbox, processed or failed folder): where each file is — "
        "waiting, published, enriched, indexed (with its article ids) or failed (with the "
        "reason). Exit status 1 when a file is found nowhere.",
    )
    status.add_argument("files", nargs="*", metavar="FILE")
    status.set_defaults(handler=_status)


def _servers_needed(settings: Settings) -> set[str]:
    """The local servers to start: those the environment does not point elsewhere."""
    configured = settings.model_fields_set
    return {
        name
        for name, field_name in (
            ("kafka", "kafka_bootstrap_servers"),
            ("elasticsearch", "elasticsearch_url"),
        )
        if field_name not in configured
    }


def _up(args: argparse.Namespace) -> int:
    settings = Settings()
    dev_settings = DevServicesSettings()
    for server in running_servers(None, dev_settings):
        if server.name in _servers_needed(settings) and server.secure:
            print(
                f"newswire up: the secured {server.name} of {dev_settings.home} runs: "
                'eval "$(newswire dev-services env)" first, so the services connect to it',
                file=sys.stderr,
            )
            return 1
    for server in selected_servers(None, dev_settings):
        if server.name in _servers_needed(settings):
            print(server.up().describe())
    # The children must use what `up` just made sure of, whatever `auto` would choose.
    env = {**os.environ, "NEWSWIRE_EVENT_LOG": "kafka", "NEWSWIRE_SEARCH_INDEX": "elasticsearch"}
    _warn_about_durability(settings)
    _supervise(settings, args.log_dir, env)
    return 0


def _run(args: argparse.Namespace) -> int:
    settings = Settings()
    log_place = "Kafka" if settings.uses_kafka() else "embedded log"
    index_place = "Elasticsearch" if settings.uses_elasticsearch() else "embedded index"
    if not (settings.uses_kafka() and settings.uses_elasticsearch()):
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        print(f"state: {settings.data_dir.resolve()} ({log_place}, {index_place})")
    if settings.uses_kafka():
        _warn_about_durability(settings)
    _supervise(settings, args.log_dir, dict(os.environ))
    return 0


def _warn_about_durability(settings: Settings) -> None:
    """One WARNING line per Kafka setting that can lose acknowledged messages; the pipeline
    starts all the same (the operator decides)."""
    for warning in read_durability_warnings(settings):
        log.warning("%s", warning)


def _supervise(settings: Settings, log_dir: Path, env: dict[str, str]) -> None:
    settings.ingest_inbox.mkdir(parents=True, exist_ok=True)
    print(f"drop article files into {settings.ingest_inbox.resolve()}")
    print(f"search page: http://{settings.api_host}:{settings.api_port}/")
    print(f"logs: {log_dir.resolve()}/<service>.log; Ctrl-C stops the pipeline")
    stop = threading.Event()
    stop_on_signals(stop.set)
    Supervisor(settings, log_dir, env).run(stop)


def _status(args: argparse.Namespace) -> int:
    settings = Settings()
    if not args.files:
        print(status_line(settings))
        logging.disable(logging.CRITICAL)  # the clients' retries: a failure is told in a line
        for problem in connection_problems(settings):
            print(problem)
        return 0
    settings = status_settings(settings)
    logging.disable(logging.CRITICAL)  # the clients' retries: a failure is told in the lines
    try:
        event_log, lookup = open_event_log(settings), open_article_lookup(settings)
        statuses = [file_status(settings, name, event_log, lookup) for name in args.files]
    except (EventLogError, ApiError, TransportError) as error:
        # Kafka or Elasticsearch refused this configuration, or cannot be reached: one line.
        reason = error if isinstance(error, EventLogError) else access_problem(settings, error)
        print(f"newswire status: {reason or error}", file=sys.stderr)
        return 1
    for status in statuses:
        print(status.describe())
    return 1 if any(status.state == "unknown" for status in statuses) else 0
