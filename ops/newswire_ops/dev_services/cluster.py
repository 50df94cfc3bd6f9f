"""The nodes of one dev-service, Kafka or Elasticsearch, as one thing to start, stop and list.

A service runs as one node or as a cluster (`up --brokers N`, `up --es-nodes N`). The size
chosen at `up` is remembered in the dev home (`clusters.json`), so `status`, `down`, `env` and a
later `up` act on the same nodes without being told again; an explicit setting
(`NEWSWIRE_DEV_KAFKA_BROKERS`, `NEWSWIRE_DEV_ELASTICSEARCH_NODES`) or flag wins over it.

`up` starts every node that does not run (all at once: a Kafka or Elasticsearch node cannot be
ready before a majority of its cluster is up), waits for each, then for the cluster to count
them all; a node killed is started again by the next `up`, the others left alone.
"""

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from newswire.settings import DevServicesSettings
from newswire_ops.dev_services.processes import ManagedProcess
from newswire_ops.dev_services.server import DevServiceError, JvmServer, ServiceStatus

SIZES_FILE = "clusters.json"
SIZE_FIELDS = {"kafka": "kafka_brokers", "elasticsearch": "elasticsearch_nodes"}
"""Each service and the setting saying how many nodes it runs as."""


def remembered_sizes(home: Path) -> dict[str, int]:
    """The cluster sizes the last `up` in `home` chose, by service (none: nothing chosen)."""
    try:
        sizes = json.loads((home / SIZES_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(sizes, dict):
        return {}
    return {
        service: size
        for service, size in sizes.items()
        if service in SIZE_FIELDS and isinstance(size, int) and size >= 1
    }


def remember_sizes(settings: DevServicesSettings) -> None:
    """Keep `settings`' cluster sizes in its home for the commands that follow."""
    settings.home.mkdir(parents=True, exist_ok=True)
    sizes = {service: getattr(settings, field) for service, field in SIZE_FIELDS.items()}
    (settings.home / SIZES_FILE).write_text(json.dumps(sizes) + "\n", encoding="utf-8")


def sized_settings(
    settings: DevServicesSettings, sizes: dict[str, int | None] | None = None
) -> DevServicesSettings:
    """`settings` with each service's cluster size: the one in `sizes` (the command line's),
    else one set explicitly (environment), else the one remembered in the home, else 1."""
    remembered = remembered_sizes(settings.home)
    chosen: dict[str, int] = {}
    for service, field in SIZE_FIELDS.items():
        given = (sizes or {}).get(service)
        if given is not None:
            chosen[field] = given
        elif field not in settings.model_fields_set and service in remembered:
            chosen[field] = remembered[service]
    # Validated like the environment's values (1 to 9).
    return DevServicesSettings.model_validate(
        settings.model_dump(exclude_unset=True) | chosen | {"home": settings.home}
    )


@dataclass(frozen=True)
class ClusterStatus:
    """What `status` reports for the nodes of one service."""

    nodes: list[ServiceStatus]

    @property
    def ready(self) -> bool:
        return all(node.ready for node in self.nodes)

    def describe(self) -> str:
        return "\n".join(node.describe() for node in self.nodes)


class ServiceCluster:
    """The nodes of `kind` that `settings` describe (one, or a cluster)."""

    def __init__(self, kind: type[JvmServer], settings: DevServicesSettings) -> None:
        self.settings = settings
        self.nodes = [kind(settings, node) for node in range(kind.cluster_size(settings))]
        self.name = kind.service
        self.service = kind.service
        self.secure = kind.secure

    @property
    def address(self) -> str:
        """Where clients reach the service: every node, comma-separated (Kafka's bootstrap
        list; Elasticsearch URLs, which Newswire's clients fail over between)."""
        return ",".join(node.address for node in self.nodes)

    def client_environment(self, identity: str) -> dict[str, str]:
        return self.nodes[0].client_environment(identity)

    def running(self) -> bool:
        """Whether any of its nodes runs."""
        return any(node.process.running_pid() is not None for node in self.nodes)

    def node(self, name: str) -> JvmServer | None:
        return next((node for node in self.nodes if node.name == name), None)

    def strangers(self) -> list[ManagedProcess]:
        """Nodes of this service running in the home that are not of this cluster (another
        size, or the other of plain and secured)."""
        own = {node.process.pid_file for node in self.nodes}
        return [
            process
            for process in service_processes(self.settings.home, self.service)
            if process.pid_file not in own and process.running_pid() is not None
        ]

    def launch(self, fresh: bool = False) -> list[int]:
        """Start every node that does not run (`fresh`: all of them, their data wiped); their
        pids. A node that cannot start stops those started here."""
        pids: list[int] = []
        started: list[JvmServer] = []
        if fresh:  # all at once: a node stopped alone would wait for the others to elect
            stop_all([node.process for node in self.nodes])
        try:
            for node in self.nodes:
                running = not fresh and node.process.running_pid() is not None
                pids.append(node.launch(fresh))
                if not running:
                    started.append(node)
        except BaseException:
            for node in started:
                node.down()
            raise
        return pids

    def await_ready(self, pids: list[int]) -> ClusterStatus:
        """Wait for each node, then for the cluster to count them all; then `on_ready`."""
        for node, pid in zip(self.nodes, pids, strict=True):
            node.wait_until_ready(pid)
        deadline = time.monotonic() + self.settings.startup_timeout_s
        while (members := self.nodes[0].cluster_members()) != len(self.nodes):
            if time.monotonic() > deadline:
                raise DevServiceError(
                    f"{self.service}: every node is ready but the cluster counts {members} of "
                    f"{len(self.nodes)}; logs in {self.settings.home}/{self.service}-*/"
                )
            time.sleep(0.5)
        self.nodes[0].on_ready()
        return self.status()

    def up(self, fresh: bool = False) -> ClusterStatus:
        return self.await_ready(self.launch(fresh))

    def status(self) -> ClusterStatus:
        return ClusterStatus([node.status() for node in self.nodes])

    def down(self) -> list[tuple[str, bool]]:
        """Stop every node (all told at once); for each node, whether it was running."""
        return stop_all([node.process for node in self.nodes])


def stop_all(processes: list[ManagedProcess], grace_s: float = 30.0) -> list[tuple[str, bool]]:
    """Stop `processes` together (each once, however often listed); for each, its name and
    whether it was running."""
    unique = list({process.pid_file: process for process in processes}.values())
    pids = [(process, process.terminate()) for process in unique]
    for process, pid in pids:
        if pid is not None:
            process.await_exit(pid, grace_s)
    return [(process.name, pid is not None) for process, pid in pids]


def service_processes(home: Path, service: str) -> Iterator[ManagedProcess]:
    """Every node of `service` that has a pid file in `home`, whatever cluster it is of."""
    for pid_file in sorted(home.glob(f"{service}*/{service}*.pid")):
        yield ManagedProcess(pid_file.stem, pid_file.parent)
