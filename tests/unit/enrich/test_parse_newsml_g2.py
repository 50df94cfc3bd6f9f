"""IPTC NewsML-G2: the official examples (../shared/samples/formats/) and a news message."""

import hashlib
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from lxml import etree  # type: ignore[import-untyped]

from newswire.enriched import Concept, Place
from newswire_enrich.article import Embargo, ParsedArticle, ParsedItem, Publication
from newswire_enrich.errors import UnparseableArticleError
from newswire_enrich.parsers.newsml_g2 import parse_newsml_g2
from tests.conftest import REPO_ROOT

FIXTURES = REPO_ROOT / "tests" / "fixtures" / "formats"


def sample(shared_dir: Path, name: str) -> str:
    return (shared_dir / "samples" / "formats" / f"newsml-g2-{name}.xml").read_text()


def articles(items: list[ParsedItem]) -> list[ParsedArticle]:
    assert all(isinstance(item, ParsedArticle) for item in items)
    return [item for item in items if isinstance(item, ParsedArticle)]


def test_a_news_item_carries_identity_versions_embargo_status_and_classification(
    shared_dir: Path,
) -> None:
    (article,) = articles(parse_newsml_g2(sample(shared_dir, "LISTING_1_A_NewsML-G2_News_Item")))

    assert article.title == 'Fed to halt QE to avert "bubble"'
    assert article.body == ()  # the example's inline NITF is empty
    assert (article.guid, article.version) == (
        "urn:newsml:acmenews.com:20161018:US-FINANCE-FED",
        11,
    )
    assert article.provider == "REUTERS"
    assert article.publication == Publication(
        day=date(2016, 10, 18), moment=datetime(2016, 10, 18, 18, 12, 21, tzinfo=UTC)
    )  # firstCreated, the story's first publication
    assert article.updated_at == datetime(2018, 10, 21, 21, 25, 32, tzinfo=UTC)  # versionCreated
    assert article.content_created == datetime(2016, 10, 18, 16, 12, tzinfo=UTC)
    assert article.embargo == Embargo(datetime(2018, 10, 23, 12, 0, tzinfo=UTC))
    assert (article.pub_status, article.signals) == ("usable", ("update",))
    assert article.located == Place(name="Berlin", code="geo:345678", country="Germany")
    assert article.authors == ("Meredith Jameson",)
    assert article.subjects == (
        Concept(code="medtop:04000000", name="economy, business and finance"),
        Concept(code="medtop:20000523", name="labour market"),  # the item's language, en-GB
    )
    assert article.genres == (Concept(code="genre:interview", name="Interview"),)
    assert article.slugline == "US-Finance-Fed"
    assert article.language == "en-GB"
    assert article.copyright == "Copyright 2017-18 Example Enews LLP, all rights reserved"
    assert article.usage_terms == "Not for use outside the United States"
    assert article.editorial_note is not None
    assert article.editorial_note.startswith("Note to editors: STRICTLY EMBARGOED.")


def test_the_story_comes_from_the_inline_nitf_and_the_envelope_wins_for_the_headline(
    shared_dir: Path,
) -> None:
    (article,) = articles(
        parse_newsml_g2(sample(shared_dir, "LISTING_22_Sports_story_in_NewsML-G2NITF"))
    )

    assert article.title == (
        "Preview: Arizona Diamondbacks (29-23) at Philadelphia Phillies (26-24), 7:05 p.m."
    )
    assert article.standfirst is not None
    assert article.standfirst.startswith("A pair of teams coming off big weekend sweeps will")
    assert len(article.body) == 6
    assert article.body[0].startswith("(Sports Network) - A pair of teams coming off")
    assert article.body[-1].endswith("over his last six starts.")
    assert article.authors == ("The Sports Network",)
    assert article.provider == "www.xmlteam.com"
    assert article.publication == Publication(
        day=date(2018, 10, 19), moment=datetime(2018, 10, 19, 15, 45, tzinfo=UTC)
    )  # no firstCreated: versionCreated
    assert article.located == Place(name=None, code="city:Philadelphia", country="USA")
    assert Concept(code="medtop:20000849", name="Baseball") in article.subjects
    assert Concept(code="person:l.mlb.com-p.456", name="Doug Davis") in article.subjects
    assert article.slugline == "AAV!PREVIEW-ARI-PHI"


