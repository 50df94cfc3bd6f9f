"""Parsing in a child process with a hard time and memory budget: the `DocumentReader` the enrich
service and `newswire parse` use.

Parsers are other people's code (lxml, python-docx, pypdf, trafilatura) fed whatever a newsroom
drops. Limits checked up front (`document_limits`) refuse the inputs that say they are huge; this
is for the rest, which only a budget the parser cannot ignore can stop:

- **Time.** The parent waits at most `timeout_s` for the answer, then kills the child (SIGKILL: a
  parser busy in C code would never see anything gentler) and starts another. The clock runs
  for the document only: a new child first loads its modules and warms its parsers up (dateparser
  loads its language data on first use), then says it is ready. A timeout may be
  the machine's load rather than the document, so it is tried again in a fresh child, `attempts`
  times in all, then refused as `parse_timeout`.
- **Memory.** The child's address space is capped (`RLIMIT_AS`) once its modules are loaded, so
  an allocation past the budget fails inside it: Python raises MemoryError, the child answers
  `parse_out_of_memory` and exits (its heap may be in pieces), and the next document gets a new
  child. The same input would fail the same way, so it is not tried again.
- **Crashes.** A child that dies (a signal from a parser's native code, or the kernel's OOM
  killer) fails its document as `parser_crashed`; the next document gets a new child.

Whatever happens, the enrich process itself keeps its memory, its consumer group membership and
its NER model, and the next message waits at most the budget. The child dies with its parent
(Linux: `PR_SET_PDEATHSIG`), so a killed service leaves no parser running on.

The idea is Apache Tika's `ForkParser` and tika-server's child process: parse in a forked
worker, with a timeout and a heap cap, restarted when it dies.
"""

import contextlib
import ctypes
import json
import logging
import os
import pickle
import resource
import signal
import socket
import subprocess
import sys
from dataclasses import asdict, dataclass
from multiprocessing.connection import Connection
from typing import Any

from newswire.command_line import configure_logging
from newswire_enrich.document_limits import MIB, DocumentLimits
from newswire_enrich.documents import (
    DocumentInput,
    ReadDocument,
    ReaderUnavailableError,
    read_document,
)
from newswire_enrich.errors import (
    ArticleRejectedError,
    ParseMemoryError,
    ParserCrashedError,
    ParserFailedError,
    ParseTimeoutError,
    rejection_for,
)

log = logging.getLogger(__name__)

_STOP_WAIT_S = 2.0
_PR_SET_PDEATHSIG = 1
# How long a new child may take to load and warm up (seconds, on a loaded machine) before the
# parser process counts as broken: an environment's fault, not a document's.
STARTUP_TIMEOUT_S = 120.0
# What a new child parses before it says it is ready: the lazily loaded parts of the parsers
# (dateparser's language data, trafilatura's) are loaded then, not on the first document's clock.
_WARM_UP = DocumentInput(
    "warm-up.html",
    "text/html",
    "<html><head><title>Warm-up</title><meta name='date' content='2024-09-11'></head><body>"
    "<article><h1>Warm-up</h1><p>Published 11 September 2024. A paragraph of text that is long "
    "enough to be the body of a page, so that the extraction has something to find.</p>"
    "</article></body></html>",
    None,
)


class ParserProcessBrokenError(ReaderUnavailableError):
    """A new parser process did not start (its imports failed, or it died on its warm-up): no
    document is at fault, so this stops the service rather than dead-lettering documents."""


@dataclass(frozen=True)
class ParseBudget:
    """What parsing one document may take; each is a setting (`NEWSWIRE_ENRICH_PARSE_*`)."""

    timeout_s: float = 10.0
    memory_bytes: int = 1024 * MIB
    attempts: int = 2


