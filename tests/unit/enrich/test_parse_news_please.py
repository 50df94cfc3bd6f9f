"""news-please's own output JSON: `maintext`, `date_publish`, `source_domain`…"""

import json

from newswire_enrich.article import ParsedArticle
from newswire_enrich.parsers.json_articles import parse_json
from tests.conftest import REPO_ROOT

RECORD = REPO_ROOT / "tests" / "fixtures" / "formats" / "news-please-article.json"


def test_maintext_date_publish_and_the_source_are_read() -> None:
    (article,) = parse_json(RECORD.read_text())
    assert isinstance(article, ParsedArticle)

    assert article.title == "Floods close the main road again"  # the article's, not the page's
    assert article.body == (
        "Floods closed the main road into the town on Wednesday for the second time this month.",
        "The council said repairs to the drains would start next week.",
        "Residents were told to avoid the riverside path.",
    )
    assert article.standfirst == "Floods closed the main road for the second time this month."
    assert article.publication is not None
    assert str(article.publication.day) == "2024-09-11"
    assert article.publication.moment is None  # news-please writes no time zone
    assert article.authors == ("Claire Martin", "Omar Haddad")
    assert (article.provider, article.url, article.language) == (
        "news.example.org",
        "https://news.example.org/2024/09/11/floods",
        "en",
    )


def test_a_record_without_its_own_title_takes_the_page_title() -> None:
    record = {**json.loads(RECORD.read_text()), "title": None}
    (article,) = parse_json(json.dumps(record))
    assert isinstance(article, ParsedArticle)
    assert article.title == "Floods close the main road again | Example News"
