"""What people drop that used to stop the inbox, through `newswire run` as a user runs it: names
too long to number or to move deeper, names that are not UTF-8 or hold a newline, a writer that
keeps its file open, binary files. Each ends searchable or in `failed/` with its reason,
ingest never restarts, and file-system events keep flowing: the rescan is set far beyond every
wait here, so only events can bring a file in time."""

import hashlib
import io
import json
import os
import re
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.pipeline import RunningPipeline, eventually, get_json

pytestmark = pytest.mark.integration

WAIT_S = 90.0
LOG_LINE = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} [A-Z]+ [\w.]+: ")


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningPipeline]:
    folder = tmp_path_factory.mktemp("hazards")
    # The processed and failed folders sit 600 bytes deeper than the inbox: a path that fits
    # the inbox can be too long for them.
    deeper = folder / ("p" * 200) / ("q" * 200) / ("r" * 200)
    running = RunningPipeline(
        folder,
        "run",
        {
            "NEWSWIRE_INGEST_PROCESSED_DIR": str(deeper / "processed"),
            "NEWSWIRE_INGEST_FAILED_DIR": str(deeper / "failed"),
            "NEWSWIRE_INGEST_RESCAN_INTERVAL_S": "3600",
        },
    )
    try:
        assert eventually(lambda: running.total() >= 0, timeout_s=WAIT_S), running.log()[-3000:]
        yield running
        output = running.stop()
        assert not running.deaths(output), running.deaths(output)  # no service died on the way
    finally:
        running.kill_everything()


def drop(pipeline: RunningPipeline, name: bytes, data: bytes) -> Path:
    path = Path(os.fsdecode(os.fsencode(pipeline.inbox) + b"/" + name))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def story(marker: str) -> bytes:
    return f"A story about {marker}\n\nIts body names {marker} again.\n".encode()


def searchable(pipeline: RunningPipeline, data: bytes) -> bool:
    """A listed story's current version is made of exactly these bytes."""
    content = hashlib.sha256(data).hexdigest()
    try:
        return any(
            get_json(pipeline.url(f"/articles/{story}"))["content_sha256"] == content
            for story in pipeline.ids()
        )
    except OSError:  # the API is still starting
        return False


def reasons(pipeline: RunningPipeline) -> list[dict[str, str]]:
    failed = pipeline.folder / ("p" * 200) / ("q" * 200) / ("r" * 200) / "failed"
    return [json.loads(path.read_bytes()) for path in failed.rglob("*.reason.json")]


def test_a_255_byte_name_dropped_twice_is_its_story_corrected(pipeline: RunningPipeline) -> None:
    name = b"n" * 251 + b".txt"
    first, second = story("xylophone harbour"), story("xylophone quay")
    dropped = drop(pipeline, name, first)
    assert eventually(lambda: not dropped.exists(), timeout_s=WAIT_S)
    assert eventually(lambda: searchable(pipeline, first), timeout_s=WAIT_S)
    drop(pipeline, name, second)

    assert eventually(lambda: searchable(pipeline, second), timeout_s=WAIT_S)
    assert not searchable(pipeline, first)  # the second drop is the story's next version


def test_a_path_that_fits_the_inbox_but_not_the_processed_folder_is_searchable(
    pipeline: RunningPipeline,
) -> None:
    folders = b"/".join([b"f" * 250] * 13)  # about 3,260 bytes: +600 is over PATH_MAX
    data = story("zeppelin runway")
    drop(pipeline, folders + b"/deep.txt", data)

    assert eventually(lambda: searchable(pipeline, data), timeout_s=WAIT_S)


def test_an_empty_file_with_a_255_byte_name_fails_with_its_reason(
    pipeline: RunningPipeline,
) -> None:
    dropped = drop(pipeline, b"e" * 251 + b".txt", b"")

    assert eventually(lambda: not dropped.exists(), timeout_s=WAIT_S)
    assert eventually(
        lambda: any(
            r["error_type"] == "empty" and "e" * 200 in r["source"] for r in reasons(pipeline)
        ),
        timeout_s=WAIT_S,
    )


