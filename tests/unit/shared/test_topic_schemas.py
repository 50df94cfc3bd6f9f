"""The committed schemas of `articles.raw` and `articles.dlq` (named by asyncapi.yaml) are the
models' own."""

from pathlib import Path

import pytest

from newswire_ops.topic_schemas import TOPIC_SCHEMAS, json_schema

SCHEMAS = Path(__file__).resolve().parents[3] / "schemas"


@pytest.mark.parametrize("name", sorted(TOPIC_SCHEMAS))
def test_the_committed_topic_schema_is_the_models(name: str) -> None:
    assert (SCHEMAS / name).read_text(encoding="utf-8") == json_schema(TOPIC_SCHEMAS[name]), (
        f"schemas/{name} drifted from its model: run `python -m newswire_ops.topic_schemas`"
    )
