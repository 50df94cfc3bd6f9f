"""A single-node Elasticsearch 9 on 127.0.0.1, started by our launcher from Maven Central jars.

Maven Central carries the server and the Netty4 transport plugin but not the distribution's
modules (analysis-common, painless, rest-root, x-pack): the node runs core features only, which
is why Newswire's mappings use core analyzers and readiness is `GET /_cluster/health`.
"""

import json
import os
import urllib.error
import urllib.request
from collections.abc import Sequence

from newswire_ops.dev_services.java import find_java_home
from newswire_ops.dev_services.maven_build import build_maven_project
from newswire_ops.dev_services.processes import service_marker
from newswire_ops.dev_services.server import JvmServer, LaunchCommand

ELASTICSEARCH_MIN_JAVA = 21
LAUNCHER_CLASS = "dev.newswire.devservices.ElasticsearchNode"


class ElasticsearchNode(JvmServer):
    name = "elasticsearch"

    @property
    def address(self) -> str:
        return f"http://127.0.0.1:{self.settings.elasticsearch_port}"

    @property
    def ports(self) -> Sequence[int]:
        return (self.settings.elasticsearch_port, self.settings.elasticsearch_transport_port)

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
            str(self.settings.elasticsearch_port),
            "--transport-port",
            str(self.settings.elasticsearch_transport_port),
        ]
        return LaunchCommand(argv=argv, env=dict(os.environ), cwd=self.home)

    def is_ready(self) -> bool:
        url = f"{self.address}/_cluster/health?wait_for_status=yellow&timeout=1s"
        try:
            with urllib.request.urlopen(url, timeout=3) as response:
                health = json.load(response)
        except (OSError, urllib.error.URLError, ValueError):
            return False
        return health.get("status") in {"yellow", "green"}
