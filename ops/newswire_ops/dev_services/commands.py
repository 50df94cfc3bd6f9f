"""`newswire dev-services up | down | status | env`: both servers, or one with `--only`.

Each runs as one node, or as a cluster with `up --brokers N` / `up --es-nodes N` (remembered in
the dev home, so the other actions and a later `up` need not be told again); `up` starts
whatever node does not run (secured if the others are). `status --json` lists every node with
its pid and port, and `down --node NAME` stops one. `up --secure` starts them secured (TLS, a
user per identity, permissions: `access`); `env` prints the `export` lines a client needs for
the servers running now, secured or not, so `eval "$(newswire dev-services env)"; newswire up`
uses them. `compose-secrets [DIR]` makes the secrets docker-compose.yml reads (docs/deploy.md).
"""

import argparse
import json
import shlex
import sys
import time
from pathlib import Path

from newswire.settings import DevServicesSettings, Settings
from newswire_ops.access import OPERATOR, identities
from newswire_ops.dev_services.cluster import (
    ServiceCluster,
    remember_sizes,
    service_processes,
    sized_settings,
    stop_all,
)
from newswire_ops.dev_services.compose_secrets import write_compose_secrets
from newswire_ops.dev_services.elasticsearch_node import (
    ElasticsearchNode,
    SecureElasticsearchNode,
)
from newswire_ops.dev_services.java import JavaNotFoundError
from newswire_ops.dev_services.kafka_server import KafkaServer, SecureKafkaServer
from newswire_ops.dev_services.maven_build import MavenBuildError
from newswire_ops.dev_services.server import DevServiceError, JvmServer

SERVERS: dict[str, type[JvmServer]] = {"kafka": KafkaServer, "elasticsearch": ElasticsearchNode}
SECURE_SERVERS: dict[str, type[JvmServer]] = {
    "kafka": SecureKafkaServer,
    "elasticsearch": SecureElasticsearchNode,
}
STATUS_NOT_RUNNING = 3  # the LSB exit status of `status` for "not running"


