"""Stories, not files, through `newswire run` (embedded) and `newswire up` (Kafka and
Elasticsearch) as a user runs them: an agency story in three versions then a kill, an embargo
that lifts on time, a corrected file dropped again under its name, and a writer that closes its
file and saves it again. Read back over HTTP and with `newswire status`."""

import json
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any
from urllib.parse import quote

import pytest

from newswire.enriched import story_id
from tests.support.pipeline import RunningPipeline, eventually, get_json, stack_env, story_id_of

pytestmark = pytest.mark.integration

WAIT_S = 180.0


@pytest.fixture(scope="module", params=["run", "up"])
def pipeline(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    kafka_bootstrap_servers: str,
    elasticsearch_url: str,
) -> Iterator[RunningPipeline]:
    folder = tmp_path_factory.mktemp(f"stories-{request.param}")
    env = (
        stack_env(kafka_bootstrap_servers, elasticsearch_url, f"test-story-{uuid.uuid4().hex[:8]}")
        if request.param == "up"
        else {}
    )
    running = RunningPipeline(folder, request.param, env)
    try:
        assert eventually(lambda: running.total() >= 0, timeout_s=WAIT_S), running.log()[-3000:]
        yield running
        output = running.stop()
        assert not running.deaths(output), running.deaths(output)
    finally:
        running.kill_everything()


