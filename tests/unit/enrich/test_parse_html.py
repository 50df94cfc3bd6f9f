"""HTML pages: main text and metadata through trafilatura."""

from datetime import date

import pytest

from newswire_enrich.article import Publication
from newswire_enrich.errors import UnparseableArticleError
from newswire_enrich.parsers.html import parse_html

PAGE = """<!DOCTYPE html><html lang="en"><head>
<title>Rates cut | Example News</title>
<meta property="og:title" content="Central bank cuts rates for the first time in four years">
<meta name="description" content="The bank moved to support growth.">
<meta name="author" content="Jane Doe">
<meta property="article:section" content="Business">
<meta property="article:published_time" content="2024-09-11T08:30:00+00:00">
<meta property="article:tag" content="rates"><meta property="article:tag" content="banks">
<link rel="canonical" href="https://news.example.com/business/rates-cut">
</head><body>
<nav><a href="/">Home</a> <a href="/business">Business</a> <a href="/sport">Sport</a></nav>
<article><h1>Central bank cuts rates for the first time in four years</h1>
<p>The central bank cut its main interest rate by a quarter point on Wednesday, the first
reduction since the pandemic, as inflation eased back towards its target.</p>
<p>Officials said further cuts would depend on the data, and markets rallied on the news,
with the main index closing two percent higher in busy trading.</p>
</article>
<footer>Copyright 2024 Example News. All rights reserved.</footer>
</body></html>"""


def test_main_text_and_metadata_come_from_the_page() -> None:
    article = parse_html(PAGE)
    assert article.title == "Central bank cuts rates for the first time in four years"
    assert article.standfirst == "The bank moved to support growth."
    assert article.authors == ("Jane Doe",)
    assert article.section == "Business"
    assert article.url == "https://news.example.com/business/rates-cut"
    assert article.tags == ("rates", "banks")
    assert article.publication == Publication(day=date(2024, 9, 11))
    assert len(article.body) == 2
    assert article.body[0].startswith("The central bank cut its main interest rate")


def test_navigation_footer_and_repeated_headline_stay_out_of_the_body() -> None:
    body = "\n".join(parse_html(PAGE).body)
    assert "Home" not in body
    assert "Copyright" not in body
    assert "Central bank cuts rates for the first time" not in body


def test_a_page_without_any_text_is_unparseable() -> None:
    with pytest.raises(UnparseableArticleError, match="no main text"):
        parse_html("<html><head><title>Empty</title></head><body></body></html>")
