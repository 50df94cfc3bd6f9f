"""One parser per input format; each turns a document's text (or, for Word and PDF, its bytes)
into articles."""

from collections.abc import Callable

from newswire.enriched import ArticleFormat
from newswire_enrich.article import ParsedArticle, ParsedItem
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

BINARY_PARSERS: dict[ArticleFormat, Callable[[bytes], ParsedArticle]] = {
    "docx": parse_docx,
    "pdf": parse_pdf,
}


def _attachment(kind: str, data: bytes) -> ParsedArticle:
    return parse_docx(data) if kind == "docx" else parse_pdf(data)


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
    "email": lambda content: [parse_email(content, _attachment)],
}


def parse_document(
    article_format: ArticleFormat, content: str, data: bytes | None = None
) -> list[ParsedItem]:
    """The articles in a document (several for JSON Lines, arrays, feeds and news messages);
    raises `ArticleRejectedError` when the document as a whole cannot be read. `data` is the
    bytes of a binary document (Word, PDF)."""
    if article_format in BINARY_PARSERS:
        if data is None:
            raise UnparseableArticleError(f"a {article_format} document arrived without its bytes")
        return [BINARY_PARSERS[article_format](data)]
    return PARSERS[article_format](content)
