"""The ingest loop: follow files until they are complete, publish each, and only then move it out.

One thread runs the loop and alone touches the inbox and the bookkeeping. The file-system watcher
and the event log's delivery callbacks run on other threads; they only put wake-ups on a queue.

One file's trouble stays that file's: an error while reading, moving or explaining it ends with
the file in the failed area with its reason, or, when even that is impossible (a full disk, a
folder without write access), with the file left where it is, counted, logged, and tried again
later with a growing delay. Nothing a file does ends the loop.
"""

import contextlib
import logging
import queue
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from pathlib import Path

from newswire.messages import DeadLetter, RawArticle, utc_now
from newswire.settings import Settings
from newswire_ingest.article import FileRejectedError, dead_letter, raw_article
from newswire_ingest.completion import CompletionTracker, FileState
from newswire_ingest.inbox import (
    FileBeingWrittenError,
    FileChangedError,
    Inbox,
    WritersUnknownError,
)
from newswire_ingest.metrics import IngestMetrics
from newswire_ingest.ports import MessageTooLargeError, Publisher

log = logging.getLogger(__name__)

# A file being written is tried again this often when no close event comes (one was missed).
MIN_RECHECK_S = 0.2
# A file whose handling failed is tried again after 1 s, 2 s, 4 s … at most this long.
MAX_RETRY_DELAY_S = 300.0


@dataclass(frozen=True)
class _Sent:
    """A file whose message is on its way to the event log."""

    path: Path
    state: FileState
    relative_path: str
    message: RawArticle | DeadLetter
    bytes_read: int


@dataclass(frozen=True)
class _Delivery:
    sent: _Sent
    error: BaseException | None


@dataclass(frozen=True)
class _Events:
    noticed: list[tuple[Path, bool]]  # (a path, whether a writer closed it or it was moved in)


_Wakeup = _Events | _Delivery | None
"""Paths events touched, the outcome of a send, or None: stop."""


