"""Plain text: the BBC corpus, all 2,225 articles, and the shapes of text around it."""

from collections import Counter
from pathlib import Path

import pytest

from newswire.enriched import EnrichedArticle
from newswire_enrich.errors import UnparseableArticleError
from newswire_enrich.local_files import raw_article_from_file
from newswire_enrich.parsers.plain_text import parse_plain_text
from tests.support.enrichers import fake_enricher, raw_article

BBC_ARTICLES = 2225
BBC_BODY_PARAGRAPHS = 10_547  # counted in shared/corpora/README.md
SECTIONS = {"business", "entertainment", "politics", "sport", "tech"}


@pytest.fixture(scope="module")
def bbc(shared_dir: Path) -> list[tuple[Path, EnrichedArticle]]:
    inbox = shared_dir / "corpora" / "bbc"
    paths = sorted(inbox.glob("*/*.txt"))
    enrichments = fake_enricher().enrich([raw_article_from_file(p, inbox) for p in paths])
    assert [e.rejections for e in enrichments] == [[]] * len(paths)
    return [(path, e.articles[0]) for path, e in zip(paths, enrichments, strict=True)]


def test_all_bbc_articles_parse_as_plain_text(bbc: list[tuple[Path, EnrichedArticle]]) -> None:
    assert len(bbc) == BBC_ARTICLES
    assert {article.provenance.format for _, article in bbc} == {"plain-text"}


def test_each_bbc_title_is_the_first_line_of_its_file(
    bbc: list[tuple[Path, EnrichedArticle]],
) -> None:
    for path, article in bbc:
        data = path.read_bytes()
        text = (
            data.decode("latin-1")
            if path.name == "199.txt" and "sport" in path.parts
            else data.decode()
        )
        assert article.title == text.split("\n", 1)[0], path


def test_each_bbc_section_is_its_folder(bbc: list[tuple[Path, EnrichedArticle]]) -> None:
    for path, article in bbc:
        assert article.section == path.parent.name.capitalize()
        assert article.section_source == "inbox_folder"
    assert {article.section for _, article in bbc} == {s.capitalize() for s in SECTIONS}


def test_no_bbc_article_gets_a_date_it_does_not_have(
    bbc: list[tuple[Path, EnrichedArticle]],
) -> None:
    assert [a.publication_date for _, a in bbc if a.publication_date or a.published_at] == []


def test_bbc_bodies_keep_every_paragraph_and_no_title(
    bbc: list[tuple[Path, EnrichedArticle]],
) -> None:
    assert sum(len(article.body) for _, article in bbc) == BBC_BODY_PARAGRAPHS
    assert all(article.body and article.word_count > 0 for _, article in bbc)


def test_bbc_articles_are_english_with_a_computed_reading_time(
    bbc: list[tuple[Path, EnrichedArticle]],
) -> None:
    assert Counter(article.language for _, article in bbc) == {"en": BBC_ARTICLES}
    assert {article.reading_time_source for _, article in bbc} == {"word_count"}
    assert all(article.reading_time_minutes >= 1 for _, article in bbc)


def test_the_latin1_bbc_file_keeps_its_pound_sign(
    bbc: list[tuple[Path, EnrichedArticle]],
) -> None:
    (article,) = [a for path, a in bbc if path.parts[-2:] == ("sport", "199.txt")]
    assert "a \u00a315.8m signing from Parma" in article.body[1]


def test_without_a_standfirst_the_summary_is_the_lead_sentence() -> None:
    (enrichment,) = fake_enricher().enrich([raw_article("Title\n\nFirst. Second.\n\nMore.")])
    (article,) = enrichment.articles
    assert (article.standfirst, article.summary) == (None, "First.")


def test_lines_of_a_text_without_blank_lines_are_paragraphs() -> None:
    article = parse_plain_text("Headline\nFirst paragraph.\nSecond paragraph.\n")
    assert (article.title, article.body) == ("Headline", ("First paragraph.", "Second paragraph."))


def test_wrapped_lines_inside_a_blank_line_separated_block_are_one_paragraph() -> None:
    article = parse_plain_text("Headline\n\nA paragraph\nwrapped here.\n\nAnother.\n")
    assert article.body == ("A paragraph wrapped here.", "Another.")


def test_a_blank_file_is_unparseable() -> None:
    with pytest.raises(UnparseableArticleError, match="empty or blank"):
        parse_plain_text(" \n\n")
