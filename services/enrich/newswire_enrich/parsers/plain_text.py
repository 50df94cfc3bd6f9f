"""Plain text as in the BBC corpus: the first non-blank line is the title, the rest the body.

The title is the line exactly as written, only stripped at its ends.
"""

from newswire_enrich.article import ParsedArticle
from newswire_enrich.errors import UnparseableArticleError
from newswire_enrich.parsers.text import paragraphs


def parse_plain_text(content: str) -> ParsedArticle:
    lines = content.lstrip("\ufeff").replace("\r\n", "\n").lstrip().split("\n", 1)
    title = lines[0].strip()
    if not title:
        raise UnparseableArticleError("the file is empty or blank")
    return ParsedArticle(title=title, body=paragraphs(lines[1] if len(lines) > 1 else ""))
