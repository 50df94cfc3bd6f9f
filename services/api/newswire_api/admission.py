"""How many searches run at once: at most `limit`; one more is refused at once (503 with a
short Retry-After) rather than queued, so a burst of slow searches cannot make every other
client wait behind it, and the index is never asked more than it can answer in parallel."""

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from newswire_api.ports import SearchBusyError

BUSY = "search is busy right now (as many searches as allowed are running): try again in a second"


class SearchSlots:
    def __init__(self, limit: int) -> None:
        self._free = threading.BoundedSemaphore(limit)

    @contextmanager
    def slot(self) -> Iterator[None]:
        """Hold one of the slots while searching; raises SearchBusyError when none is free."""
        if not self._free.acquire(blocking=False):
            raise SearchBusyError(BUSY)
        try:
            yield
        finally:
            self._free.release()
