"""Opening the embedded mode's SQLite files the one way every process shares them.

WAL lets readers (the API, consumers) run while one writer commits; `synchronous=FULL` makes a
committed transaction survive power loss, not only a killed process, which is what "the log
acknowledged it" promises. Several processes open the same file, so waits for the write lock are
bounded by `busy_timeout` rather than failing at once.
"""

import sqlite3
from pathlib import Path

BUSY_TIMEOUT_S = 30.0


def connect(
    path: Path, read_only: bool = False, busy_timeout_s: float = BUSY_TIMEOUT_S
) -> sqlite3.Connection:
    """A connection in autocommit mode (transactions are explicit: BEGIN IMMEDIATE … COMMIT).

    `check_same_thread=False`: each connection is used by one thread at a time, but not always
    the thread that opened it (a producer opens it, its sender thread uses it).
    """
    if read_only:
        connection = sqlite3.connect(
            f"{path.resolve().as_uri()}?mode=ro",
            uri=True,
            timeout=busy_timeout_s,
            isolation_level=None,
            check_same_thread=False,
        )
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
        connection = sqlite3.connect(
            path, timeout=busy_timeout_s, isolation_level=None, check_same_thread=False
        )
        connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=FULL")
    connection.execute(f"PRAGMA busy_timeout={int(busy_timeout_s * 1000)}")
    return connection
