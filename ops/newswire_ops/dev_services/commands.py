"""`newswire dev-services up | down | status`: both servers, or one with `--only`."""

import argparse
import sys
import time

from newswire.settings import DevServicesSettings
from newswire_ops.dev_services.elasticsearch_node import ElasticsearchNode
from newswire_ops.dev_services.java import JavaNotFoundError
from newswire_ops.dev_services.kafka_server import KafkaServer
from newswire_ops.dev_services.maven_build import MavenBuildError
from newswire_ops.dev_services.server import DevServiceError, JvmServer

SERVERS: dict[str, type[JvmServer]] = {"kafka": KafkaServer, "elasticsearch": ElasticsearchNode}
STATUS_NOT_RUNNING = 3  # the LSB exit status of `status` for "not running"


def add_parsers(subcommands: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    parser = subcommands.add_parser(
        "dev-services",
        help="start/stop a local Kafka and Elasticsearch from Maven Central jars (no Docker)",
        description=__doc__,
    )
    parser.add_argument("action", choices=["up", "down", "status"])
    parser.add_argument("--only", choices=sorted(SERVERS), help="act on one server only")
    parser.add_argument(
        "--fresh", action="store_true", help="with `up`: wipe the data directories first"
    )
    parser.set_defaults(handler=run)


def selected_servers(only: str | None, settings: DevServicesSettings) -> list[JvmServer]:
    names = [only] if only else list(SERVERS)
    return [SERVERS[name](settings) for name in names]


def run(args: argparse.Namespace) -> int:
    settings = DevServicesSettings()
    servers = selected_servers(args.only, settings)
    if args.action == "up":
        for server in servers:
            started = time.monotonic()
            try:
                status = server.up(fresh=args.fresh)
            except (DevServiceError, MavenBuildError, JavaNotFoundError) as error:
                print(f"error: {error}", file=sys.stderr)
                return 1
            print(f"{status.describe()} [{time.monotonic() - started:.1f}s]")
        return 0
    if args.action == "down":
        for server in servers:
            print(f"{server.name}: {'stopped' if server.down() else 'was not running'}")
        return 0
    statuses = [server.status() for server in servers]
    for status in statuses:
        print(status.describe())
    return 0 if all(status.ready for status in statuses) else STATUS_NOT_RUNNING
