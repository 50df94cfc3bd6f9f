"""The JSON Schemas of `articles.raw` and `articles.dlq`, committed beside the enriched
article's (`schemas/`) so that `asyncapi.yaml` and consumers in any language can name them.

`python -m newswire_ops.topic_schemas [DIR]` writes them (default `schemas/`); a unit test
fails when the models and the committed files differ.
"""

import json
import sys
from pathlib import Path

from pydantic import BaseModel

from newswire.messages import DeadLetter, RawArticle

TOPIC_SCHEMAS: dict[str, type[BaseModel]] = {
    "raw-article.v1.json": RawArticle,
    "dead-letter.v1.json": DeadLetter,
}


def json_schema(model: type[BaseModel]) -> str:
    """The committed text of a model's schema (as `newswire.enriched` writes its own)."""
    schema = model.model_json_schema(mode="serialization")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"


def write_schemas(folder: Path) -> None:
    for name, model in TOPIC_SCHEMAS.items():
        (folder / name).write_text(json_schema(model), encoding="utf-8")


if __name__ == "__main__":
    write_schemas(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("schemas"))
