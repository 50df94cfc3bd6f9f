"""Background server processes that outlive the command that started them.

A server is tracked by a pid file; a `-Dnewswire.devservice=<name>` marker on its command line
guards against a recycled pid, so `down` never signals a stranger's process.
"""

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path


def service_marker(name: str) -> str:
    """The JVM system property that tags a dev-service process."""
    return f"-Dnewswire.devservice={name}"


def is_alive(pid: int) -> bool:
    """Whether `pid` runs (a zombie, exited but not yet reaped, does not)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="utf-8")
    except OSError:
        return False
    state = stat.rsplit(")", 1)[1].split()[0]
    return state != "Z"


def _group_members(pgid: int) -> list[int]:
    """Live processes whose process group is `pgid`."""
    members = []
    for stat_file in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat_file.read_text(encoding="utf-8").rsplit(")", 1)[1].split()
        except OSError:
            continue
        state, group = fields[0], int(fields[2])
        if group == pgid and state != "Z":
            members.append(int(stat_file.parent.name))
    return members


def _reap(pid: int) -> None:
    # Only matters when the process that started the server also stops it (test fixtures).
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)


def process_memory_bytes(pid: int, field: str = "VmRSS") -> int | None:
    """A memory figure of the process from /proc (VmRSS: resident now; VmHWM: peak resident)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text(encoding="utf-8")
    except OSError:
        return None
    for line in status.splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) * 1024
    return None


@dataclass(frozen=True)
class ManagedProcess:
    """One named server process with its pid file and log file in `run_dir`."""

    name: str
    run_dir: Path

    @property
    def pid_file(self) -> Path:
        return self.run_dir / f"{self.name}.pid"

    @property
    def log_file(self) -> Path:
        return self.run_dir / f"{self.name}.log"

    def running_pid(self) -> int | None:
        """The pid of our live server, or None (a stale pid file is removed)."""
        try:
            pid = int(self.pid_file.read_text(encoding="utf-8").strip())
        except (OSError, ValueError):
            return None
        if is_alive(pid) and self._carries_marker(pid):
            return pid
        self.pid_file.unlink(missing_ok=True)
        return None

    def start(self, argv: Sequence[str], env: Mapping[str, str], cwd: Path) -> int:
        """Start the server detached in its own session, logging to `log_file`.

        The previous run's log is kept as `<name>.log.1`, so a crash before a restart can
        still be read.
        """
        self.run_dir.mkdir(parents=True, exist_ok=True)
        if self.log_file.exists():
            self.log_file.replace(self.log_file.with_name(f"{self.name}.log.1"))
        with self.log_file.open("wb") as log:
            process = subprocess.Popen(
                list(argv),
                cwd=cwd,
                env=dict(env),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.pid_file.write_text(f"{process.pid}\n", encoding="utf-8")
        # Popen returns once exec has begun, but /proc/<pid>/cmdline may still be empty for an
        # instant; until it shows the marker, running_pid() would take the file for stale.
        deadline = time.monotonic() + 5.0
        while not self._carries_marker(process.pid) and time.monotonic() < deadline:
            if not is_alive(process.pid):
                break
            time.sleep(0.005)
        return process.pid

    def _carries_marker(self, pid: int) -> bool:
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except OSError:
            return False
        return service_marker(self.name).encode() in cmdline

    def stop(self, grace_s: float = 30.0) -> bool:
        """SIGTERM the server, SIGKILL it after `grace_s`; True if one was running.

        Signals go to the whole process group (the server leads its own session), so a helper
        process it may have spawned does not outlive it.
        """
        pid = self.terminate()
        if pid is None:
            return False
        self.await_exit(pid, grace_s)
        return True

    def terminate(self) -> int | None:
        """SIGTERM the server's process group without waiting; its pid, None if none ran.

        The nodes of a cluster are told at once, so none waits through its grace period for
        peers that are leaving too (`await_exit` each afterwards)."""
        pid = self.running_pid()
        if pid is not None:
            os.killpg(pid, signal.SIGTERM)
        return pid

    def await_exit(self, pid: int, grace_s: float = 30.0) -> None:
        """Wait for the terminated `pid` to exit, SIGKILL its group after `grace_s`."""
        deadline = time.monotonic() + grace_s
        while time.monotonic() < deadline:
            _reap(pid)
            if not is_alive(pid):
                break
            time.sleep(0.2)
        # Whatever is left of the group, a leader that ignored SIGTERM included, ends now.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, signal.SIGKILL)
        while _group_members(pid):
            _reap(pid)
            time.sleep(0.05)
        self.pid_file.unlink(missing_ok=True)

    def log_tail(self, lines: int = 40) -> str:
        """The last lines of the log, for error messages."""
        try:
            text = self.log_file.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])
