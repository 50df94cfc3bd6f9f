"""Small measuring helpers shared by the benchmark scripts."""

from newswire_ops.dev_services.processes import process_memory_bytes


def peak_rss_mib(pid: int) -> float | None:
    """The process's peak resident set size so far (VmHWM), in MiB; None if it is gone."""
    peak = process_memory_bytes(pid, "VmHWM")
    return peak / 2**20 if peak is not None else None