def status_of(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return error.code


def problem_of(url: str) -> dict[str, Any]:
    try:
        urllib.request.urlopen(url, timeout=10)
    except urllib.error.HTTPError as error:
        detail: dict[str, Any] = json.loads(error.read())
        return detail
    raise AssertionError(f"{url} answered 2xx")


def hits(pipeline: RunningPipeline, words: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = get_json(
        pipeline.url(f"/articles/search?q={quote(words)}&size=20")
    )["hits"]
    return found


def shows(pipeline: RunningPipeline, words: str, titles: list[str]) -> bool:
    return [hit["title"] for hit in hits(pipeline, words)] == titles


def drop_file(pipeline: RunningPipeline, relative: str, content: str) -> None:
    """Write a file in the inbox complete at once (written beside it, then renamed)."""
    target = pipeline.inbox / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.name}.part")
    temporary.write_text(content, encoding="utf-8")
    temporary.rename(target)


def taken(pipeline: RunningPipeline, relative: str) -> bool:
    return not (pipeline.inbox / relative).exists()


def ninjs(uri: str, version: int, headline: str, body: str, **extra: Any) -> str:
    made = datetime(2026, 3, 2, 9, 0, tzinfo=UTC) + timedelta(minutes=version)
    return json.dumps(
        {
            "uri": uri,
            "version": str(version),
            "versioncreated": made.isoformat(),
            "headline": headline,
            "body_text": body,
            "pubstatus": "usable",
            **extra,
        }
    )


def test_an_agency_story_in_three_versions_then_a_kill(pipeline: RunningPipeline) -> None:
    uri = f"urn:newsml:agency.example:20260302:{uuid.uuid4().hex[:8]}"
    article_id = story_id(f"guid:{uri}")
    words = "quokka ferry"
    for version in (1, 2, 3):
        headline = f"Quokka ferry strike, version {version}"
        body = f"The quokka ferry crews walked out. Update number {version}."
        drop_file(pipeline, f"agency/ferry-v{version}.json", ninjs(uri, version, headline, body))
        assert eventually(partial(shows, pipeline, words, [headline]), timeout_s=WAIT_S), (
            pipeline.log()[-3000:]
        )

    (hit,) = hits(pipeline, words)
    assert hit["id"] == article_id
    assert hit["updated"] is not None
    versions = get_json(pipeline.url(f"/articles/{article_id}/versions"))["versions"]
    assert [v["version"] for v in versions] == [3, 2, 1]
    assert "agency/ferry-v2.json: indexed" in pipeline.status("agency/ferry-v2.json")
    assert "superseded by version 3" in pipeline.status("agency/ferry-v2.json")

    kill = ninjs(uri, 4, "Quokka ferry strike: KILL", "Withdrawn.", pubstatus="canceled")
    drop_file(
        pipeline, "agency/ferry-kill.json", json.dumps(json.loads(kill) | {"ednote": "Legal"})
    )
    article = pipeline.url(f"/articles/{article_id}")
    assert eventually(lambda: status_of(article) == 410, timeout_s=WAIT_S), pipeline.log()[-3000:]
    assert "Legal" in problem_of(article)["detail"]
    # Elasticsearch searches what its last refresh (every second) made visible.
    assert eventually(lambda: hits(pipeline, words) == [], timeout_s=5)
    assert status_of(pipeline.url(f"/articles/{article_id}/similar")) == 410
    assert "killed" in pipeline.status("agency/ferry-v3.json")


def test_an_embargoed_story_is_invisible_until_its_time_then_appears_on_time(
    pipeline: RunningPipeline,
) -> None:
    uri = f"urn:newsml:agency.example:20260302:{uuid.uuid4().hex[:8]}"
    article_id = story_id(f"guid:{uri}")
    until = (datetime.now(UTC) + timedelta(seconds=20)).replace(microsecond=0)
    drop_file(
        pipeline,
        "agency/embargoed.json",
        ninjs(
            uri, 1, "Platypus budget embargoed", "The platypus budget.", embargoed=until.isoformat()
        ),
    )
    assert eventually(
        lambda: "embargoed until" in pipeline.status("agency/embargoed.json"), timeout_s=20
    ), pipeline.status("agency/embargoed.json") + pipeline.log()[-3000:]
    assert f"embargoed until {until.isoformat()}" in pipeline.status("agency/embargoed.json")
    assert datetime.now(UTC) < until, "the pipeline took the whole embargo to index the story"
    assert hits(pipeline, "platypus") == []
    assert status_of(pipeline.url(f"/articles/{article_id}")) == 404

    seen_at: list[datetime] = []

    def visible() -> bool:
        if [hit["id"] for hit in hits(pipeline, "platypus")] == [article_id]:
            seen_at.append(datetime.now(UTC))
            return True
        return False

    assert eventually(visible, timeout_s=60, interval_s=0.2)
    # Asked every 0.2 s: seen within a second of the embargo's end, never before it.
    assert until <= seen_at[0] < until + timedelta(seconds=1), f"appeared at {seen_at[0]}"
    assert status_of(pipeline.url(f"/articles/{article_id}")) == 200


def test_a_corrected_file_dropped_again_under_its_name_replaces_the_story(
    pipeline: RunningPipeline,
) -> None:
    relative = f"world/{uuid.uuid4().hex[:8]}-story.txt"
    drop_file(pipeline, relative, "Wombat census counts 900\n\nThe wombat census counted 900.\n")
    assert eventually(lambda: taken(pipeline, relative), timeout_s=WAIT_S)
    assert eventually(lambda: len(hits(pipeline, "wombat census")) == 1, timeout_s=WAIT_S)
    corrected = "Wombat census counts 9,000\n\nCorrection: the wombat census counted 9,000.\n"
    drop_file(pipeline, relative, corrected)

    assert eventually(
        lambda: (
            [h["title"] for h in hits(pipeline, "wombat census")] == ["Wombat census counts 9,000"]
        ),
        timeout_s=WAIT_S,
    ), pipeline.log()[-3000:]
    (hit,) = hits(pipeline, "wombat census")
    assert hit["id"] == story_id_of(relative)
    assert hit["updated"] is not None
    versions = get_json(pipeline.url(f"/articles/{hit['id']}/versions"))["versions"]
    assert [v["title"] for v in versions] == [
        "Wombat census counts 9,000",
        "Wombat census counts 900",
    ]
    assert "is the current one" in pipeline.status(relative)


def test_a_writer_that_closes_and_saves_its_file_again_leaves_only_the_complete_article(
    pipeline: RunningPipeline,
) -> None:
    relative = f"desk/{uuid.uuid4().hex[:8]}-live.txt"
    path = pipeline.inbox / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    paragraphs = [f"Narwhal vote paragraph {n}.\n\n" for n in range(4)]
    path.write_text("Narwhal vote live\n\n" + "".join(paragraphs[:2]))  # closed half-written
    assert eventually(lambda: taken(pipeline, relative), timeout_s=WAIT_S)  # ingest took it
    path.write_text("Narwhal vote live\n\n" + "".join(paragraphs))  # the writer saves it whole

    def complete() -> bool:
        found = hits(pipeline, "narwhal")
        if len(found) != 1:
            return False
        article = get_json(pipeline.url(f"/articles/{found[0]['id']}"))
        return len(article["body"]) == len(paragraphs)

    assert eventually(complete, timeout_s=WAIT_S), pipeline.log()[-3000:]
    assert [hit["id"] for hit in hits(pipeline, "narwhal")] == [story_id_of(relative)]
