"""What every dev-service JVM server shares: an idempotent `up`, a clean `down`, a `status`."""

import shutil
import socket
import time
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from newswire.settings import DevServicesSettings
from newswire_ops.dev_services.processes import ManagedProcess, is_alive, process_memory_bytes


class DevServiceError(RuntimeError):
    """A dev-service could not be started; the message says why and where the log is."""


@dataclass(frozen=True)
class ServiceStatus:
    """What `status` reports for one server."""

    name: str
    address: str
    pid: int | None
    ready: bool
    rss_bytes: int | None
    log_file: Path

    secure: bool = False
    service: str = ""
    port: int = 0

    def describe(self) -> str:
        if self.pid is None:
            return f"{self.name}: stopped"
        state = "ready" if self.ready else "starting (not ready)"
        if self.secure:
            state += ", secured"
        rss = f", rss {self.rss_bytes / 2**20:.0f} MiB" if self.rss_bytes else ""
        return f"{self.name}: {state} at {self.address} (pid {self.pid}{rss}, log {self.log_file})"

    def as_json(self) -> dict[str, object]:
        """The node as `status --json` lists it: enough to find it and to kill it."""
        return {
            "service": self.service,
            "name": self.name,
            "pid": self.pid,
            "port": self.port,
            "alive": self.pid is not None,
            "ready": self.ready,
        }


@dataclass(frozen=True)
class LaunchCommand:
    argv: Sequence[str]
    env: Mapping[str, str]
    cwd: Path


def port_is_free(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        # As the servers do: connections of a previous run lingering in TIME_WAIT don't count.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return False
        return True


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now (for servers of tests and
    benchmarks)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def port_accepts_connections(port: int, host: str = "127.0.0.1") -> bool:
    try:
        with socket.create_connection((host, port), timeout=1.0):
            return True
    except OSError:
        return False


class JvmServer(ABC):
    """One node of a server run as a detached JVM; subclasses say how to prepare, launch and
    probe it.

    A service runs as `cluster_size(settings)` nodes. Alone, a node is named after its service
    (`kafka`) and lives in `<home>/<service>`; in a cluster, node k is `<service>-k` in
    `<home>/<service>-k`, on the first node's ports shifted by k. A secured node (`secure`:
    TLS, users, permissions) lives in `<home>/<name>-secure`, beside the plain one: each keeps
    its data, and `status`, `down` and `env` find whichever runs."""

    service: str
    secure: bool = False

    def __init__(self, settings: DevServicesSettings, node: int = 0) -> None:
        self.settings = settings
        self.nodes = self.cluster_size(settings)
        if not 0 <= node < self.nodes:
            raise ValueError(f"{self.service} has nodes 0 to {self.nodes - 1}, not {node}")
        self.node = node
        self.name = node_name(self.service, node, self.nodes)
        self.home = settings.home / (f"{self.name}-secure" if self.secure else self.name)
        self.process = ManagedProcess(self.name, self.home)

    @staticmethod
    @abstractmethod
    def cluster_size(settings: DevServicesSettings) -> int:
        """How many nodes the service runs as."""

    def client_environment(self, identity: str) -> dict[str, str]:
        """The environment variables a Newswire client needs to reach this server as
        `identity` (ignored by a server without users)."""
        return {}

    @property
    @abstractmethod
    def address(self) -> str:
        """Where clients reach the server."""

    @property
    @abstractmethod
    def port(self) -> int:
        """The port clients connect to."""

    @property
    @abstractmethod
    def ports(self) -> Sequence[int]:
        """Every port the server binds, checked to be free before it starts."""

    @abstractmethod
    def prepare(self) -> LaunchCommand:
        """Fetch jars, write configuration, initialise storage; return how to launch."""

    @abstractmethod
    def is_ready(self) -> bool:
        """One quick readiness probe through the server's client interface."""

    @abstractmethod
    def cluster_members(self) -> int | None:
        """How many nodes the cluster this node is in counts now (None: no answer)."""

    def on_ready(self) -> None:
        """What to do once the whole cluster is ready (once per `up`, on one live node)."""
        return  # nothing, unless the server has users and permissions to set up

    @property
    def data_dir(self) -> Path:
        return self.home / "data"

    def status(self) -> ServiceStatus:
        pid = self.process.running_pid()
        return ServiceStatus(
            name=self.name,
            address=self.address,
            pid=pid,
            ready=pid is not None and self.is_ready(),
            rss_bytes=process_memory_bytes(pid) if pid is not None else None,
            log_file=self.process.log_file,
            secure=self.secure,
            service=self.service,
            port=self.port,
        )

    def up(self, fresh: bool = False) -> ServiceStatus:
        """Start the server unless it already runs; wait until it is ready.

        `fresh` stops a running server and wipes its data first; otherwise data is reused.
        """
        self.wait_until_ready(self.launch(fresh))
        self.on_ready()
        return self.status()

    def launch(self, fresh: bool = False) -> int:
        """Start the server unless it already runs, without waiting; its pid."""
        if fresh:
            self.process.stop()
            shutil.rmtree(self.data_dir, ignore_errors=True)
        pid = self.process.running_pid()
        if pid is None:
            busy = [port for port in self.ports if not port_is_free(port)]
            if busy:
                raise DevServiceError(
                    f"{self.name}: port(s) {busy} already in use by another process; "
                    "stop it or choose other ports (see README, NEWSWIRE_DEV_*_PORT)"
                )
            launch = self.prepare()
            pid = self.process.start(launch.argv, launch.env, launch.cwd)
        return pid

    def down(self) -> bool:
        """Stop the server; True if one was running."""
        return self.process.stop()

    def wait_until_ready(self, pid: int) -> None:
        """Wait for the server `launch` started as `pid` to be ready; stop it if it is not
        within the start-up timeout."""
        deadline = time.monotonic() + self.settings.startup_timeout_s
        while time.monotonic() < deadline:
            # By pid, not by `running_pid()`: until the fork has exec'd the JVM, the
            # command line does not carry the service marker yet.
            if not is_alive(pid):
                raise DevServiceError(
                    f"{self.name} exited during start-up; log {self.process.log_file}:\n"
                    + self.process.log_tail()
                )
            if self.is_ready():
                return
            time.sleep(0.5)
        self.process.stop()
        raise DevServiceError(
            f"{self.name} was not ready after {self.settings.startup_timeout_s:.0f}s and was "
            f"stopped; log {self.process.log_file}:\n" + self.process.log_tail()
        )


def node_name(service: str, node: int, nodes: int) -> str:
    """A node's name: its service's alone, `<service>-<node>` in a cluster."""
    return service if nodes == 1 else f"{service}-{node}"