class IngestService:
    """Publishes every complete file of the inbox to the event log, then moves it out of the
    inbox."""

    def __init__(
        self, settings: Settings, inbox: Inbox, publisher: Publisher, metrics: IngestMetrics
    ) -> None:
        self.metrics = metrics
        self._settings = settings
        self._inbox = inbox
        self._publisher = publisher
        self._tracker = CompletionTracker(
            settings.ingest_settle_s,
            recheck_s=max(settings.ingest_settle_s, MIN_RECHECK_S),
            writers_visible=inbox.writers_visible,
        )
        self._failures: dict[Path, int] = {}  # failed attempts per file, for the retry delay
        self._periodic: list[Callable[[], None]] = []
        self._failed_reason: str | None = None
        self._in_flight: dict[Path, _Sent] = {}
        self._in_flight_bytes = 0
        self._unacknowledged: set[Path] = set()
        # SimpleQueue: its put() may be called from a signal handler.
        self._wakeups: queue.SimpleQueue[_Wakeup] = queue.SimpleQueue()
        self._stopping = False

    def notice(self, noticed: list[tuple[Path, bool]]) -> None:
        """File-system events touched these paths (with True where a writer closed the file,
        or it was moved in). Safe from any thread."""
        self._wakeups.put(_Events(noticed))

    def stop(self) -> None:
        """Makes `run` stop taking files and return once what it sent is settled. Safe from any
        thread and from a signal handler."""
        self._wakeups.put(None)

    def every_rescan(self, check: Callable[[], None]) -> None:
        """Runs `check` on the loop's thread at every rescan (e.g. restarting a stopped
        watcher)."""
        self._periodic.append(check)

    def fail(self, reason: str) -> None:
        """A part of ingest that must not stop (a background thread) did: stop, and make `run`
        report failure, so that the process ends and its supervisor starts a new one."""
        self._failed_reason = reason
        self.stop()

    def run(self, once: bool = False) -> bool:
        """Ingests until stopped or, with `once`, until the files there at the start are done.
        True when every file taken was acknowledged; the others are still in the inbox."""
        self._track(self._inbox.scan())
        next_rescan = time.monotonic() + self._settings.ingest_rescan_interval_s
        while not self._stopping and not (once and not self._tracker and not self._in_flight):
            if not once and time.monotonic() >= next_rescan:
                for check in self._periodic:
                    check()
                self._track(self._inbox.scan())
                next_rescan = time.monotonic() + self._settings.ingest_rescan_interval_s
            self._take_complete_files()
            wake_at = [] if once else [next_rescan]
            if self._has_room() and (complete_at := self._tracker.next_complete_at()) is not None:
                wake_at.append(complete_at)
            for wakeup in self._wait(min(wake_at, default=None)):
                self._handle(wakeup)
        self._await_deliveries()
        if self._failed_reason is not None:
            log.error("ingest stops: %s", self._failed_reason)
            return False
        return not self._unacknowledged

    def _wait(self, until: float | None) -> list[_Wakeup]:
        """The wake-ups that came by `until` (None: no limit), at least one unless time ran out."""
        timeout = None if until is None else max(0.0, until - time.monotonic())
        try:
            wakeups = [self._wakeups.get(timeout=timeout)]
        except queue.Empty:
            return []
        with contextlib.suppress(queue.Empty):
            while True:
                wakeups.append(self._wakeups.get_nowait())
        return wakeups

    def _handle(self, wakeup: _Wakeup) -> None:
        if wakeup is None:
            self._stopping = True
        elif isinstance(wakeup, _Delivery):
            self._settle(wakeup.sent, wakeup.error)
        else:
            for path, closed in wakeup.noticed:
                self._track(self._inbox.look_at(path), closed=closed)

    def _track(self, entries: Iterable[tuple[Path, FileState]], closed: bool = False) -> None:
        now, wall_clock_ns = time.monotonic(), time.time_ns()
        for path, state in entries:
            if path not in self._in_flight:
                self._tracker.observe(path, state, now, wall_clock_ns, closed)

    def _has_room(self) -> bool:
        return (
            len(self._in_flight) < self._settings.ingest_max_in_flight_files
            and self._in_flight_bytes < self._settings.ingest_max_in_flight_bytes
        )

    def _take_complete_files(self) -> None:
        now = time.monotonic()
        while self._has_room() and (complete := self._tracker.pop_complete(now)) is not None:
            self._take(*complete)

    def _take(self, path: Path, state: FileState) -> None:
        relative_path = self._inbox.relative_name(path)
        data = None
        message: RawArticle | DeadLetter
        try:
            data = self._inbox.read(path, state, self._settings.ingest_max_file_bytes)
            message = raw_article(
                data, relative_path, utc_now(), self._settings.ingest_fallback_encoding
            )
        except FileChangedError:
            self._track(self._inbox.look_at(path))
            return
        except FileBeingWrittenError:
            self._tracker.still_writing(path, state, time.monotonic())
            return
        except WritersUnknownError:
            self._tracker.writers_unknown(path, state, time.monotonic(), time.time_ns())
            return
        except FileRejectedError as rejection:
            message = dead_letter(rejection, relative_path, data)
        except Exception as error:
            self._retry_later(path, state, relative_path, "read", error)
            return
        self.metrics.files_seen.inc()
        self._send(_Sent(path, state, relative_path, message, len(data or b"")))

    def _retry_later(
        self, path: Path, state: FileState, relative_path: str, step: str, error: Exception
    ) -> None:
        """The file stays where it is and is tried again later, a little later each time."""
        failures = self._failures.get(path, 0) + 1
        self._failures[path] = failures
        delay_s = min(MAX_RETRY_DELAY_S, 2.0 ** (failures - 1))
        self._tracker.retry_later(path, state, time.monotonic(), delay_s)
        self.metrics.file_errors.labels(step=step).inc()
        log.warning(
            "%s: %s failed (%s: %s); it stays in the inbox, tried again in %.0fs",
            relative_path,
            step,
            type(error).__name__,
            error,
            delay_s,
        )

    def _send(self, sent: _Sent) -> None:
        self._in_flight[sent.path] = sent
        self._in_flight_bytes += sent.bytes_read

        def delivered(error: BaseException | None) -> None:
            self._wakeups.put(_Delivery(sent, error))

        if isinstance(sent.message, RawArticle):
            self._publisher.publish_article(sent.message, delivered)
        else:
            self._publisher.publish_dead_letter(sent.message, sent.relative_path, delivered)

    def _settle(self, sent: _Sent, error: BaseException | None) -> None:
        del self._in_flight[sent.path]
        self._in_flight_bytes -= sent.bytes_read
        if error is None:
            self._unacknowledged.discard(sent.path)
            self._move_out(sent)
        elif isinstance(error, MessageTooLargeError) and isinstance(sent.message, RawArticle):
            rejection = FileRejectedError(
                "message_too_large",
                f"the event log refused its message as too large ({error}); raise "
                "NEWSWIRE_KAFKA_MAX_MESSAGE_BYTES and the topic's max.message.bytes, "
                "or lower NEWSWIRE_INGEST_MAX_FILE_BYTES",
            )
            self._send(replace(sent, message=dead_letter(rejection, sent.relative_path, None)))
        else:
            self._unacknowledged.add(sent.path)
            self.metrics.publish_errors.inc()
            log.warning(
                "%s: the log did not acknowledge it (%r); it stays in the inbox for another try",
                sent.relative_path,
                error,
            )

    def _move_out(self, sent: _Sent) -> None:
        try:
            if isinstance(sent.message, RawArticle):
                self._published(sent, sent.message)
            else:
                self._failed(sent, sent.message)
        except FileChangedError:
            log.warning("%s changed after it was read; it will be taken again", sent.relative_path)
            self._track(self._inbox.look_at(sent.path))
        except Exception as error:
            # Published (or dead-lettered) but not moved: taken again later, the same message
            # is sent again, which its key makes harmless.
            self._retry_later(sent.path, sent.state, sent.relative_path, "move", error)
        else:
            self._failures.pop(sent.path, None)

    def _published(self, sent: _Sent, article: RawArticle) -> None:
        if self._settings.ingest_after_publish == "delete":
            self._inbox.delete(sent.path, sent.state)
            where = "deleted"
        else:
            where = f"moved to {self._inbox.move_to_processed(sent.path, sent.state)}"
        self.metrics.files_published.inc()
        self.metrics.bytes_published.inc(article.size_bytes)
        log.info(
            "published %s as %s (%d bytes, %s, %s); %s",
            sent.relative_path,
            article.id,
            article.size_bytes,
            article.media_type,
            article.encoding,
            where,
        )

    def _failed(self, sent: _Sent, letter: DeadLetter) -> None:
        reason_json = letter.model_dump_json(exclude={"original_base64"}, indent=2)
        target = self._inbox.move_to_failed(sent.path, sent.state, reason_json)
        self.metrics.files_failed.labels(letter.error_type).inc()
        log.warning(
            "refused %s [%s]: %s; moved to %s",
            sent.relative_path,
            letter.error_type,
            letter.reason,
            target,
        )

    def _await_deliveries(self) -> None:
        deadline = time.monotonic() + self._settings.ingest_shutdown_timeout_s
        while self._in_flight and (remaining := deadline - time.monotonic()) > 0:
            with contextlib.suppress(queue.Empty):
                wakeup = self._wakeups.get(timeout=remaining)
                if isinstance(wakeup, _Delivery):
                    self._settle(wakeup.sent, wakeup.error)
        if self._in_flight:
            log.warning(
                "%d files were not acknowledged in time; they stay in the inbox",
                len(self._in_flight),
            )
            self._unacknowledged.update(self._in_flight)
