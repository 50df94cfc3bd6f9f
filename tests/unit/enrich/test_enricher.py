"""Enrichment of a batch: metadata rules, ids, batching of NER and rejections."""

import json

import pytest

from newswire_enrich import parsers
from newswire_enrich.article import ParsedItem
from newswire_enrich.enrichment import ArticleEnricher, Enrichment
from newswire_enrich.errors import UnparseableArticleError
from tests.support.enrichers import CapitalisedWordsRecogniser, fake_enricher, raw_article


def enrich_one(content: str, relative_path: str = "article.txt") -> Enrichment:
    (enrichment,) = fake_enricher().enrich([raw_article(content, relative_path)])
    return enrichment


def test_a_whole_batch_goes_through_ner_in_one_call() -> None:
    recogniser = CapitalisedWordsRecogniser()
    lines = "\n".join(json.dumps({"title": f"T{n}", "body": "Body."}) for n in range(3))
    raws = [raw_article("One\n\nBody."), raw_article(lines, "feed.jsonl"), raw_article("")]
    enrichments = fake_enricher(recogniser).enrich(raws)
    assert recogniser.batches == [4]
    assert [len(e.articles) for e in enrichments] == [1, 3, 0]


def test_a_single_article_file_keeps_the_raw_id_and_a_feed_gets_one_id_per_article() -> None:
    single = raw_article("Title\n\nBody.")
    feed = raw_article('{"title": "A", "body": "x"}\n{"title": "B", "body": "y"}\n', "f.jsonl")
    (one,), (many,) = fake_enricher().enrich([single]), fake_enricher().enrich([feed])
    assert one.articles[0].id == single.id
    assert len({article.id for article in many.articles} | {feed.id}) == 3
    assert [a.provenance.item for a in many.articles] == [1, 2]


def test_the_document_section_wins_over_the_inbox_folder() -> None:
    from_document = enrich_one("date 2024-09-11 WORLD\nT\n\nB.", "business/x.txt").articles[0]
    from_folder = enrich_one("Title\n\nBody.", "business/x.txt").articles[0]
    top_level = enrich_one("Title\n\nBody.", "x.txt").articles[0]
    assert (from_document.section, from_document.section_source) == ("World", "document")
    assert (from_folder.section, from_folder.section_source) == ("Business", "inbox_folder")
    assert (top_level.section, top_level.section_source) == (None, None)


def test_reading_time_is_computed_from_the_word_count_when_not_given() -> None:
    article = enrich_one("Title\n\n" + "word " * 401).articles[0]  # 200 words per minute
    assert (article.word_count, article.reading_time_minutes) == (401, 3)
    assert article.reading_time_source == "word_count"


def test_entities_come_from_title_standfirst_caption_and_body_with_their_field() -> None:
    content = "date 2024-09-11 WORLD\nAlpha title\nBravo standfirst.\nCharlie / Photo: AP\n\nDelta."
    entities = enrich_one(content).articles[0].entities
    assert [(e.name, e.first_mention.field) for e in entities] == [
        ("Alpha", "title"),
        ("Bravo", "standfirst"),
        ("Charlie", "image_caption"),
        ("Delta", "body"),
    ]


def test_an_unknown_format_is_rejected_with_the_reason() -> None:
    (enrichment,) = fake_enricher().enrich(
        [raw_article("%PDF-1.7", "report.pdf", media_type="application/pdf")]
    )
    assert enrichment.articles == []
    (rejection,) = enrichment.rejections
    assert rejection.error_type == "unknown_format"
    assert "'.pdf'" in rejection.reason
    assert rejection.item is None


def test_a_broken_feed_line_is_rejected_with_its_text_and_the_rest_enriched() -> None:
    enrichment = enrich_one('{"title": "Good", "body": "B."}\n{"title": oops}\n', "f.jsonl")
    assert [a.title for a in enrichment.articles] == ["Good"]
    (rejection,) = enrichment.rejections
    assert (rejection.error_type, rejection.item, rejection.original) == (
        "unparseable_article",
        2,
        '{"title": oops}',
    )


def test_an_unexpected_parser_failure_rejects_that_input_only(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def explode(content: str) -> list[ParsedItem]:
        raise KeyError("bug")

    monkeypatch.setitem(parsers.PARSERS, "markdown", explode)
    good, bad = fake_enricher().enrich([raw_article("T\n\nB."), raw_article("# T", "x.md")])
    assert len(good.articles) == 1
    assert [(r.error_type, r.reason) for r in bad.rejections] == [
        ("enrich_failed", "KeyError: 'bug'")
    ]


def test_an_article_longer_than_the_model_accepts_is_rejected() -> None:
    recogniser = CapitalisedWordsRecogniser()
    recogniser.max_length = 50
    enricher = ArticleEnricher(recogniser, words_per_minute=200)
    (enrichment,) = enricher.enrich([raw_article("Title\n\n" + "x" * 60)])
    assert [r.error_type for r in enrichment.rejections] == ["article_too_long"]


def test_rejections_carry_the_parser_reason() -> None:
    (rejection,) = enrich_one('{"body": "no title"}', "a.json").rejections
    assert rejection.error_type == UnparseableArticleError.error_type
    assert rejection.reason.startswith("no title")
