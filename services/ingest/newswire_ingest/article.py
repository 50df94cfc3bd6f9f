"""What ingest makes of a file: a raw article, or a dead letter saying why the file was refused."""

import hashlib
from datetime import datetime
from pathlib import PurePosixPath

from newswire import __version__
from newswire.messages import DeadLetter, RawArticle
from newswire.text_files import NotTextError, decode_text, media_type


class FileRejectedError(Exception):
    """A file that can't become an article as it is. `error_type` is stable for machines;
    `reason` tells a person what to fix."""

    def __init__(self, error_type: str, reason: str) -> None:
        super().__init__(reason)
        self.error_type = error_type
        self.reason = reason


def raw_article(
    data: bytes, relative_path: str, received_at: datetime, fallback_encoding: str
) -> RawArticle:
    if not data:
        raise FileRejectedError("empty", "the file is empty")
    try:
        decoded = decode_text(data, fallback_encoding)
    except NotTextError as error:
        raise FileRejectedError(error.error_type, str(error)) from error
    digest = hashlib.sha256(data).hexdigest()
    file_name = PurePosixPath(relative_path).name
    return RawArticle(
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


def dead_letter(
    rejection: FileRejectedError, relative_path: str, original: bytes | None
) -> DeadLetter:
    """`original` is the file's bytes when they were read, so the dead letter loses nothing."""
    return DeadLetter(
        stage="ingest",
        reason=rejection.reason,
        error_type=rejection.error_type,
        service_version=__version__,
        source=f"inbox:{relative_path}",
        original_base64=DeadLetter.encode_original(original),
    )
