"""Local files as the raw articles ingest would make of them, for `newswire parse`."""

import hashlib
from datetime import UTC, datetime
from pathlib import Path

from newswire.messages import RawArticle
from newswire.text_files import decode_text, media_type


def raw_article_from_file(path: Path, inbox: Path | None = None) -> RawArticle:
    """The file as if dropped in `inbox` (its first folder there is the section hint); without
    an inbox, as if dropped at the top of one. Raises `NotTextError` for binary files."""
    data = path.read_bytes()
    decoded = decode_text(data)
    relative_path = path.resolve().relative_to(inbox.resolve()) if inbox else Path(path.name)
    digest = hashlib.sha256(data).hexdigest()
    return RawArticle(
        id=digest,
        file_name=path.name,
        relative_path=relative_path.as_posix(),
        size_bytes=len(data),
        sha256=digest,
        media_type=media_type(path.name, decoded.text),
        encoding=decoded.encoding,
        received_at=datetime.now(UTC),
        content=decoded.text,
    )