def add_parsers(subcommands: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    parser = subcommands.add_parser(
        "dev-services",
        help="start/stop a local Kafka and Elasticsearch from Maven Central jars (no Docker)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("action", choices=["up", "down", "status", "env", "compose-secrets"])
    parser.add_argument(
        "folder",
        nargs="?",
        type=Path,
        default=Path("secrets"),
        help="with `compose-secrets`: where (default ./secrets, what docker-compose.yml reads)",
    )
    parser.add_argument("--only", choices=sorted(SERVERS), help="act on one server only")
    parser.add_argument(
        "--fresh", action="store_true", help="with `up`: wipe the data directories first"
    )
    parser.add_argument(
        "--secure",
        action="store_true",
        help="with `up`: TLS, SASL_SSL (SCRAM-SHA-512) and ACLs on Kafka, TLS and users on "
        "Elasticsearch (docs/deploy.md)",
    )
    parser.add_argument(
        "--brokers",
        type=int,
        metavar="N",
        help="with `up`: run Kafka as N brokers (each also a KRaft controller; broker k on the "
        "ports plus 100*k); remembered for the other actions (default: as last time, else 1)",
    )
    parser.add_argument(
        "--es-nodes",
        type=int,
        metavar="N",
        help="with `up`: run Elasticsearch as N nodes (node k on the ports plus k); remembered "
        "like --brokers",
    )
    parser.add_argument(
        "--node", metavar="NAME", help="with `down`: stop this node only (a name `status` shows)"
    )
    parser.add_argument(
        "--json", action="store_true", help='with `status`: {"nodes": [...]} on one line'
    )
    parser.add_argument(
        "--user",
        default=OPERATOR,
        help=f"with `env`: whose credentials (default {OPERATOR}, allowed what every service "
        "is; one per service: ingest, enrich, indexer, api; consumer; admin)",
    )
    parser.set_defaults(handler=run)


def selected_servers(
    only: str | None, settings: DevServicesSettings, secure: bool = False
) -> list[ServiceCluster]:
    """The services to start: each as one node or the cluster its settings (or the dev home)
    size."""
    settings = sized_settings(settings)
    names = [only] if only else list(SERVERS)
    kinds = SECURE_SERVERS if secure else SERVERS
    return [ServiceCluster(kinds[name], settings) for name in names]


def running_servers(only: str | None, settings: DevServicesSettings) -> list[ServiceCluster]:
    """Each service as it runs now (the secured one if any of its nodes runs), else plain."""
    settings = sized_settings(settings)
    clusters = []
    for name in [only] if only else list(SERVERS):
        secured = ServiceCluster(SECURE_SERVERS[name], settings)
        clusters.append(secured if secured.running() else ServiceCluster(SERVERS[name], settings))
    return clusters


def run(args: argparse.Namespace) -> int:
    settings = DevServicesSettings()
    if args.action == "up":
        try:
            sized = sized_settings(
                settings, {"kafka": args.brokers, "elasticsearch": args.es_nodes}
            )
        except ValueError as error:
            print(f"error: {error}", file=sys.stderr)
            return 2
        # Without --secure, `up` goes on with what runs: a secured cluster missing a node
        # gets that node back, secured.
        clusters = (
            selected_servers(args.only, sized, secure=True)
            if args.secure
            else running_servers(args.only, sized)
        )
        return _up(clusters, args.fresh)
    if args.action == "env":
        return _env(running_servers(args.only, settings), args.user)
    if args.action == "compose-secrets":
        written = write_compose_secrets(args.folder)
        print(f"{len(written)} files in {args.folder.resolve()} (owner-only); see docs/deploy.md")
        return 0
    if args.action == "down":
        return _down(running_servers(args.only, settings), args.node)
    statuses = [server.status() for server in running_servers(args.only, settings)]
    if args.json:
        nodes = [node.as_json() for status in statuses for node in status.nodes]
        print(json.dumps({"nodes": nodes}))
    else:
        for status in statuses:
            print(status.describe())
    return 0 if all(status.ready for status in statuses) else STATUS_NOT_RUNNING


def _up(clusters: list[ServiceCluster], fresh: bool) -> int:
    for cluster in clusters:
        strangers = cluster.strangers()
        if strangers:
            kind = "secured" if cluster.secure else "plain"
            names = ", ".join(process.run_dir.name for process in strangers)
            print(
                f"error: {names} of {cluster.settings.home} run(s), not part of the {kind} "
                f"{cluster.name} of {len(cluster.nodes)} node(s) asked for: "
                "`newswire dev-services down` first",
                file=sys.stderr,
            )
            return 1
    remember_sizes(clusters[0].settings)
    started = time.monotonic()
    try:
        # Every node of every service at once: each JVM's start overlaps the others'.
        launched = [(cluster, cluster.launch(fresh)) for cluster in clusters]
        for cluster, pids in launched:
            status = cluster.await_ready(pids)
            print(f"{status.describe()} [{time.monotonic() - started:.1f}s]")
    except (DevServiceError, MavenBuildError, JavaNotFoundError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


def _down(clusters: list[ServiceCluster], node_name: str | None) -> int:
    if node_name is not None:
        node = next((n for c in clusters if (n := c.node(node_name)) is not None), None)
        if node is None:
            names = ", ".join(n.name for c in clusters for n in c.nodes)
            print(f"error: no node {node_name!r}; one of {names}", file=sys.stderr)
            return 2
        print(f"{node.name}: {'stopped' if node.down() else 'was not running'}")
        return 0
    for cluster in clusters:
        # With the cluster's nodes, any other of the service still running in the home.
        stopped = stop_all(
            [node.process for node in cluster.nodes]
            + list(service_processes(cluster.settings.home, cluster.service))
        )
        for name, was_running in stopped:
            if was_running or cluster.node(name) is not None:
                print(f"{name}: {'stopped' if was_running else 'was not running'}")
    return 0


# What `env` sets or, when a server does not need it, unsets (left from an earlier `env`).
CONNECTION_VARIABLES = {
    "kafka": [
        "KAFKA_BOOTSTRAP_SERVERS",
        *(
            f"NEWSWIRE_KAFKA_{name}"
            for name in (
                "SECURITY_PROTOCOL",
                "SASL_MECHANISM",
                "SASL_USERNAME",
                "SASL_PASSWORD",
                "SASL_PASSWORD_FILE",
                "SSL_CAFILE",
                "SSL_CERTFILE",
                "SSL_KEYFILE",
            )
        ),
    ],
    "elasticsearch": [
        "ELASTICSEARCH_URL",
        *(
            f"NEWSWIRE_ELASTICSEARCH_{name}"
            for name in (
                "CA_CERTS",
                "SSL_ASSERT_FINGERPRINT",
                "USERNAME",
                "PASSWORD",
                "PASSWORD_FILE",
                "API_KEY",
                "API_KEY_FILE",
            )
        ),
        "NEWSWIRE_SNAPSHOT_REPOSITORY_PATH",
    ],
}


def _env(clusters: list[ServiceCluster], identity: str) -> int:
    names = identities(Settings())
    if identity not in names:
        print(f"error: no user {identity!r}; one of {', '.join(names)}", file=sys.stderr)
        return 2
    stopped = [cluster.name for cluster in clusters if not cluster.running()]
    if stopped:
        print(
            f"error: {', '.join(stopped)} not running: `newswire dev-services up` first",
            file=sys.stderr,
        )
        return STATUS_NOT_RUNNING
    for cluster in clusters:
        environment = client_environment(cluster, identity)
        for name in CONNECTION_VARIABLES[cluster.service]:
            if name in environment:
                print(f"export {name}={shlex.quote(environment[name])}")
            else:
                print(f"unset {name}")
    return 0


def client_environment(server: JvmServer | ServiceCluster, identity: str) -> dict[str, str]:
    """The variables a client needs to reach `server` (a node, or all of a cluster's) as
    `identity`."""
    variable = "KAFKA_BOOTSTRAP_SERVERS" if server.service == "kafka" else "ELASTICSEARCH_URL"
    return {**server.client_environment(identity), variable: server.address}
