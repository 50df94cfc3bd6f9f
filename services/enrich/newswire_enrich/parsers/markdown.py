"""Markdown articles, with or without YAML front matter (title, date, section, author, url, tags).

Front matter is read by python-frontmatter and the Markdown by markdown-it-py; the body is the
plain text of each paragraph, heading, list item and quote, in reading order (code is not prose
and is left out). Without a `title` in the front matter, the first block (usually `# Heading`)
is the title.
"""

import frontmatter
import yaml
from markdown_it import MarkdownIt
from markdown_it.token import Token

from newswire_enrich.article import ParsedArticle
from newswire_enrich.errors import UnparseableArticleError
from newswire_enrich.parsers.fields import TITLE, article_from_fields, normalised_keys
from newswire_enrich.parsers.text import clean

_MARKDOWN = MarkdownIt("commonmark")
_LINE_BREAKS = {"softbreak", "hardbreak"}


def parse_markdown(content: str) -> ParsedArticle:
    try:
        metadata, text = frontmatter.parse(content.lstrip("\ufeff"))
    except yaml.YAMLError as error:
        raise UnparseableArticleError(f"invalid YAML front matter: {error}") from error
    blocks = [block for token in _MARKDOWN.parse(text) if (block := _plain_text(token))]
    has_title = any(normalised_keys(metadata).get(name) for name in TITLE)
    if not has_title:
        if not blocks:
            raise UnparseableArticleError("the Markdown document is empty")
        metadata = {**metadata, "title": blocks.pop(0)}
    return article_from_fields(metadata, body=tuple(blocks))


def _plain_text(token: Token) -> str:
    if token.type != "inline" or not token.children:
        return ""
    return clean(
        "".join(
            " " if child.type in _LINE_BREAKS else child.content
            for child in token.children
            if child.type in _LINE_BREAKS or child.type in {"text", "code_inline"}
        )
    )
