"""Small measuring helpers shared by the benchmark scripts: memory and CPU time from /proc."""

import os
from dataclasses import dataclass
from pathlib import Path

from newswire_ops.dev_services.processes import process_memory_bytes

CLOCK_TICKS_PER_S = os.sysconf("SC_CLK_TCK")


def peak_rss_mib(pid: int) -> float | None:
    """The process's peak resident set size so far (VmHWM), in MiB; None if it is gone."""
    peak = process_memory_bytes(pid, "VmHWM")
    return peak / 2**20 if peak is not None else None


def cpu_seconds(pid: int) -> float | None:
    """CPU time the process used so far, user + system, all its threads (not its children's);
    None if it is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="utf-8")
    except OSError:
        return None
    # The command name (2nd field) may hold spaces: fields are counted after its ")".
    fields = stat.rsplit(")", 1)[1].split()
    user_ticks, system_ticks = int(fields[11]), int(fields[12])
    return (user_ticks + system_ticks) / CLOCK_TICKS_PER_S


@dataclass(frozen=True)
class MachineTicks:
    """The machine's CPU time so far, all cores, from the `cpu` line of /proc/stat."""

    total: int
    idle: int  # idle + iowait

    @classmethod
    def now(cls) -> "MachineTicks":
        line = Path("/proc/stat").read_text(encoding="utf-8").splitlines()[0]
        # user nice system idle iowait irq softirq steal (guest time is already in user/nice)
        ticks = [int(value) for value in line.split()[1:9]]
        return cls(total=sum(ticks), idle=ticks[3] + ticks[4])

    def idle_share_since(self, earlier: "MachineTicks") -> float:
        """The share of the machine's capacity left idle between `earlier` and this."""
        total = self.total - earlier.total
        return (self.idle - earlier.idle) / total if total else 0.0
