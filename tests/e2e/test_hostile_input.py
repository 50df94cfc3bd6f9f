"""Over a thousand hostile files through `newswire up` on Kafka and Elasticsearch: every file ends
searchable or in `failed/` with its reason, no service dies, and nothing outside the inbox is read.

The set is generated here: binary, empty, 50 MB, invalid UTF-8, Latin-1, UTF-16 with a BOM,
malformed and deeply nested JSON, HTML full of scripts, names with spaces, newlines and unicode,
a symbolic link to a file outside the inbox, a file still being written slowly, and valid BBC
articles among them.
"""

import json
import random
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest

from benchmarks.corpus import bbc_files
from tests.support.pipeline import (
    RunningPipeline,
    eventually,
    get_json,
    listed_once_per_content,
    stack_env,
)

pytestmark = pytest.mark.integration

OUTSIDE_MARKER = "xyzzyoutsidemarker"
SCRIPT_MARKER = "plughscriptmarker"
SLOW_MARKER = "frobozzslowlast"
SLOW_TITLE_MARKER = "frobozzslowfirst"


def _article(n: int, extra: str = "") -> str:
    return (
        f"Hostile test article number {n} {extra}\n\n"
        f"This paragraph is about the harbour of Valparaíso and its café number {n}.\n\n"
        "A second paragraph, so that the body is a body."
    )


def _by_relative(processed: list[Path], pipeline: RunningPipeline) -> dict[str, Path]:
    """The processed files by the path they were dropped at (inside the `hostile` folder)."""
    root = pipeline.folder / "processed"
    return {path.relative_to(root).as_posix(): path for path in processed}


def _generate(inbox: Path, shared_dir: Path, chance: random.Random) -> int:
    """Writes the hostile set into `inbox`; returns how many files it made."""
    made = 0

    def put(relative: str, content: bytes) -> None:
        nonlocal made
        path = inbox / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
        made += 1

    for n in range(100):  # random bytes: most are not text in any encoding
        put(f"binary/random-{n}.bin", bytes(chance.randrange(256) for _ in range(300)) + b"\0")
    for n in range(100):
        # a zip archive's signature: refused as what it is; text with NUL bytes: no known type,
        # but no text either
        put(f"binary/zip-{n}.zip", b"PK\x03\x04\x14\x00\x00\x00\x08\x00" + b"data" * n)
        put(f"binary/nul-{n}.txt", _article(n).encode() + b"\x00\x00tail")
    for n in range(50):
        put(f"empty/{n}.txt", b"")
    for n in range(100):  # 0x81 is undefined in UTF-8 here and in windows-1252
        put(f"invalid-utf8/{n}.txt", _article(n).encode() + b"\n\n\x81\x8d broken")
    for n in range(50):  # not UTF-8, but valid windows-1252: taken as such
        put(f"cp1252/{n}.txt", _article(n, "caf\xe9").encode("cp1252"))
    for n in range(100):
        put(f"latin-1/{n}.txt", _article(n, "señor").encode("latin-1"))
    for n in range(100):
        put(f"utf-16/{n}.txt", _article(n, "Ελληνικά").encode("utf-16"))  # with its BOM
    for n in range(100):
        put(f"bad-json/{n}.json", b'{"title": "Broken", "body": [unclosed' + str(n).encode())
    for n in range(50):
        depth = 100_000 if n % 2 else 5_000
        put(f"deep-json/{n}.json", (b"[" * depth) + (b"]" * depth))
    for n in range(100):
        script = f"<script>document.write('{SCRIPT_MARKER}'); alert({n})</script>"
        page = (
            f"<html><head>{script}<title>Scripted page {n}</title>{script}</head><body>"
            f"{script}<article><h1>Scripted page {n}</h1><p>{_article(n)}</p>{script}"
            f"<p>More words about the harbour for page {n}.</p></article>{script}</body></html>"
        )
        put(f"html/{n}.html", page.encode())
    names = ["with space {n}.txt", "new\nline {n}.txt", "ünïcødé 記事 {n}.txt", "emoji 📰 {n}.md"]
    for n in range(100):
        put(f"names/{names[n % len(names)].format(n=n)}", _article(1000 + n).encode())
    for path in bbc_files(shared_dir)[::15][:150]:
        put(f"valid/{path.parent.name}/{path.name}", path.read_bytes())
    with (inbox / "huge.txt").open("wb") as huge:  # 50 MB, over the 10 MB limit
        huge.truncate(50 * 1024 * 1024)
    made += 1
    return made


