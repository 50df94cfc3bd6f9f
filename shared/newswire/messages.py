"""Messages that travel between Newswire's services on the event log, and the dead letters of each
stage.

`RawArticle` is what ingest puts on `articles.raw`: one file, exactly as dropped, decoded to text;
or, for the binary documents Newswire reads (Word .docx, PDF), its bytes in base64.
`DeadLetter` is what any stage puts on `articles.dlq` when an input cannot be processed: the
reason a person needs to fix the input, and the original bytes so nothing is lost.

Each is built here, from a file's bytes or from a consumed record, so that the rules (the id is
the sha256 of the bytes; a letter's `source` names the inbox path or the log position) are
written once for every stage and for `newswire parse`.
"""

import base64
import hashlib
from datetime import UTC, datetime
from pathlib import PurePosixPath
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from newswire import __version__
from newswire.event_log import Record
from newswire.text_files import (
    DEFAULT_FALLBACK_ENCODING,
    article_document_type,
    decode_text,
    media_type,
)

RAW_ARTICLE_SCHEMA_VERSION: Literal[1] = 1
BINARY_ENCODING = "binary"  # the `encoding` of a raw article that carries bytes, not text
DEAD_LETTER_SCHEMA_VERSION: Literal[1] = 1

Stage = Literal["ingest", "enrich", "indexer"]


def utc_now() -> datetime:
    return datetime.now(UTC)


class RawArticle(BaseModel):
    """One article file as it arrived in the inbox. Key on the log: `id`."""

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
    media_type: str = Field(
        description="Detected media type, e.g. `text/plain`, `text/html`, `application/pdf`."
    )
    encoding: str = Field(
        description="Text encoding the bytes were decoded from, e.g. `utf-8`; `binary` when "
        "`content_base64` carries the bytes instead."
    )
    received_at: datetime = Field(description="When ingest read the complete file (UTC).")
    content: str = Field(description="The file's text, decoded to Unicode; empty for binaries.")
    content_base64: str | None = Field(
        default=None,
        description="For binary documents Newswire reads (Word .docx, PDF; `media_type` says "
        "which): the file's bytes, base64-encoded. Absent for text files.",
    )

    @classmethod
    def from_bytes(
        cls,
        data: bytes,
        relative_path: str,
        received_at: datetime,
        fallback_encoding: str = DEFAULT_FALLBACK_ENCODING,
    ) -> "RawArticle":
        """The article a file's bytes make, dropped at `relative_path` (`/`-separated) in the
        inbox: its text, or its bytes for a Word or PDF document. Raises
        `newswire.text_files.NotTextError` when the bytes are neither text nor such a document."""
        digest = hashlib.sha256(data).hexdigest()
        file_name = PurePosixPath(relative_path).name
        document_type = article_document_type(data)
        if document_type is not None:
            return cls(
                id=digest,
                file_name=file_name,
                relative_path=relative_path,
                size_bytes=len(data),
                sha256=digest,
                media_type=document_type,
                encoding=BINARY_ENCODING,
                received_at=received_at,
                content="",
                content_base64=base64.b64encode(data).decode("ascii"),
            )
        decoded = decode_text(data, fallback_encoding)
        return cls(
            id=digest,
            file_name=file_name,
            relative_path=relative_path,
            size_bytes=len(data),
            sha256=digest,
            media_type=media_type(file_name, decoded.text),
            encoding=decoded.encoding,
            received_at=received_at,
            content=decoded.text,
        )

    def binary_content(self) -> bytes | None:
        """The bytes of a binary document, or None for a text article."""
        if self.content_base64 is None:
            return None
        return base64.b64decode(self.content_base64, validate=True)


class DeadLetter(BaseModel):
    """An input a stage could not process, with why. Key on the log: the input's key (or file
    path)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    schema_version: Literal[1] = DEAD_LETTER_SCHEMA_VERSION
    stage: Stage
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

    @classmethod
    def for_file(
        cls, relative_path: str, error_type: str, reason: str, original: bytes | None
    ) -> "DeadLetter":
        """Ingest's letter for a file of the inbox it refuses; `original` is the file's bytes
        when they were read (None when they were not, e.g. a file over the size limit)."""
        return cls(
            stage="ingest",
            reason=reason,
            error_type=error_type,
            service_version=__version__,
            source=f"inbox:{relative_path}",
            original_base64=cls.encode_original(original),
        )

    @classmethod
    def for_record(
        cls,
        stage: Stage,
        record: Record,
        error_type: str,
        reason: str,
        *,
        original: bytes | None = None,
    ) -> "DeadLetter":
        """A stage's letter for a message it consumed and cannot process. The bytes kept are the
        record's value, or `original` when given (e.g. the one line of a feed that failed).

        `source` is `kafka:<topic>/<partition>/<offset>` whichever event log it came from: that
        format is part of the public dead-letter contract."""
        return cls(
            stage=stage,
            reason=reason,
            error_type=error_type,
            service_version=__version__,
            source=f"kafka:{record.topic}/{record.partition}/{record.offset}",
            original_key=record.key.decode("utf-8", "replace") if record.key else None,
            original_base64=cls.encode_original(original if original is not None else record.value),
        )

    @staticmethod
    def encode_original(original: bytes | None) -> str | None:
        return base64.b64encode(original).decode("ascii") if original is not None else None
