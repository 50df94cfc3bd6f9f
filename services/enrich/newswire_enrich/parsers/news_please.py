"""news-please's own output: one JSON object per crawled article.

title, title_page, title_rss   the headline (the article's own first)
maintext                       the body
description                    the standfirst
date_publish, date_modify      `2024-09-11 08:30:00`, no time zone: the day only
authors                        a list of names
source_domain, url, language   the provider, the address, the declared language
"""

from collections.abc import Mapping

from newswire_enrich.article import ParsedArticle
from newswire_enrich.dates import parse_moment
from newswire_enrich.errors import UnparseableArticleError
from newswire_enrich.parsers.fields import (
    TITLE,
    authors_of,
    first_of,
    normalised_keys,
    paragraphs_of,
    publication_of,
    text_of,
)


def is_news_please(fields: Mapping[str, object]) -> bool:
    keyed = normalised_keys(fields)
    return "maintext" in keyed or {"datepublish", "sourcedomain"} <= keyed.keys()


def news_please_article(fields: Mapping[str, object]) -> ParsedArticle:
    keyed = normalised_keys(fields)
    title = text_of(first_of(keyed, (*TITLE, "titlepage", "titlerss")))
    if not title:
        raise UnparseableArticleError("no title: the news-please record has no title")
    return ParsedArticle(
        title=title,
        body=paragraphs_of(first_of(keyed, ("maintext", "text"))),
        standfirst=text_of(keyed.get("description")),
        publication=publication_of(keyed.get("datepublish")),
        authors=authors_of(keyed.get("authors")),
        url=text_of(keyed.get("url")),
        language=text_of(keyed.get("language")),
        provider=text_of(keyed.get("sourcedomain")),
        updated_at=parse_moment(text_of(keyed.get("datemodify"))),
    )
