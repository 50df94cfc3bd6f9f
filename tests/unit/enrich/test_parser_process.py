"""Documents parsed in a real child process: what it reads is what the enricher's own process
reads, and a document past its time or memory budget, or one the child dies on, is refused
with a named reason while the next document is read by a new child."""

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from benchmarks.bombs import paragraph_bomb, zip_bomb
from newswire_enrich.document_limits import MIB, DocumentLimits
from newswire_enrich.documents import DocumentInput, InProcessReader, ReaderUnavailableError
from newswire_enrich.errors import (
    DocumentTooLargeError,
    ParseMemoryError,
    ParserCrashedError,
    ParseTimeoutError,
)
from newswire_enrich.parser_process import ParseBudget, ParserProcess
from tests.support.enrichers import docx_document

# Limits that let the bombs through to the parser, whose budget must then stop them.
NO_LIMITS = DocumentLimits(
    max_paragraphs=10**9,
    max_article_characters=10**12,
    max_unpacked_bytes=10**12,
    max_compression_ratio=10**9,
)
SAMPLE = "trtworld-2024-09-11-pezeshkian-iraq.txt"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def word(data: bytes, name: str = "release.docx") -> DocumentInput:
    return DocumentInput(name, DOCX, "", data)


@pytest.fixture
def parsers(request: pytest.FixtureRequest) -> Iterator[ParserProcess]:
    budget: ParseBudget = getattr(request, "param", ParseBudget(timeout_s=30))
    process = ParserProcess(NO_LIMITS, budget)
    process.start()
    try:
        yield process
    finally:
        process.close()


def test_the_child_reads_a_document_as_the_enricher_itself_would(
    parsers: ParserProcess, shared_dir: Path
) -> None:
    text = (shared_dir / "samples" / SAMPLE).read_text()
    release = docx_document("Title", ["One.", "Two."], "Author", datetime(2024, 1, 1, tzinfo=UTC))
    for document in (DocumentInput(SAMPLE, "text/plain", text, None), word(release)):
        assert parsers.read(document) == InProcessReader(NO_LIMITS).read(document)


@pytest.mark.parametrize("parsers", [ParseBudget(timeout_s=1.0, attempts=2)], indirect=True)
def test_a_document_past_the_time_budget_is_tried_twice_then_refused(
    parsers: ParserProcess,
) -> None:
    with pytest.raises(ParseTimeoutError, match=r"longer than 1 s, 2 time\(s\)"):
        parsers.read(word(paragraph_bomb(300_000)))
    children = parsers.children_started
    assert children == 3  # the first, and a new one after each timeout
    release = docx_document("After", ["Fine."], "Author", datetime(2024, 1, 1, tzinfo=UTC))
    assert parsers.read(word(release)).items[0].title == "After"  # type: ignore[union-attr]
    assert parsers.children_started == children


@pytest.mark.parametrize(
    "parsers", [ParseBudget(timeout_s=60, memory_bytes=512 * MIB)], indirect=True
)
def test_a_document_past_the_memory_budget_is_refused_and_the_next_one_read(
    parsers: ParserProcess,
) -> None:
    with pytest.raises(ParseMemoryError, match="more than the parser's 512 MiB"):
        parsers.read(word(zip_bomb(600_000_000)))
    release = docx_document("After", ["Fine."], "Author", datetime(2024, 1, 1, tzinfo=UTC))
    assert parsers.read(word(release)).items[0].title == "After"  # type: ignore[union-attr]


def test_a_child_that_dies_on_a_document_fails_it_as_crashed(parsers: ParserProcess) -> None:
    parsers.read(DocumentInput("a.txt", "text/plain", "Title\n\nBody.", None))  # it is ready
    pid = parsers.pid
    assert pid is not None
    # A parser crashing in native code, as a segmentation fault in the middle of its work.
    threading.Timer(1.0, os.kill, (pid, signal.SIGSEGV)).start()
    with pytest.raises(ParserCrashedError, match="signal SIGSEGV"):
        parsers.read(word(paragraph_bomb(300_000)))
    assert parsers.read(DocumentInput("a.txt", "text/plain", "Title\n\nBody.", None)).items


def test_a_document_nested_too_deeply_is_refused_as_too_large_not_as_a_fault(
    parsers: ParserProcess,
) -> None:
    nested = "[" * 100_000 + "]" * 100_000
    with pytest.raises(DocumentTooLargeError, match="nested too deeply"):
        parsers.read(DocumentInput("deep.json", "application/json", nested, None))


def test_a_parser_process_that_cannot_start_stops_the_caller_instead_of_failing_documents() -> None:
    # An address space smaller than the child's own modules: it cannot warm up.
    broken = ParserProcess(NO_LIMITS, ParseBudget(memory_bytes=64 * MIB))
    try:
        with pytest.raises(ReaderUnavailableError, match="did not start"):
            broken.read(DocumentInput("a.txt", "text/plain", "Title\n\nBody.", None))
    finally:
        broken.close()


def test_the_child_dies_with_the_process_that_started_it() -> None:
    parent = textwrap.dedent(
        """
        import os, signal
        from newswire_enrich.document_limits import DocumentLimits
        from newswire_enrich.parser_process import ParseBudget, ParserProcess

        process = ParserProcess(DocumentLimits(), ParseBudget())
        process.start()
        print(process.pid, flush=True)
        os.kill(os.getpid(), signal.SIGKILL)
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", parent], capture_output=True, text=True, check=False
    )
    child = int(done.stdout.strip())
    deadline = time.monotonic() + 10
    while _alive(child) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _alive(child), "the parser process outlived its parent"


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"  # a zombie has exited already
