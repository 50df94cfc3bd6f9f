"""Each supervised service's output in a log file of its own, rotated by size so that a long run
(or a flood of refused requests) never fills the disk: `<service>.log`, then `<service>.log.1` …
up to NEWSWIRE_LOG_BACKUPS files of NEWSWIRE_LOG_MAX_BYTES each.

The supervisor reads each child's stdout and stderr through a pipe and writes it with logging's
`RotatingFileHandler`, line by line. The lines are already formatted (and escaped) by the child.
"""

import logging
import threading
from logging.handlers import RotatingFileHandler
from pathlib import Path
from typing import IO

# A longer line (a traceback's frame, say) is written in pieces: memory stays bounded.
_MAX_LINE_BYTES = 64 * 1024


class ServiceLog:
    def __init__(self, path: Path, max_bytes: int, backups: int) -> None:
        self.path = path
        self._handler = RotatingFileHandler(
            path, maxBytes=max_bytes, backupCount=backups, encoding="utf-8", errors="replace"
        )
        self._handler.setFormatter(logging.Formatter("%(message)s"))
        self.last_error: str | None = None
        """The last line logged at ERROR (what a refused service said before it exited)."""

    def follow(self, output: IO[bytes]) -> threading.Thread:
        """Copies `output` into the log from a thread of its own, until it ends."""
        thread = threading.Thread(
            target=self._copy, args=(output,), name=f"log {self.path.name}", daemon=True
        )
        thread.start()
        return thread

    def write(self, line: str) -> None:
        if " ERROR " in line:
            self.last_error = line
        self._handler.handle(logging.makeLogRecord({"msg": line, "levelno": logging.INFO}))

    def close(self) -> None:
        self._handler.close()

    def _copy(self, output: IO[bytes]) -> None:
        with output:
            for line in iter(lambda: output.readline(_MAX_LINE_BYTES), b""):
                self.write(line.rstrip(b"\n").decode("utf-8", "backslashreplace"))
