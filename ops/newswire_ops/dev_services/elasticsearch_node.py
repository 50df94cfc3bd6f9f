"""Elasticsearch 9 on 127.0.0.1, started by our launcher from Maven Central jars: one node, or a
cluster of them (`up --es-nodes N`: node k on the HTTP and transport ports plus k, each
master-eligible, finding the others by the loopback transport ports).

Every node lists `<dev home>/snapshots` in `path.repo`: one folder shared by all of them, so a
file system snapshot repository (`newswire snapshot`) works on a cluster on one machine.

Maven Central carries the server and the Netty4 transport plugin but not the distribution's
modules (analysis-common, painless, rest-root): the node runs core features only, which is why
Newswire's mappings use core analyzers and readiness is `GET /_cluster/health`.

Secured (`SecureElasticsearchNode`, `newswire dev-services up --secure`): x-pack-core and
x-pack-security, which Maven Central does carry, with TLS on HTTP and transport and the file
realm's users (one per identity of `access`, with its role). Native users and API keys are not
available: they live in the `.security` index, whose mapping needs analysis-common's
`pattern_capture` filter.
"""

import base64
import hashlib
import json
import os
import secrets
import shutil
import ssl
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from newswire.settings import DevServicesSettings, Settings
from newswire_ops.access import (
    ADMIN,
    ElasticsearchRole,
    elasticsearch_roles,
    identities,
)
from newswire_ops.dev_services.credentials import DevCredentials
from newswire_ops.dev_services.java import find_java_home
from newswire_ops.dev_services.maven_build import build_maven_project
from newswire_ops.dev_services.processes import service_marker
from newswire_ops.dev_services.server import JvmServer, LaunchCommand

ELASTICSEARCH_MIN_JAVA = 21
LAUNCHER_CLASS = "dev.newswire.devservices.ElasticsearchNode"


def snapshot_folder(settings: DevServicesSettings) -> Path:
    """The nodes' `path.repo`, shared by every node of the dev home."""
    return settings.home / "snapshots"


