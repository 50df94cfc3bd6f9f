"""Closing the loop for the person who dropped a file: when enrich or the indexer dead-letters
what came from it, ingest moves the file from `processed/` to `failed/` with the reason beside
it, as it does for files it refuses itself. Every dropped file thus ends up searchable or in
`failed/` with a reason, whichever stage turned it down.

The follower reads `articles.dlq` in a consumer group of its own. A dead letter names its input
by key; for a whole file that enrich could not parse, the letter carries the raw message (with
the file's path) as its original; otherwise the raw message is looked up on the raw topic by
that key. A letter may arrive before ingest has moved the file out of the inbox (enrich can be
that fast), so a file not yet in `processed/` is looked for again for a while.
"""

import base64
import logging
import threading
import time
from collections.abc import Callable

from pydantic import ValidationError

from newswire.checkpoint import Checkpoint
from newswire.event_log import EventConsumer, EventLog, EventLogError, Record
from newswire.messages import DeadLetter, RawArticle

log = logging.getLogger(__name__)

POLL_TIMEOUT_S = 1.0
BATCH = 100
# How long a letter waits for its file to reach `processed/` before it is let go.
FILE_WAIT_S = 60.0
# While the log cannot be read, it is tried again after 1 s, 2 s, 4 s … at most this long.
MAX_BACKOFF_S = 30.0

FailPublished = Callable[[str, str], object]
"""(path relative to the inbox, reason JSON) → the file moved to failed/, or None if absent."""


class DeadLetterFollower:
    def __init__(
        self,
        event_log: EventLog,
        consumer: EventConsumer,
        raw_topic: str,
        fail_published: FailPublished,
        on_error: Callable[[], object] = lambda: None,
    ) -> None:
        self._event_log = event_log
        self._consumer = consumer
        self._raw_topic = raw_topic
        self._fail_published = fail_published
        self._on_error = on_error
        self._waiting: dict[str, tuple[str, float]] = {}  # path → (reason JSON, given up at)

    def run(self, stop: threading.Event) -> None:
        """Follows the dead-letter topic until `stop` is set. The log being unreachable, or a
        file that cannot be moved, is retried; anything else is a bug and ends the run."""
        failures = 0
        while not stop.is_set():
            try:
                self._follow_a_batch()
            except EventLogError as error:
                failures += 1
                delay_s = min(MAX_BACKOFF_S, 2.0 ** (failures - 1))
                self._on_error()
                log.warning("dead letters not read (%s); trying again in %.0fs", error, delay_s)
                stop.wait(delay_s)
            else:
                failures = 0

    def _follow_a_batch(self) -> None:
        records = self._consumer.poll(POLL_TIMEOUT_S, BATCH)
        for record in records:
            self._follow(record)
        self._retry_waiting()
        checkpoint = Checkpoint(self._consumer)
        checkpoint.handled(records)
        checkpoint.commit()

    def _follow(self, record: Record) -> None:
        try:
            letter = DeadLetter.model_validate_json(record.value or b"")
        except ValidationError:
            return  # not a dead letter of ours: nothing to move
        if letter.stage == "ingest":
            return  # ingest moved that file itself
        relative_path = self._relative_path(letter)
        if relative_path is None:
            log.info("dead letter %s: no file to move", letter.source)
            return
        reason = letter.model_dump_json(exclude={"original_base64"}, indent=2)
        self._waiting[relative_path] = (reason, time.monotonic() + FILE_WAIT_S)
        self._retry_waiting()

    def _relative_path(self, letter: DeadLetter) -> str | None:
        if letter.original_base64:
            try:
                original = base64.b64decode(letter.original_base64)
                return RawArticle.model_validate_json(original).relative_path
            except (ValueError, ValidationError):
                pass  # an article of a feed file, or an enriched article: look the file up
        if not letter.original_key:
            return None
        raw = self._event_log.find(self._raw_topic, letter.original_key.encode())
        if raw is None or raw.value is None:
            return None
        try:
            return RawArticle.model_validate_json(raw.value).relative_path
        except ValidationError:
            return None

    def _retry_waiting(self) -> None:
        now = time.monotonic()
        for relative_path, (reason, give_up_at) in list(self._waiting.items()):
            try:
                moved = self._fail_published(relative_path, reason)
            except OSError as error:  # a full disk, a folder without write access: try again
                self._on_error()
                log.warning("%s could not be moved to the failed folder: %s", relative_path, error)
                moved = None
            if moved is not None:
                log.warning("a later stage refused %s; moved to %s", relative_path, moved)
                del self._waiting[relative_path]
            elif now > give_up_at:
                log.info("%s is not in the processed folder; left where it is", relative_path)
                del self._waiting[relative_path]
