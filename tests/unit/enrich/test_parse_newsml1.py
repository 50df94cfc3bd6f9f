"""NewsML 1.2 as AFP sends it: in ISO-8859-1, one story per NewsItem."""

from datetime import UTC, date, datetime

import pytest

from newswire.enriched import Concept, Place
from newswire.messages import RawArticle
from newswire_enrich.article import ParsedArticle, Publication
from newswire_enrich.errors import UnparseableArticleError
from newswire_enrich.parsers.newsml1 import parse_newsml1
from tests.conftest import REPO_ROOT
from tests.support.enrichers import FIXED_TIME

LATIN1 = REPO_ROOT / "tests" / "fixtures" / "formats" / "newsml-1.2-afp-style-latin1.xml"


def afp_story() -> ParsedArticle:
    """The file as ingest reads it (its declaration names ISO-8859-1), then parsed."""
    raw = RawArticle.from_bytes(LATIN1.read_bytes(), "afp/orages.xml", FIXED_TIME)
    (article,) = parse_newsml1(raw.content)
    assert isinstance(article, ParsedArticle)
    return article


def test_a_latin1_file_is_read_in_the_encoding_its_declaration_names() -> None:
    raw = RawArticle.from_bytes(LATIN1.read_bytes(), "afp/orages.xml", FIXED_TIME)

    assert raw.encoding == "cp1252"  # ISO-8859-1 read as its superset, as browsers do
    assert afp_story().title == "Orages : vigilance orange dans douze départements du sud-est"


def test_news_lines_management_and_metadata_become_the_article() -> None:
    article = afp_story()

    assert article.standfirst == "Météo-France prévoit des cumuls de pluie élevés jusqu'à jeudi"
    assert article.body[0].startswith("Douze départements du sud-est de la France")
    assert len(article.body) == 3
    assert article.authors == ("Amélie Dupré",)
    assert article.publication == Publication(
        day=date(2024, 9, 11), moment=datetime(2024, 9, 11, 9, 12, tzinfo=UTC)
    )
    assert article.updated_at == datetime(2024, 9, 11, 9, 30, tzinfo=UTC)
    # the story's identity across revisions, and this revision
    assert article.guid == "urn:newsml:afp.com:20240911T091200Z:TX-PAR-XYZ12"
    assert article.version == 2
    assert (article.provider, article.pub_status, article.urgency) == ("AFP", "usable", 4)
    assert article.signals == ("correction",)
    assert article.slugline == "France-météo-orages"
    assert article.dateline == "PARIS, 11 sept 2024 (AFP) -"
    assert article.located == Place(name="Paris", country="FRA")
    assert article.subjects == (Concept(code="subj:17000000"), Concept(code="subj:17004000"))
    assert article.genres == (Concept(code="Current"),)
    assert article.copyright == "© 2024 AFP"
    assert article.tags == ("météo", "orages")
    assert article.language == "fr"


def test_several_news_items_are_one_article_each_and_a_photo_item_is_skipped() -> None:
    def item(headline: str, media: str) -> str:
        return (
            f"<NewsItem><NewsComponent><NewsLines><HeadLine>{headline}</HeadLine></NewsLines>"
            f"<ContentItem><MediaType FormalName='{media}'/><DataContent><p>{headline} text.</p>"
            "</DataContent></ContentItem></NewsComponent></NewsItem>"
        )

    items = (item("First", "Text"), item("Photo", "Photo"), item("Second", "Text"))
    document = f"<NewsML>{''.join(items)}</NewsML>"
    found = parse_newsml1(document)

    stories = [article for article in found if isinstance(article, ParsedArticle)]
    assert [(a.title, a.body, a.item.number if a.item else None) for a in stories] == [
        ("First", ("First text.",), 1),
        ("Second", ("Second text.",), 3),
    ]


def test_a_photo_news_item_alone_is_refused_as_such() -> None:
    photo = (
        "<NewsML><NewsItem><NewsComponent><NewsLines><HeadLine>A photo</HeadLine></NewsLines>"
        "<ContentItem><MediaType FormalName='Photo'/></ContentItem></NewsComponent></NewsItem>"
        "</NewsML>"
    )
    with pytest.raises(UnparseableArticleError, match="NewsML photo item, not a text article"):
        parse_newsml1(photo)


def test_a_document_without_news_items_is_refused() -> None:
    with pytest.raises(UnparseableArticleError, match="holds no NewsItem"):
        parse_newsml1("<NewsML><NewsEnvelope/></NewsML>")