def test_a_package_item_is_not_an_article_and_says_why(shared_dir: Path) -> None:
    with pytest.raises(UnparseableArticleError, match="package item only refers to other items"):
        parse_newsml_g2(sample(shared_dir, "LISTING_6_Simple_NewsML-G2_Package"))


def test_a_news_message_yields_one_article_per_text_item_with_its_own_id() -> None:
    content = (FIXTURES / "newsml-g2-news-message.xml").read_text()

    rates, markets = articles(parse_newsml_g2(content))

    assert rates.title == "Bank of England cuts rates for the first time in four years"
    assert rates.body == (
        "The Bank of England cut its main interest rate on Wednesday for the first time in four "
        "years.",
        "The cut of a quarter of a percentage point takes Bank Rate to 5 percent.",
    )  # from the inline XHTML
    assert (rates.signals, rates.urgency, rates.version) == (("correction",), 2, 3)
    assert rates.editorial_note == "Corrects the size of the cut in paragraph two."
    assert rates.provider == "Example Wire"
    assert rates.located == Place(name="London", code="geo:2643743", country="United Kingdom")
    assert rates.dateline == "LONDON, Sept 11 (Example Wire) -"
    assert markets.body == (
        "Sterling fell half a cent against the dollar after the announcement.",
        "Traders had expected the cut, but not its timing.",
    )  # from the inline plain text
    assert markets.embargo == Embargo(None)  # an empty <embargoed/>: until further notice
    assert markets.pub_status == "withheld"
    # the picture item between them is skipped; items are numbered among the text items
    item = etree.fromstring(content.encode())[1][2]
    canonical = etree.tostring(item, method="c14n", exclusive=True, with_comments=False)
    assert rates.item is not None
    assert markets.item is not None
    assert (rates.item.number, markets.item.number) == (1, 2)
    assert markets.item.sha256 == hashlib.sha256(canonical).hexdigest()


def test_a_text_item_keeps_its_id_whatever_message_carries_it() -> None:
    content = (FIXTURES / "newsml-g2-news-message.xml").read_text()
    first, _ = articles(parse_newsml_g2(content))
    moved = content.replace("<sender>wire.example.com</sender>", "<sender>relay</sender>")

    again, _ = articles(parse_newsml_g2(moved))

    assert first.item == again.item


def test_a_picture_item_is_refused_as_such() -> None:
    picture = (
        '<newsItem xmlns="http://iptc.org/std/nar/2006-10-01/" guid="p" version="1">'
        '<itemMeta><itemClass qcode="ninat:picture"/></itemMeta>'
        "<contentMeta><headline>A photo</headline></contentMeta></newsItem>"
    )
    with pytest.raises(UnparseableArticleError, match="NewsML-G2 picture item"):
        parse_newsml_g2(picture)


def test_a_message_of_pictures_only_is_refused_naming_what_it_holds() -> None:
    message = (
        '<newsMessage xmlns="http://iptc.org/std/nar/2006-10-01/"><itemSet>'
        '<newsItem guid="p"><itemMeta><itemClass qcode="ninat:picture"/></itemMeta></newsItem>'
        "</itemSet></newsMessage>"
    )
    with pytest.raises(UnparseableArticleError, match="no text item: it holds only picture"):
        parse_newsml_g2(message)


def test_an_item_without_a_headline_is_refused() -> None:
    with pytest.raises(UnparseableArticleError, match="no headline"):
        parse_newsml_g2('<newsItem xmlns="http://iptc.org/std/nar/2006-10-01/" guid="g"/>')


def test_broken_xml_says_where() -> None:
    with pytest.raises(UnparseableArticleError, match=r"not well-formed.*line 1"):
        parse_newsml_g2('<newsItem xmlns="http://iptc.org/std/nar/2006-10-01/"><headline>')
