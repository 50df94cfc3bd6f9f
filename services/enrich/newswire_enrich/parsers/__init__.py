"""One parser per input format; each turns a document's text (or, for Word and PDF, its bytes)
into articles, within enrich's `DocumentLimits`."""

from collections.abc import Callable
from functools import partial

from newswire.enriched import ArticleFormat
from newswire_enrich.article import ParsedArticle, ParsedItem
from newswire_enrich.document_limits import DocumentLimits, check_article, check_text
from newswire_enrich.errors import UnparseableArticleError
from newswire_enrich.parsers.email_message import parse_email
from newswire_enrich.parsers.feeds import parse_json_feed, parse_xml_feed
from newswire_enrich.parsers.header_text import parse_header_text
from newswire_enrich.parsers.html import parse_html
from newswire_enrich.parsers.json_articles import parse_json, parse_json_lines
from newswire_enrich.parsers.markdown import parse_markdown
from newswire_enrich.parsers.newsml1 import parse_newsml1
from newswire_enrich.parsers.newsml_g2 import parse_newsml_g2
from newswire_enrich.parsers.nitf import parse_nitf
from newswire_enrich.parsers.office import parse_docx, parse_pdf
from newswire_enrich.parsers.plain_text import parse_plain_text

BINARY_PARSERS: dict[ArticleFormat, Callable[[bytes, DocumentLimits], ParsedArticle]] = {
    "docx": parse_docx,
    "pdf": parse_pdf,
}


def _attachment(limits: DocumentLimits, kind: str, data: bytes) -> ParsedArticle:
    return parse_docx(data, limits) if kind == "docx" else parse_pdf(data, limits)


PARSERS: dict[ArticleFormat, Callable[[str], list[ParsedItem]]] = {
    "header-text": lambda content: [parse_header_text(content)],
    "plain-text": lambda content: [parse_plain_text(content)],
    "markdown": lambda content: [parse_markdown(content)],
    "html": lambda content: [parse_html(content)],
    "json": parse_json,
    "json-lines": parse_json_lines,
    "ninjs": parse_json,
    "news-please": parse_json,
    "json-feed": parse_json_feed,
    "newsml-g2": parse_newsml_g2,
    "nitf": lambda content: [parse_nitf(content)],
    "newsml-1": parse_newsml1,
    "rss": parse_xml_feed,
    "atom": parse_xml_feed,
}


def parse_document(
    article_format: ArticleFormat,
    content: str,
    data: bytes | None = None,
    limits: DocumentLimits | None = None,
) -> list[ParsedItem]:
    """The articles in a document (several for JSON Lines, arrays, feeds and news messages);
    raises `ArticleRejectedError` when the document as a whole cannot be read or is past the
    limits. `data` is the bytes of a binary document (Word, PDF)."""
    limits = limits or DocumentLimits()
    if article_format in BINARY_PARSERS:
        if data is None:
            raise UnparseableArticleError(f"a {article_format} document arrived without its bytes")
        items: list[ParsedItem] = [BINARY_PARSERS[article_format](data, limits)]
    else:
        check_text(content, limits)
        if article_format == "email":
            items = [parse_email(content, partial(_attachment, limits))]
        else:
            items = PARSERS[article_format](content)
    for item in items:
        if isinstance(item, ParsedArticle):
            check_article(item, limits)
    return items
