"""What every long-running Newswire process does the same way: metrics endpoint, stop signals."""

import signal
from collections.abc import Callable

from prometheus_client import CollectorRegistry, start_http_server


def expose_metrics(port: int, registry: CollectorRegistry) -> None:
    """Serve `registry` on http://0.0.0.0:`port`/metrics in a background thread; 0 disables."""
    if port:
        start_http_server(port, registry=registry)


def stop_on_signals(stop: Callable[[], None]) -> None:
    """Call `stop` on SIGTERM (supervisors, Docker, systemd) and SIGINT (Ctrl-C)."""
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop())
