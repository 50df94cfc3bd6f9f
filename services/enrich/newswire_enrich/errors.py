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
