"""Why an input cannot become an article; each kind has a stable `error_type` for the DLQ."""

from typing import ClassVar


class ArticleRejectedError(Exception):
    """The input is at fault, not the service: it goes to `articles.dlq` with this reason."""

    error_type: ClassVar[str] = "article_rejected"


class UnknownFormatError(ArticleRejectedError):
    error_type = "unknown_format"


class UnparseableArticleError(ArticleRejectedError):
    error_type = "unparseable_article"


class ArticleTooLongError(ArticleRejectedError):
    error_type = "article_too_long"


class DocumentTooLargeError(ArticleRejectedError):
    """Past one of enrich's limits on what it reads (`document_limits`)."""

    error_type = "document_too_large"


class ParseTimeoutError(ArticleRejectedError):
    """The parser ran past its time budget on this input (`parser_process`)."""

    error_type = "parse_timeout"


class ParseMemoryError(ArticleRejectedError):
    """The parser ran past its memory budget on this input (`parser_process`)."""

    error_type = "parse_out_of_memory"


class ParserCrashedError(ArticleRejectedError):
    """The process parsing this input died (a crash in a parser's native code)."""

    error_type = "parser_crashed"


class ParserFailedError(ArticleRejectedError):
    """A parser met this input with an error nobody foresaw (a bug of ours or of a library);
    its details are in enrich's log, the reason says what a person can do."""

    error_type = "enrich_failed"


NESTED_TOO_DEEPLY = (
    "the document is nested too deeply to read (more levels of elements or brackets than a "
    "parser follows): send it flatter, or as plain text"
)
UNFORESEEN = (
    "a parser failed unexpectedly on this document (a fault in Newswire or a library it uses, "
    "logged by enrich with its details): report it with the file, or send the text in another "
    "format"
)


def rejection_for(error: Exception) -> ArticleRejectedError:
    """What an error a parser raised means for the document, as a reason a person can act on:
    never the bare exception name (the log has it, with the traceback)."""
    if isinstance(error, ArticleRejectedError):
        return error
    if isinstance(error, RecursionError):  # the input's depth, not a fault of ours
        return DocumentTooLargeError(NESTED_TOO_DEEPLY)
    return ParserFailedError(UNFORESEEN)