def test_files_enrich_refuses_reach_failed_with_the_reason_whatever_their_name(
    pipeline: RunningPipeline,
) -> None:
    names = [b"j" * 245 + b".json", b"caf\xe9-refused.json", b"short-refused.json"]
    for name in names:
        drop(pipeline, name, b'{"title": ')  # malformed: enrich refuses it

    def all_failed() -> bool:
        enrich_reasons = [r for r in reasons(pipeline) if r["stage"] == "enrich"]
        return len(enrich_reasons) >= len(names)

    assert eventually(all_failed, timeout_s=WAIT_S), reasons(pipeline)


def test_a_name_that_is_not_utf8_is_searchable_and_events_still_flow(
    pipeline: RunningPipeline,
) -> None:
    first, after = story("quagga lagoon"), story("quokka lagoon")
    drop(pipeline, b"world/caf\xe9 \xff.txt", first)
    assert eventually(lambda: searchable(pipeline, first), timeout_s=WAIT_S)
    drop(pipeline, b"world/after.txt", after)

    assert eventually(lambda: searchable(pipeline, after), timeout_s=WAIT_S)


def test_a_name_with_a_newline_cannot_forge_a_log_line(pipeline: RunningPipeline) -> None:
    forged = b"x.txt\n2026-12-01 00:00:00,000 ERROR newswire_ingest.service: forged.txt"
    data = story("narwhal forgery")
    drop(pipeline, forged, data)
    assert eventually(lambda: searchable(pipeline, data), timeout_s=WAIT_S)

    lines = (pipeline.folder / "logs" / "ingest.log").read_text(errors="replace").splitlines()
    assert all(LOG_LINE.match(line) or line.startswith((" ", "Traceback")) for line in lines)
    assert not any(line.startswith("2026-12-01 00:00:00,000 ERROR") for line in lines)


def test_a_writer_that_keeps_its_file_open_makes_one_article_with_every_paragraph(
    pipeline: RunningPipeline,
) -> None:
    path = pipeline.inbox / "slow" / "live.txt"
    path.parent.mkdir(parents=True, exist_ok=True)
    paragraphs = [f"Live paragraph {n} about the walrus election.\n\n" for n in range(8)]
    with path.open("w") as writer:
        writer.write("Walrus election live\n\n")
        for paragraph in paragraphs:
            writer.write(paragraph)
            writer.flush()
            time.sleep(1.5)
    whole = path.read_bytes()

    assert eventually(lambda: searchable(pipeline, whole), timeout_s=WAIT_S)
    found = get_json(pipeline.url("/articles/search?q=walrus&size=10"))
    assert found["total"] == 1  # no partial article beside the complete one
    article = get_json(pipeline.url(f"/articles/{found['hits'][0]['id']}"))
    assert len(article["body"]) == len(paragraphs)


def _docx() -> bytes:
    """A zip with a Word document's names but no document in it: damaged."""
    document = io.BytesIO()
    with zipfile.ZipFile(document, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document>A story</w:document>")
    return document.getvalue()


def test_binary_files_are_refused_as_what_they_are(pipeline: RunningPipeline) -> None:
    """Images and archives are named by their type, not as text in a wrong encoding; a damaged
    Word file (Word and PDF are read since issue 15) is refused by enrich, named as such."""
    drop(pipeline, b"office/photo.png", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(64))
    drop(pipeline, b"office/bundle.zip", b"PK\x03\x04\x14\x00\x00\x00\x08\x00" + b"data" * 8)
    drop(pipeline, b"office/damaged.docx", _docx())

    def refused() -> list[str]:
        named = ("PNG file", "ZIP file", "DOCX file")
        return sorted(
            r["reason"].split(" (")[0]
            for r in reasons(pipeline)
            if any(n in r["reason"] for n in named)
        )

    assert eventually(lambda: len(refused()) == 3, timeout_s=WAIT_S), reasons(pipeline)
    assert refused() == [
        "it is a DOCX file that cannot be read",
        "it is a PNG file",
        "it is a ZIP file",
    ]
