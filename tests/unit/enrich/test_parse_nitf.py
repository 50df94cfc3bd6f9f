"""NITF 3.x on its own, as AP and EFE send it."""

from datetime import UTC, date, datetime

import pytest

from newswire.enriched import Concept, Place
from newswire_enrich.article import Embargo, Publication
from newswire_enrich.errors import UnparseableArticleError
from newswire_enrich.parsers.nitf import parse_nitf
from tests.conftest import REPO_ROOT

AP_STYLE = (REPO_ROOT / "tests" / "fixtures" / "formats" / "nitf-3.5-ap-style.xml").read_text()


def test_head_and_docdata_give_the_story_and_its_wire_metadata() -> None:
    article = parse_nitf(AP_STYLE)

    assert article.title == "Harbour cranes return to work after week-long strike"
    assert article.standfirst == (
        "Cranes at Europe's largest port moved again on Wednesday after dock workers accepted a "
        "three-year pay deal."
    )
    assert article.authors == ("Jane Q. Reporter",)  # the person, not the job title
    assert article.publication == Publication(
        day=date(2024, 9, 11), moment=datetime(2024, 9, 11, 8, 30, tzinfo=UTC)
    )
    assert (article.guid, article.provider, article.urgency) == (
        "a1b2c3d4e5f60718293a4b5c6d7e8f90",
        "AP",
        3,
    )
    assert article.embargo == Embargo(datetime(2024, 9, 11, 10, 0, tzinfo=UTC))  # date.release
    assert article.pub_status == "usable"
    assert article.tags == ("ports", "strikes")
    assert article.section == "Business"
    assert article.subjects == (
        Concept(code="subj:09000000", name="Labour"),
        Concept(code="subj:04000000", name="Economy, Business and Finance"),
    )
    assert article.genres == (Concept(name="News"),)
    assert article.copyright == "Copyright 2024 The Associated Press"
    assert article.editorial_note == "Moves on general news and financial services."
    assert article.located == Place(name="Rotterdam", country="Netherlands")
    assert article.dateline == "Rotterdam, Netherlands (AP) — Sept. 11, 2024"


def test_the_body_keeps_paragraphs_and_subheads_and_leaves_tables_and_media_out() -> None:
    body = parse_nitf(AP_STYLE).body

    assert body[0].startswith("ROTTERDAM, Netherlands (AP) — Cranes at Europe's largest port")
    assert "Ships waiting at sea" in body
    assert not any("42" in paragraph or paragraph == "Cranes at the port." for paragraph in body)
    assert (
        body[-1]
        == "The port authority said it expected traffic to return to normal by the weekend."
    )


def test_a_byline_without_person_elements_is_its_words_without_the_job_title() -> None:
    efe_style = (
        "<nitf><head><docdata><doc-id regsrc='EFE' id-string='1'/>"
        "<correction info='Corrige la cifra de heridos.'/></docdata></head><body><body.head>"
        "<hedline><hl1>Lluvias en Valencia</hl1></hedline>"
        "<byline>Por Ana Gómez y Luis Pérez<byttl>Redacción EFE</byttl></byline>"
        "</body.head><body.content><p>Texto.</p></body.content></body></nitf>"
    )
    article = parse_nitf(efe_style)

    assert article.authors == ("Ana Gómez", "Luis Pérez")
    assert article.signals == ("correction",)
    assert article.editorial_note == "Corrige la cifra de heridos."


def test_an_nitf_without_any_headline_is_refused() -> None:
    with pytest.raises(UnparseableArticleError, match="no headline"):
        parse_nitf("<nitf><body><body.content><p>Text.</p></body.content></body></nitf>")