class ParserProcess:
    """One child process parsing one document at a time; used from one thread."""

    def __init__(self, limits: DocumentLimits, budget: ParseBudget) -> None:
        self.limits = limits
        self.budget = budget
        self.children_started = 0
        self._child: subprocess.Popen[bytes] | None = None
        self._connection: Connection | None = None
        self._ready = False

    def start(self) -> None:
        """Start the child now rather than at the first document (its imports take a second)."""
        self._running()

    @property
    def pid(self) -> int | None:
        """The child's process id, while one runs."""
        return self._child.pid if self._child is not None else None

    def read(self, document: DocumentInput) -> ReadDocument:
        for attempt in range(1, self.budget.attempts + 1):
            try:
                return self._read_once(document)
            except ParseTimeoutError:
                if attempt == self.budget.attempts:
                    raise
                log.warning(
                    "parsing %s took longer than %g s (attempt %d of %d): trying again in a new "
                    "parser process",
                    document.file_name,
                    self.budget.timeout_s,
                    attempt,
                    self.budget.attempts,
                )
        raise AssertionError("unreachable: the last attempt returns or raises")

    def close(self) -> None:
        """Let the child finish (it exits when its socket closes), killing it if it does not."""
        if self._connection is not None:
            self._connection.close()
            self._connection = None
        if self._child is not None:
            try:
                self._child.wait(_STOP_WAIT_S)
            except subprocess.TimeoutExpired:
                self._child.kill()
                self._child.wait()
            self._child = None

    def _read_once(self, document: DocumentInput) -> ReadDocument:
        connection = self._ready_child()
        try:
            connection.send(document)
            answered = connection.poll(self.budget.timeout_s)
        except OSError:  # the child died between documents: a new one takes this document
            self._kill()
            connection = self._ready_child()
            connection.send(document)
            answered = connection.poll(self.budget.timeout_s)
        if not answered:
            self._replace()
            raise ParseTimeoutError(
                f"parsing took longer than {self.budget.timeout_s:g} s, "
                f"{self.budget.attempts} time(s); the parser was stopped "
                "(NEWSWIRE_ENRICH_PARSE_TIMEOUT_S)"
            )
        try:
            outcome, detail = connection.recv()
        except (EOFError, OSError):
            raise self._crashed() from None
        return self._answer(outcome, detail)

    def _answer(self, outcome: str, detail: Any) -> ReadDocument:
        if outcome == "read":
            result: ReadDocument = detail
            return result
        if outcome == "rejected":
            raise detail
        if outcome == "out_of_memory":
            self._replace()  # it exits on its own: the next document gets a new one
            raise ParseMemoryError(
                f"parsing needed more than the parser's {self.budget.memory_bytes / MIB:,.0f} MiB "
                "(NEWSWIRE_ENRICH_PARSE_MEMORY_MB)"
            )
        raise AssertionError(f"the parser process answered {outcome!r}")

    def _crashed(self) -> ParserCrashedError:
        status = self._kill()
        self._running()
        how = f"exit status {status}"
        if status is not None and status < 0:
            try:
                how = f"signal {signal.Signals(-status).name}"
            except ValueError:
                how = f"signal {-status}"
            if -status == signal.SIGKILL:
                how += ", perhaps from the system running out of memory"
        return ParserCrashedError(
            f"the parser process died while reading it ({how}): a crash in a parser's native "
            "code; the document was set aside"
        )

    def _ready_child(self) -> Connection:
        """The running child's connection, once it has said it is ready."""
        connection = self._running()
        if self._ready:
            return connection
        try:
            if connection.poll(STARTUP_TIMEOUT_S) and connection.recv() == ("ready", None):
                self._ready = True
                return connection
        except (EOFError, OSError):
            pass
        status = self._kill()
        raise ParserProcessBrokenError(
            f"the parser process did not start within {STARTUP_TIMEOUT_S:g} s (exit status "
            f"{status}; see the lines above): is NEWSWIRE_ENRICH_PARSE_MEMORY_MB too small for it?"
        )

    def _running(self) -> Connection:
        if self._child is not None and self._child.poll() is None and self._connection:
            return self._connection
        self._kill()
        self._ready = False
        ours, theirs = socket.socketpair()
        with ours, theirs:
            self._child = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    __name__,
                    str(os.getpid()),
                    str(theirs.fileno()),
                    str(self.budget.memory_bytes),
                    json.dumps(asdict(self.limits)),
                ],
                pass_fds=[theirs.fileno()],
                stdin=subprocess.DEVNULL,
            )
            self._connection = Connection(ours.detach())
        self.children_started += 1
        return self._connection

    def _replace(self) -> None:
        """A new child, started now: its imports overlap whatever the caller does next."""
        self._kill()
        self._running()

    def _kill(self) -> int | None:
        """Stop the child at once; its exit status (negative: the signal), None if none ran."""
        if self._connection is not None:
            self._connection.close()
            self._connection = None
        if self._child is None:
            return None
        with contextlib.suppress(ProcessLookupError):
            self._child.kill()
        status = self._child.wait()
        self._child = None
        return status


def _serve(connection: Connection, limits: DocumentLimits) -> None:
    """The child: one document in, one outcome out, until the parent closes the socket."""
    while True:
        try:
            document: DocumentInput = connection.recv()
        except EOFError:
            return
        out_of_memory = False
        try:
            answer: tuple[str, Any] = ("read", read_document(document, limits))
        except ArticleRejectedError as error:
            answer = ("rejected", error)
        except MemoryError:
            out_of_memory = True  # answered below, once the failed parse's memory is free
        except Exception as error:
            rejection = rejection_for(error)
            if isinstance(rejection, ParserFailedError):
                log.exception("a parser failed unexpectedly on %s", document.file_name)
            answer = ("rejected", rejection)
        if out_of_memory:
            connection.send(("out_of_memory", None))
            return
        try:
            connection.send(answer)
        except (MemoryError, pickle.PicklingError):
            connection.send(("out_of_memory", None))
            return


def _die_with_parent(parent: int) -> None:
    if sys.platform != "linux":
        return
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:  # the parent died before the line above
        os._exit(1)


def main(argv: list[str]) -> None:
    parent, descriptor, memory_bytes = int(argv[0]), int(argv[1]), int(argv[2])
    limits = json.loads(argv[3])
    _die_with_parent(parent)
    configure_logging()
    connection = Connection(descriptor)
    # Capped only now: the modules above are loaded, and the budget is for the parsing.
    resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    read_document(_WARM_UP, DocumentLimits())
    # The parent may have closed the socket meanwhile (it is stopping, or replaced this child).
    with contextlib.suppress(BrokenPipeError, ConnectionResetError):
        connection.send(("ready", None))
        _serve(connection, DocumentLimits(**limits))


if __name__ == "__main__":
    main(sys.argv[1:])