class ElasticsearchNode(JvmServer):
    service = "elasticsearch"

    @staticmethod
    def cluster_size(settings: DevServicesSettings) -> int:
        return settings.elasticsearch_nodes

    @property
    def port(self) -> int:
        return self.settings.elasticsearch_port + self.node

    @property
    def transport_port(self) -> int:
        return self.settings.elasticsearch_transport_port + self.node

    @property
    def address(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ports(self) -> Sequence[int]:
        return (self.port, self.transport_port)

    def node_settings(self) -> dict[str, str]:
        """Settings given to the launcher (`--setting`), over its single-node defaults."""
        settings = {"path.repo": str(snapshot_folder(self.settings))}
        if self.nodes == 1:
            return settings
        base = self.settings.elasticsearch_transport_port
        names = [f"{self.service}-{k}" for k in range(self.nodes)]
        return settings | {
            "node.name": self.name,
            "discovery.type": "multi-node",
            "discovery.seed_hosts": ",".join(f"127.0.0.1:{base + k}" for k in range(self.nodes)),
            # Read only when the cluster first forms; every node may name them all.
            "cluster.initial_master_nodes": ",".join(names),
        }

    def client_environment(self, identity: str) -> dict[str, str]:
        return {"NEWSWIRE_SNAPSHOT_REPOSITORY_PATH": str(snapshot_folder(self.settings))}

    def prepare(self) -> LaunchCommand:
        java_home = find_java_home(ELASTICSEARCH_MIN_JAVA, self.settings.elasticsearch_java_home)
        build = build_maven_project(
            "elasticsearch",
            ["package"],  # the pom copies the runtime jars to target/lib in this phase
            self.settings.home,
            self.settings.maven,
            java_home,
        )
        self.home.mkdir(parents=True, exist_ok=True)
        heap = self.settings.elasticsearch_heap
        argv = [
            str(java_home / "bin" / "java"),
            service_marker(self.name),
            f"-Xms{heap}",
            f"-Xmx{heap}",
            # Elasticsearch and Lucene call native code (libc, zstd) through java.lang.foreign.
            "--enable-native-access=ALL-UNNAMED",
            # Lucene's SIMD vector scoring; without it Lucene falls back to scalar code and warns.
            "--add-modules=jdk.incubator.vector",
            "-cp",
            f"{build / 'target'}/*:{build / 'target' / 'lib'}/*",
            LAUNCHER_CLASS,
            "--home",
            str(self.home),
            "--http-port",
            str(self.port),
            "--transport-port",
            str(self.transport_port),
        ]
        snapshot_folder(self.settings).mkdir(parents=True, exist_ok=True)
        for key, value in self.node_settings().items():
            argv += ["--setting", f"{key}={value}"]
        return LaunchCommand(argv=argv, env=dict(os.environ), cwd=self.home)

    def health_request(self) -> urllib.request.Request:
        return urllib.request.Request(
            f"{self.address}/_cluster/health?wait_for_status=yellow&timeout=1s"
        )

    def is_ready(self) -> bool:
        health = self.health()
        return health is not None and health.get("status") in {"yellow", "green"}

    def cluster_members(self) -> int | None:
        health = self.health()
        return None if health is None else int(health.get("number_of_nodes", 0))

    def health(self) -> dict[str, Any] | None:
        """`GET /_cluster/health` through this node (None: no answer, or no elected master)."""
        try:
            with urllib.request.urlopen(
                self.health_request(), timeout=3, context=self.tls_context()
            ) as response:
                health: dict[str, Any] = json.load(response)
        except (OSError, urllib.error.URLError, ValueError):
            return None
        return health

    def tls_context(self) -> ssl.SSLContext | None:
        return None

    def build_dir(self) -> Path:
        java_home = find_java_home(ELASTICSEARCH_MIN_JAVA, self.settings.elasticsearch_java_home)
        return build_maven_project(
            "elasticsearch", ["package"], self.settings.home, self.settings.maven, java_home
        )


PBKDF2_ITERATIONS = 10_000


def file_realm_hash(password: str) -> str:
    """`password` as the file realm stores it: `{PBKDF2}<iterations>$<salt>$<key>`, base64,
    PBKDF2-HMAC-SHA512 with a 32-byte salt and key (the format of Elasticsearch's Hasher)."""
    salt = secrets.token_bytes(32)
    key = hashlib.pbkdf2_hmac("sha512", password.encode(), salt, PBKDF2_ITERATIONS, dklen=32)
    encoded = base64.b64encode(salt).decode(), base64.b64encode(key).decode()
    return f"{{PBKDF2}}{PBKDF2_ITERATIONS}${encoded[0]}${encoded[1]}"


def write_file_realm(folder: Path, password: Callable[[str], str]) -> None:
    """The file realm's `users` (hashed passwords), `users_roles` and `roles.yml` in `folder`:
    `admin` a super user, each identity of `access` with an Elasticsearch role that role."""
    folder.mkdir(parents=True, exist_ok=True)
    roles = elasticsearch_roles(Settings())
    users = [ADMIN, *(i for i in identities(Settings()) if i in roles)]
    (folder / "users").touch(mode=0o600)
    (folder / "users").write_text(
        "".join(f"{user}:{file_realm_hash(password(user))}\n" for user in users),
        encoding="utf-8",
    )
    members = {"superuser": [ADMIN]} | {f"newswire_{i}": [i] for i in roles}
    (folder / "users_roles").write_text(
        "".join(f"{role}:{','.join(names)}\n" for role, names in members.items()),
        encoding="utf-8",
    )
    (folder / "roles.yml").write_text(
        "".join(_role_yaml(f"newswire_{identity}", role) for identity, role in roles.items()),
        encoding="utf-8",
    )


def _role_yaml(name: str, role: ElasticsearchRole) -> str:
    """One role of the file realm's roles.yml (each role a block of its own: the file realm
    reads the file role by role)."""
    lines = [f"{name}:", f"  cluster: {json.dumps(list(role.cluster))}", "  indices:"]
    lines.append(f"    - names: {json.dumps(list(role.indices))}")
    lines.append(f"      privileges: {json.dumps(list(role.privileges))}")
    return "\n".join(lines) + "\n"


class SecureElasticsearchNode(ElasticsearchNode):
    secure = True

    def __init__(self, settings: DevServicesSettings, node: int = 0) -> None:
        super().__init__(settings, node)
        self.credentials = DevCredentials(settings)

    @property
    def address(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    def prepare(self) -> LaunchCommand:
        launch = super().prepare()
        self._write_security_config(self.home / "config")
        plugins = self.build_dir() / "target" / "security-plugins"
        tls = {"key": "certs/node.key", "certificate": "certs/node.crt"}
        node_settings = {
            "xpack.security.enabled": "true",
            "xpack.license.self_generated.type": "basic",
            "xpack.security.authc.realms.file.newswire.order": "0",
            "xpack.security.http.ssl.enabled": "true",
            "xpack.security.transport.ssl.enabled": "true",
            "xpack.security.transport.ssl.verification_mode": "certificate",
            "xpack.security.transport.ssl.certificate_authorities": "certs/ca.crt",
            **{f"xpack.security.http.ssl.{key}": path for key, path in tls.items()},
            **{f"xpack.security.transport.ssl.{key}": path for key, path in tls.items()},
        }
        argv = [*launch.argv, "--security-plugins", str(plugins)]
        for key, value in node_settings.items():
            argv += ["--setting", f"{key}={value}"]
        return LaunchCommand(argv=argv, env=launch.env, cwd=launch.cwd)

    def _write_security_config(self, config: Path) -> None:
        """The node's certificate and the file realm: users, their roles, the roles."""
        authority = self.credentials.authority()
        server = authority.server_pair()
        certs = config / "certs"
        certs.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(authority.certificate_file, certs / "ca.crt")
        # The whole chain, so a client pinning the CA's fingerprint finds it in the handshake.
        (certs / "node.crt").write_bytes(
            server.certificate.read_bytes() + authority.certificate_file.read_bytes()
        )
        shutil.copyfile(server.key, certs / "node.key")
        (certs / "node.key").chmod(0o600)
        write_file_realm(config, self.credentials.password)

    def health_request(self) -> urllib.request.Request:
        request = super().health_request()
        token = base64.b64encode(f"{ADMIN}:{self.credentials.password(ADMIN)}".encode())
        request.add_header("Authorization", f"Basic {token.decode()}")
        return request

    def tls_context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=self.credentials.authority().certificate_file)

    def client_environment(self, identity: str) -> dict[str, str]:
        environment = super().client_environment(identity) | {
            "ELASTICSEARCH_URL": self.address,
            "NEWSWIRE_ELASTICSEARCH_CA_CERTS": str(self.credentials.authority().certificate_file),
        }
        if identity == ADMIN or identity in elasticsearch_roles(Settings()):
            environment |= {
                "NEWSWIRE_ELASTICSEARCH_USERNAME": identity,
                "NEWSWIRE_ELASTICSEARCH_PASSWORD_FILE": str(
                    self.credentials.password_file(identity)
                ),
            }
        return environment
