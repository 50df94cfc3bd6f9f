"""No document can stall the pipeline: the probe's Word bombs dropped into a running `newswire run`
(embedded) and `newswire up` (Kafka and Elasticsearch), each followed 2 s later by a normal
article. The article is searchable within 30 s, the bombs end in `failed/` with their reason,
and no service dies on the way.

With the default limits the bombs are refused before any parser reads them. With the limits
opened wide, the parser process's own budget must stop them: its deadline or its address-space
cap, whichever the bomb reaches first on the machine of the day (tests/unit/enrich's
test_parser_process shows each on its own).
"""

import json
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from benchmarks.bombs import paragraph_bomb, zip_bomb
from tests.support.pipeline import RunningPipeline, eventually, pipeline_for, story_id_of

pytestmark = pytest.mark.integration

NEXT_ARTICLE_WITHIN_S = 30
BOMB_IN_FAILED_WITHIN_S = 180
WIDE_OPEN = {
    "NEWSWIRE_ENRICH_MAX_COMPRESSION_RATIO": "1000000000",
    "NEWSWIRE_ENRICH_MAX_UNPACKED_BYTES": "100000000000",
    "NEWSWIRE_ENRICH_MAX_PARAGRAPHS": "1000000000",
    "NEWSWIRE_ENRICH_MAX_ARTICLE_CHARACTERS": "1000000000000",
    # One short try each and a smaller heap: the budget's own stop, without a busy machine's
    # retries pushing the article after the bombs past its 30 s.
    "NEWSWIRE_ENRICH_PARSE_TIMEOUT_S": "2",
    "NEWSWIRE_ENRICH_PARSE_ATTEMPTS": "1",
    "NEWSWIRE_ENRICH_PARSE_MEMORY_MB": "512",
}


@pytest.fixture(scope="module")
def bombs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("bombs")
    made = {
        "paragraph-bomb.docx": paragraph_bomb(),  # about 60 KB: 250,000 paragraphs
        "zip-bomb.docx": zip_bomb(1_500_000_000),  # about 1.5 MB: 1.5 GB of text
    }
    for name, data in made.items():
        (folder / name).write_bytes(data)
    return {name: folder / name for name in made}


@pytest.fixture(params=["run", "up"])
def pipeline(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[RunningPipeline]:
    yield from pipeline_for(request, tmp_path / "pipeline", request.param, "test-bombs")


@pytest.fixture
def wide_open_pipeline(tmp_path: Path) -> Iterator[RunningPipeline]:
    running = RunningPipeline(tmp_path / "pipeline", "run", WIDE_OPEN)
    try:
        yield running
    finally:
        running.kill_everything()


def _searchable(pipeline: RunningPipeline, relative_path: str) -> bool:
    try:
        response = httpx.get(pipeline.url(f"/articles/{story_id_of(relative_path)}"), timeout=5)
    except httpx.HTTPError:
        return False
    return response.status_code == 200


def _drop_bombs_then_an_article(
    pipeline: RunningPipeline, bombs: dict[str, Path], shared_dir: Path
) -> dict[str, str]:
    """Warm the pipeline up, drop the bombs and, 2 s later, an article; returns each bomb's
    reason (`error_type`) once it is in `failed/`."""
    corpus = sorted((shared_dir / "corpora" / "bbc" / "tech").glob("*.txt"))
    pipeline.drop(corpus[:1], "warm-up")
    assert eventually(lambda: _searchable(pipeline, f"warm-up/{corpus[0].name}"), 180), (
        pipeline.log()[-3000:]
    )

    pipeline.drop(bombs.values(), "bombs")
    time.sleep(2)
    pipeline.drop(corpus[1:2], "after")
    assert eventually(
        lambda: _searchable(pipeline, f"after/{corpus[1].name}"), NEXT_ARTICLE_WITHIN_S
    ), "the article dropped after the bombs was not searchable in time"

    failed = pipeline.folder / "failed" / "bombs"
    reasons = [failed / f"{name}.reason.json" for name in bombs]
    assert eventually(lambda: all(r.is_file() for r in reasons), BOMB_IN_FAILED_WITHIN_S)
    assert all((failed / name).is_file() for name in bombs)
    return {
        name: json.loads(reason.read_text())["error_type"]
        for name, reason in zip(bombs, reasons, strict=True)
    }


def test_word_bombs_are_refused_before_parsing_and_the_next_article_goes_through(
    pipeline: RunningPipeline, bombs: dict[str, Path], shared_dir: Path
) -> None:
    reasons = _drop_bombs_then_an_article(pipeline, bombs, shared_dir)
    assert reasons == {
        "paragraph-bomb.docx": "document_too_large",
        "zip-bomb.docx": "document_too_large",
    }
    status = pipeline.status("bombs/zip-bomb.docx")
    assert "failed: enrich [document_too_large] a package that unpacks to" in status
    output = pipeline.stop()
    assert pipeline.deaths(output) == ""


def test_with_the_limits_wide_open_the_parsers_budget_stops_the_bombs(
    wide_open_pipeline: RunningPipeline, bombs: dict[str, Path], shared_dir: Path
) -> None:
    reasons = _drop_bombs_then_an_article(wide_open_pipeline, bombs, shared_dir)
    assert set(reasons) == set(bombs)
    assert set(reasons.values()) <= {"parse_timeout", "parse_out_of_memory"}
    output = wide_open_pipeline.stop()
    assert wide_open_pipeline.deaths(output) == ""
