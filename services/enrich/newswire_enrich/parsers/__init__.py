"""One parser per input format; each turns a document's text into articles."""

from collections.abc import Callable

from newswire.enriched import ArticleFormat
from newswire_enrich.article import ParsedItem
from newswire_enrich.parsers.header_text import parse_header_text
from newswire_enrich.parsers.html import parse_html
from newswire_enrich.parsers.json_articles import parse_json, parse_json_lines
from newswire_enrich.parsers.markdown import parse_markdown
from newswire_enrich.parsers.plain_text import parse_plain_text

PARSERS: dict[ArticleFormat, Callable[[str], list[ParsedItem]]] = {
    "header-text": lambda content: [parse_header_text(content)],
    "plain-text": lambda content: [parse_plain_text(content)],
    "markdown": lambda content: [parse_markdown(content)],
    "html": lambda content: [parse_html(content)],
    "json": parse_json,
    "json-lines": parse_json_lines,
}


def parse_document(article_format: ArticleFormat, content: str) -> list[ParsedItem]:
    """The articles in a document (several for JSON Lines and arrays); raises
    `ArticleRejectedError` when the document as a whole cannot be read."""
    return PARSERS[article_format](content)
