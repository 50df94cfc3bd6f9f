"""Local files as the raw articles ingest would make of them, for `newswire parse`."""

from pathlib import Path

from newswire.messages import RawArticle, utc_now


def raw_article_from_file(path: Path, inbox: Path | None = None) -> RawArticle:
    """The file as if dropped in `inbox` (its first folder there is the section hint); without
    an inbox, as if dropped at the top of one. Raises `NotTextError` for binary files other
    than Word (.docx) and PDF documents."""
    data = path.read_bytes()
    relative_path = path.resolve().relative_to(inbox.resolve()) if inbox else Path(path.name)
    return RawArticle.from_bytes(data, relative_path.as_posix(), utc_now())
