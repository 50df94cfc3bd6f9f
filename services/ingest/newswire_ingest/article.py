"""What ingest makes of a file: a raw article, or a dead letter saying why the file was refused."""

from datetime import datetime

from newswire.messages import DeadLetter, RawArticle
from newswire.text_files import NotTextError


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
    """The file's article: its text, or the bytes of a Word (.docx) or PDF document, which enrich
    reads; an empty file, or one that is neither, is refused."""
    if not data:
        raise FileRejectedError("empty", "the file is empty")
    try:
        return RawArticle.from_bytes(data, relative_path, received_at, fallback_encoding)
    except NotTextError as error:
        raise FileRejectedError(error.error_type, str(error)) from error


def dead_letter(
    rejection: FileRejectedError, relative_path: str, original: bytes | None
) -> DeadLetter:
    """`original` is the file's bytes when they were read, so the dead letter loses nothing."""
    return DeadLetter.for_file(relative_path, rejection.error_type, rejection.reason, original)
