"""The articles.enriched contract: the committed JSON Schema is the model's, field for field."""

import json

from newswire.enriched import EnrichedArticle, enriched_article_json_schema
from tests.conftest import REPO_ROOT
from tests.support.enrichers import fake_enricher, raw_article

SCHEMA = REPO_ROOT / "schemas" / "enriched-article.v1.json"
FIELD_TABLE = REPO_ROOT / "docs" / "enriched-article.md"


def test_committed_schema_matches_the_model() -> None:
    assert SCHEMA.read_text(encoding="utf-8") == enriched_article_json_schema(), (
        "EnrichedArticle and the committed schema drifted; within v1 only add optional fields, "
        "then regenerate: python -m newswire.enriched > schemas/enriched-article.v1.json"
    )


def test_messages_carry_schema_version_1() -> None:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    assert schema["properties"]["schema_version"]["const"] == 1
    (enrichment,) = fake_enricher().enrich([raw_article("T\n\nB.")])
    assert json.loads(enrichment.articles[0].model_dump_json())["schema_version"] == 1


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
