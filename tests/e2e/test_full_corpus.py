"""The whole BBC corpus and the reference sample through the whole pipeline, on both back-ends:
every distinct article searchable once, per-section counts right, nothing left in the inbox."""

from collections.abc import Iterator
from pathlib import Path

import pytest

from benchmarks.corpus import bbc_files
from tests.support.pipeline import (
    RunningPipeline,
    eventually,
    listed_once_per_content,
    pipeline_for,
    sha256_of,
    story_id_of,
)
from tests.support.search_corpus import distinct_articles_per_folder

pytestmark = pytest.mark.integration

SAMPLE = "samples/trtworld-2024-09-11-pezeshkian-iraq.txt"


@pytest.fixture(params=["run", "up"])
def pipeline(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[RunningPipeline]:
    yield from pipeline_for(request, tmp_path, request.param, "test-corpus")


def test_every_distinct_article_is_searchable_once(
    pipeline: RunningPipeline, shared_dir: Path
) -> None:
    corpus = bbc_files(shared_dir)
    expected = {sha256_of(path) for path in corpus} | {sha256_of(shared_dir / SAMPLE)}
    assert len(corpus) > len(expected) - 1  # the corpus holds byte-identical duplicates
    for section in sorted({path.parent.name for path in corpus}):
        pipeline.drop([p for p in corpus if p.parent.name == section], folder=section)
    pipeline.drop([shared_dir / SAMPLE], folder="world")

    assert eventually(lambda: pipeline.total() == len(expected), timeout_s=900, interval_s=2), (
        f"{pipeline.total()} of {len(expected)} searchable\n{pipeline.log()[-3000:]}"
    )
    ids = pipeline.ids()
    files = {f"{path.parent.name}/{path.name}": path for path in corpus}
    sample = shared_dir / SAMPLE
    assert listed_once_per_content(ids, {**files, f"world/{sample.name}": sample}) == []
    sections = pipeline.sections()
    for section, count in distinct_articles_per_folder(shared_dir).items():
        assert sections[section] == count, section
    assert [p for p in pipeline.inbox.rglob("*") if p.is_file()] == []

    business = sorted(p for p in corpus if p.parent.name == "business")[0]
    status = pipeline.status(f"business/{business.name}")
    key = f"business/{business.name}"
    assert f"{key}: indexed: story inbox:{key} (id {story_id_of(key)}): this file's version" in (
        status
    )

    output = pipeline.stop()
    assert pipeline.process.returncode == 0, output[-2000:]
    assert not pipeline.deaths(output), pipeline.deaths(output)  # no service died on the way
