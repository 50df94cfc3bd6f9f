"""Messages that travel between Newswire's services on Kafka, and the dead letters of each stage.

`RawArticle` is what ingest puts on `articles.raw`: one file, exactly as dropped, decoded to text.
`DeadLetter` is what any stage puts on `articles.dlq` when an input cannot be processed: the
reason a person needs to fix the input, and the original bytes so nothing is lost.
"""

import base64
from datetime import UTC, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

RAW_ARTICLE_SCHEMA_VERSION: Literal[1] = 1
DEAD_LETTER_SCHEMA_VERSION: Literal[1] = 1


def utc_now() -> datetime:
    return datetime.now(UTC)


class RawArticle(BaseModel):
    """One article file as it arrived in the inbox. Kafka key: `id`."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    schema_version: Literal[1] = RAW_ARTICLE_SCHEMA_VERSION
    id: str = Field(
        description="Article id: sha256 of the file's bytes, so a re-drop is the same id."
    )
    file_name: str = Field(description="The file's name, e.g. `pezeshkian.txt`.")
    relative_path: str = Field(
        description="Path relative to the inbox with `/` separators, e.g. `world/pezeshkian.txt`."
    )
    size_bytes: int = Field(ge=0)
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    media_type: str = Field(description="Detected media type, e.g. `text/plain`, `text/html`.")
    encoding: str = Field(description="Text encoding the bytes were decoded from, e.g. `utf-8`.")
    received_at: datetime = Field(description="When ingest read the complete file (UTC).")
    content: str = Field(description="The file's text, decoded to Unicode.")


class DeadLetter(BaseModel):
    """An input a stage could not process, with why. Kafka key: the input's key (or file path)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    schema_version: Literal[1] = DEAD_LETTER_SCHEMA_VERSION
    stage: Literal["ingest", "enrich", "indexer"]
    reason: str = Field(description="What is wrong, in words a person can act on.")
    error_type: str = Field(description="A stable machine-readable kind, e.g. `file_too_large`.")
    failed_at: datetime = Field(default_factory=utc_now)
    service_version: str
    source: str = Field(
        description="Where the input came from: `inbox:<relative path>` or "
        "`kafka:<topic>/<partition>/<offset>`."
    )
    original_key: str | None = None
    original_base64: str | None = Field(
        default=None, description="The original bytes (message value or file), base64-encoded."
    )

    @staticmethod
    def encode_original(original: bytes | None) -> str | None:
        return base64.b64encode(original).decode("ascii") if original is not None else None
