"""`newswire dev-services up | down | status | env`: both servers, or one with `--only`.

`up --secure` starts them secured (TLS, a user per identity, permissions: `access`); `env`
prints the `export` lines a client needs for the servers running now, secured or not, so
`eval "$(newswire dev-services env)"; newswire up` uses them. `compose-secrets [DIR]` makes the
secrets docker-compose.yml reads (docs/deploy.md).
"""

import argparse
import shlex
import sys
import time
from pathlib import Path

from newswire.settings import DevServicesSettings, Settings
from newswire_ops.access import OPERATOR, identities
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
        "--user",
        default=OPERATOR,
        help=f"with `env`: whose credentials (default {OPERATOR}, allowed what every service "
        "is; one per service: ingest, enrich, indexer, api; consumer; admin)",
    )
    parser.set_defaults(handler=run)


def selected_servers(
    only: str | None, settings: DevServicesSettings, secure: bool = False
) -> list[JvmServer]:
    names = [only] if only else list(SERVERS)
    kinds = SECURE_SERVERS if secure else SERVERS
    return [kinds[name](settings) for name in names]


def running_servers(only: str | None, settings: DevServicesSettings) -> list[JvmServer]:
    """Each server as it runs now (the secured one if that runs), else the plain one."""
    servers = []
    for name in [only] if only else list(SERVERS):
        secured = SECURE_SERVERS[name](settings)
        running = secured.process.running_pid() is not None
        servers.append(secured if running else SERVERS[name](settings))
    return servers


def run(args: argparse.Namespace) -> int:
    settings = DevServicesSettings()
    if args.action == "up":
        return _up(selected_servers(args.only, settings, args.secure), args.fresh)
    if args.action == "env":
        return _env(running_servers(args.only, settings), args.user)
    if args.action == "compose-secrets":
        written = write_compose_secrets(args.folder)
        print(f"{len(written)} files in {args.folder.resolve()} (owner-only); see docs/deploy.md")
        return 0
    if args.action == "down":
        for server in running_servers(args.only, settings):
            print(f"{server.name}: {'stopped' if server.down() else 'was not running'}")
        return 0
    statuses = [server.status() for server in running_servers(args.only, settings)]
    for status in statuses:
        print(status.describe())
    return 0 if all(status.ready for status in statuses) else STATUS_NOT_RUNNING


def _up(servers: list[JvmServer], fresh: bool) -> int:
    for server in servers:
        other = running_servers(server.name, server.settings)[0]
        if other.secure != server.secure and other.process.running_pid() is not None:
            kind = "secured" if other.secure else "plain"
            print(
                f"error: a {kind} {server.name} runs in {server.settings.home}: "
                "`newswire dev-services down` first",
                file=sys.stderr,
            )
            return 1
        started = time.monotonic()
        try:
            status = server.up(fresh=fresh)
        except (DevServiceError, MavenBuildError, JavaNotFoundError) as error:
            print(f"error: {error}", file=sys.stderr)
            return 1
        print(f"{status.describe()} [{time.monotonic() - started:.1f}s]")
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
    ],
}


def _env(servers: list[JvmServer], identity: str) -> int:
    names = identities(Settings())
    if identity not in names:
        print(f"error: no user {identity!r}; one of {', '.join(names)}", file=sys.stderr)
        return 2
    stopped = [server.name for server in servers if server.process.running_pid() is None]
    if stopped:
        print(
            f"error: {', '.join(stopped)} not running: `newswire dev-services up` first",
            file=sys.stderr,
        )
        return STATUS_NOT_RUNNING
    for server in servers:
        environment = client_environment(server, identity)
        for name in CONNECTION_VARIABLES[server.name]:
            if name in environment:
                print(f"export {name}={shlex.quote(environment[name])}")
            else:
                print(f"unset {name}")
    return 0


def client_environment(server: JvmServer, identity: str) -> dict[str, str]:
    """The variables a client needs to reach `server` as `identity`."""
    variable = "KAFKA_BOOTSTRAP_SERVERS" if server.name == "kafka" else "ELASTICSEARCH_URL"
    return {variable: server.address, **server.client_environment(identity)}