SLOW_WRITER = f"""
import sys, time
with open(sys.argv[1], "w", encoding="utf-8") as slow:
    slow.write("A slowly written article {SLOW_TITLE_MARKER}\\n\\n")
    for n in range(12):
        slow.write(f"Paragraph {{n}} arrives late, word by word.\\n\\n")
        slow.flush()
        time.sleep(0.3)
    slow.write("The last paragraph ends with {SLOW_MARKER}.\\n")
"""


def _write_slowly(path: Path) -> "subprocess.Popen[bytes]":
    """A file that grows for several seconds, written by a process of its own so that its
    pauses (0.3 s, under the 1 s settle time) do not wait on this test's own work."""
    return subprocess.Popen([sys.executable, "-c", SLOW_WRITER, str(path)])


@pytest.fixture
def pipeline(
    tmp_path: Path, kafka_bootstrap_servers: str, elasticsearch_url: str
) -> Iterator[RunningPipeline]:
    env = stack_env(
        kafka_bootstrap_servers, elasticsearch_url, f"test-hostile-{uuid.uuid4().hex[:8]}"
    )
    running = RunningPipeline(tmp_path / "pipeline", "up", env)
    try:
        yield running
    finally:
        running.kill_everything()


def test_every_hostile_file_ends_searchable_or_failed_with_a_reason(
    pipeline: RunningPipeline, tmp_path: Path, shared_dir: Path
) -> None:
    outside = tmp_path / "outside" / "secret.txt"
    outside.parent.mkdir()
    outside.write_text(f"Secret title\n\nNever to be read: {OUTSIDE_MARKER}.\n")
    staging = tmp_path / "staging"
    made = _generate(staging, shared_dir, random.Random(7))
    (staging / "link-to-outside.txt").symlink_to(outside)
    made += 2  # the link, and the slow file below
    assert made >= 1000
    staging.rename(pipeline.inbox / "hostile")  # everything appears at once, complete
    slow = _write_slowly(pipeline.inbox / "slow.txt")

    def everything_settled() -> bool:
        """The inbox is empty and every published file is searchable: the others were moved to
        failed/ (by ingest, or by its dead-letter follower when a later stage refused them)."""
        if slow.poll() is None or any(not p.is_dir() for p in pipeline.inbox.rglob("*")):
            return False
        processed = [p for p in (pipeline.folder / "processed").rglob("*") if p.is_file()]
        return listed_once_per_content(pipeline.ids(), _by_relative(processed, pipeline)) == []

    assert eventually(everything_settled, timeout_s=900, interval_s=3), pipeline.log()[-3000:]

    indexed = set(pipeline.ids())
    processed = [p for p in (pipeline.folder / "processed").rglob("*") if p.is_file()]
    failed = [
        p
        for p in (pipeline.folder / "failed").rglob("*")
        if (p.is_file() or p.is_symlink()) and not p.name.endswith(".reason.json")
    ]
    assert len(processed) + len(failed) == made
    assert listed_once_per_content(list(indexed), _by_relative(processed, pipeline)) == []
    for path in failed:
        reason = json.loads(path.with_name(f"{path.name}.reason.json").read_text())
        assert reason["reason"], path
        assert reason["error_type"], path
    kinds = {
        json.loads(p.with_name(f"{p.name}.reason.json").read_text())["error_type"] for p in failed
    }
    expected = {"binary", "unsupported_format", "empty", "too_large", "undecodable"}
    assert expected | {"not_a_regular_file"} <= kinds
    assert (pipeline.folder / "failed" / "hostile" / "link-to-outside.txt").is_symlink()
    bad_json = (pipeline.folder / "failed" / "hostile" / "bad-json").glob("*.json")
    assert len([p for p in bad_json if not p.name.endswith(".reason.json")]) == 100

    def found(words: str) -> int:
        return int(get_json(pipeline.url(f"/articles/search?q={quote(words)}"))["total"])

    assert found(OUTSIDE_MARKER) == 0, "a file outside the inbox was read"
    assert found(SCRIPT_MARKER) == 0, "script text reached the index"
    assert found("Scripted") > 0
    assert found(SLOW_MARKER) == 1
    assert found(SLOW_TITLE_MARKER) == 1, "the slow file was read before it was complete"
    assert found("señor") == 100
    assert found("Ελληνικά") == 100

    output = pipeline.stop()
    assert not pipeline.deaths(output), pipeline.deaths(output)  # no service died on the way
    assert pipeline.process.returncode == 0, output[-2000:]
