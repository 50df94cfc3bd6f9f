"""HTML pages: trafilatura finds the main text and the metadata (title, author, date, url…).

Its date comes from the page's metadata only (no guessing from the text) and without the time of
day, which it cannot tell apart from midnight.
"""

from trafilatura import bare_extraction
from trafilatura.settings import Document

from newswire_enrich.article import ParsedArticle
from newswire_enrich.errors import UnparseableArticleError
from newswire_enrich.parsers.fields import article_from_fields

_DATE_FROM_METADATA_ONLY = {"extensive_search": False, "original_date": True}


def parse_html(content: str) -> ParsedArticle:
    extracted = bare_extraction(
        content,
        with_metadata=True,
        include_comments=False,
        include_tables=False,
        date_extraction_params=_DATE_FROM_METADATA_ONLY,
    )
    if not isinstance(extracted, Document) or not extracted.text:
        raise UnparseableArticleError("no main text found in the HTML page")
    lines = [line.strip() for line in extracted.text.split("\n") if line.strip()]
    title = extracted.title or (lines[0] if lines else None)
    if lines and lines[0] == title:  # the headline is usually repeated at the top of the text
        lines = lines[1:]
    return article_from_fields(
        {
            "title": title,
            "standfirst": extracted.description,
            "section": extracted.categories,
            "authors": extracted.author,
            "url": extracted.url,
            "tags": extracted.tags,
            "date": extracted.date,
        },
        body=tuple(lines),
    )
