"""The articles.enriched contract: the committed JSON Schema is the model's, field for field."""

import json

import pytest

from newswire.enriched import (
    EnrichedArticle,
    EnrichedArticleV1,
    enriched_article_json_schema,
    story_id,
)
from tests.conftest import REPO_ROOT
from tests.support.enrichers import fake_enricher, raw_article

SCHEMA = REPO_ROOT / "schemas" / "enriched-article.v2.json"
SCHEMA_V1 = REPO_ROOT / "schemas" / "enriched-article.v1.json"
FIELD_TABLE = REPO_ROOT / "docs" / "enriched-article.md"


@pytest.mark.parametrize("version", [1, 2])
def test_committed_schemas_match_the_models(version: int) -> None:
    committed = REPO_ROOT / "schemas" / f"enriched-article.v{version}.json"
    assert committed.read_text(encoding="utf-8") == enriched_article_json_schema(version), (
        f"the v{version} model and its committed schema drifted; within a version only add "
        f"optional fields, then regenerate: python -m newswire.enriched {version} > {committed}"
    )


def test_messages_carry_schema_version_2_and_the_story_id_as_id() -> None:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    assert schema["properties"]["schema_version"]["const"] == 2
    raw = raw_article("T\n\nB.")
    (enrichment,) = fake_enricher().enrich([raw])
    message = json.loads(enrichment.articles[0].model_dump_json())
    assert message["schema_version"] == 2
    assert message["story_key"] == f"inbox:{raw.relative_path}"
    assert message["id"] == story_id(message["story_key"])
    assert message["content_sha256"] == raw.id


def test_a_v1_message_is_read_as_the_version_of_its_story_it_is() -> None:
    (enrichment,) = fake_enricher().enrich([raw_article("T\n\nB.")])
    article = enrichment.articles[0]
    legacy = EnrichedArticleV1.of(article)
    assert (
        json.loads(SCHEMA_V1.read_text(encoding="utf-8"))["properties"]["schema_version"]["const"]
        == legacy.schema_version
        == 1
    )
    assert legacy.id == article.content_sha256

    upgraded = EnrichedArticle.model_validate_json(legacy.model_dump_json())

    assert (upgraded.id, upgraded.story_key, upgraded.content_sha256) == (
        article.id,
        article.story_key,
        article.content_sha256,
    )
    assert upgraded.provenance.received_at == article.provenance.enriched_at


def test_a_reader_of_v1_accepts_a_message_with_fields_added_later() -> None:
    (enrichment,) = fake_enricher().enrich([raw_article("T\n\nB.")])
    message = json.loads(enrichment.articles[0].model_dump_json())
    message["sentiment"] = 0.4
    assert EnrichedArticle.model_validate(message) == enrichment.articles[0]


def test_every_top_level_field_is_in_the_documented_field_table() -> None:
    table = FIELD_TABLE.read_text(encoding="utf-8")
    documented = {
        line.split("|")[1].strip().strip("`")
        for line in table.splitlines()
        if line.startswith("| `")
    }
    assert set(EnrichedArticle.model_fields) <= documented
