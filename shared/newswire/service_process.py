"""What every long-running Newswire process does the same way: metrics endpoint, stop signals."""

import signal
from collections.abc import Callable

from prometheus_client import CollectorRegistry, start_http_server

from newswire.settings import Settings


def expose_metrics(port: int, registry: CollectorRegistry, host: str | None = None) -> None:
    """Serve `registry` on http://`host`:`port`/metrics in a background thread; 0 disables.

    `host` defaults to NEWSWIRE_METRICS_HOST (127.0.0.1: this machine only)."""
    if port:
        start_http_server(port, addr=host or Settings().metrics_host, registry=registry)


def stop_on_signals(stop: Callable[[], None]) -> None:
    """Call `stop` on SIGTERM (supervisors, Docker, systemd) and SIGINT (Ctrl-C)."""
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop())
