"""HTML pages read as a person reads them: the visible headline, the page's own dates and
by-line (JSON-LD, meta tags), the whole story."""

import json
from datetime import UTC, date, datetime

import pytest

from newswire_enrich.article import Publication
from newswire_enrich.errors import UnparseableArticleError
from newswire_enrich.parsers.html import parse_html
from tests.conftest import REPO_ROOT

JSON_LD_PAGE = (REPO_ROOT / "tests" / "fixtures" / "formats" / "web-page-json-ld.html").read_text()

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
    # article:published_time states a time and a zone, so the moment is known too
    assert article.publication == Publication(
        day=date(2024, 9, 11), moment=datetime(2024, 9, 11, 8, 30, tzinfo=UTC)
    )
    assert article.provider == "news.example.com"  # no site name: the extractor's host name
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


def test_json_ld_gives_the_headline_dates_authors_section_and_keywords() -> None:
    article = parse_html(JSON_LD_PAGE)

    # the visible h1, which JSON-LD agrees with; not the SEO og:title nor the <title> with suffix
    assert article.title == "Night trains return to the Alps"
    assert article.publication == Publication(
        day=date(2024, 9, 11), moment=datetime(2024, 9, 11, 16, 30, tzinfo=UTC)
    )  # datePublished, before article:published_time
    assert article.updated_at == datetime(2024, 9, 12, 5, 0, tzinfo=UTC)
    assert article.authors == ("Lena Berger", "Marco Rossi")  # not the meta's "Staff"
    assert (article.section, article.tags) == ("Travel", ("rail", "travel", "Alps"))
    assert article.provider == "The Alpine Times"
    assert article.standfirst == "Three operators add sleeper services from December."
    assert len(article.body) == 3
    assert article.body[0].startswith("Three rail operators will add sleeper trains")


def test_without_a_matching_h1_the_title_loses_the_site_name() -> None:
    page = (
        "<html><head><title>Rates cut again | The Japan Times</title>"
        '<meta property="og:site_name" content="The Japan Times"></head><body>'
        "<article><p>The central bank cut its main interest rate by a quarter point on "
        "Wednesday, the second cut this year, as inflation eased.</p><p>Markets rose on the "
        "news, and the yen weakened against the dollar in afternoon trading.</p></article>"
        "</body></html>"
    )
    assert parse_html(page).title == "Rates cut again"


def test_the_visible_headline_wins_over_an_seo_title() -> None:
    page = JSON_LD_PAGE.replace('"headline": "Night trains return to the Alps"', '"headline": "x"')
    page = page.replace("<title>Night trains return to the Alps | The Alpine Times</title>", "")
    # og:title is an SEO title sharing few words with the h1: the h1 placed as the story's wins
    assert parse_html(page).title == "Night trains return to the Alps"


def test_the_json_ld_article_body_keeps_the_whole_story_in_its_paragraphs() -> None:
    paragraphs = [f"Paragraph {n} of the long story about the harbour works." for n in range(40)]
    ld = {"@type": "NewsArticle", "headline": "Harbour works", "articleBody": "\n".join(paragraphs)}
    page = (
        f'<html><head><script type="application/ld+json">{json.dumps(ld)}</script></head><body>'
        "<h1>Harbour works</h1><article><p>Paragraph 0 of the long story about the harbour "
        "works, only the teaser is on the page before the paywall.</p></article></body></html>"
    )
    article = parse_html(page)
    assert article.body == tuple(paragraphs)
