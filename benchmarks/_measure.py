"""Small measuring helpers shared by the benchmark scripts."""

import time
from pathlib import Path

from elasticsearch import Elasticsearch


def peak_rss_mib(pid: int) -> float | None:
    """The process's peak resident set size so far (VmHWM), in MiB."""
    try:
        status = Path(f"/proc/{pid}/status").read_text(encoding="utf-8")
    except OSError:
        return None
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return None


def wait_for_documents(
    client: Elasticsearch, index: str, expected: int, timeout_s: float, poll_s: float = 0.25
) -> float:
    """Seconds until `index` holds `expected` documents (refreshing as it polls)."""
    started = time.monotonic()
    while time.monotonic() - started < timeout_s:
        if client.indices.exists(index=index):
            client.indices.refresh(index=index)
            if client.count(index=index)["count"] >= expected:
                return time.monotonic() - started
        time.sleep(poll_s)
    raise TimeoutError(f"{index} did not reach {expected} documents in {timeout_s:.0f}s")
