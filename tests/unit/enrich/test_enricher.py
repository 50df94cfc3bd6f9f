"""Enrichment of a batch: metadata rules, ids, batching of NER and rejections."""

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from newswire.enriched import Concept, EnrichedArticle, Place
from newswire_enrich import parsers
from newswire_enrich.article import ParsedItem
from newswire_enrich.enrichment import ArticleEnricher, Enrichment
from newswire_enrich.errors import UnparseableArticleError
from tests.conftest import REPO_ROOT
from tests.support.enrichers import (
    CapitalisedWordsRecogniser,
    binary_raw_article,
    docx_document,
    fake_enricher,
    pdf_document,
    raw_article,
)

FIXTURES = REPO_ROOT / "tests" / "fixtures" / "formats"
# The fields v1 gained for wire formats, feeds and structured pages.
# The wire metadata added within v1 (the story fields of v2 are always set).
ADDED_FIELDS = list(EnrichedArticle.model_fields)[
    list(EnrichedArticle.model_fields).index("provenance") + 1 : list(
        EnrichedArticle.model_fields
    ).index("story_key")
]


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


def test_a_single_article_file_keeps_the_raw_id_as_content_and_a_feed_gets_one_story_per_item() -> (
    None
):
    single = raw_article("Title\n\nBody.")
    feed = raw_article('{"title": "A", "body": "x"}\n{"title": "B", "body": "y"}\n', "f.jsonl")
    (one,), (many,) = fake_enricher().enrich([single]), fake_enricher().enrich([feed])
    assert one.articles[0].content_sha256 == single.id
    assert one.articles[0].story_key == f"inbox:{single.relative_path}"
    assert [article.story_key for article in many.articles] == [
        "inbox:f.jsonl#1",
        "inbox:f.jsonl#2",
    ]
    assert len({article.content_sha256 for article in many.articles} | {feed.id}) == 3
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
    ((error_type, reason),) = [(r.error_type, r.reason) for r in bad.rejections]
    assert error_type == "enrich_failed"
    assert reason.startswith("a parser failed unexpectedly on this document")
    assert "KeyError" not in reason  # the exception's name is for the log, not the reason


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


def test_wire_metadata_reaches_the_enriched_article(shared_dir: Path) -> None:
    path = shared_dir / "samples/formats/newsml-g2-LISTING_1_A_NewsML-G2_News_Item.xml"
    (article,) = enrich_one(path.read_text(), "wire/fed").articles

    assert article.provenance.format == "newsml-g2"
    assert (article.guid, article.version, article.provider) == (
        "urn:newsml:acmenews.com:20161018:US-FINANCE-FED",
        11,
        "REUTERS",
    )
    assert article.embargoed is True
    assert article.embargoed_until == datetime(2018, 10, 23, 12, 0, tzinfo=UTC)
    assert (article.pub_status, article.signals, article.slugline) == (
        "usable",
        ["update"],
        "US-Finance-Fed",
    )
    assert article.updated_at == datetime(2018, 10, 21, 21, 25, 32, tzinfo=UTC)
    assert article.content_created == datetime(2016, 10, 18, 16, 12, tzinfo=UTC)
    assert article.located == Place(name="Berlin", code="geo:345678", country="Germany")
    assert [s.code for s in article.subjects] == ["medtop:04000000", "medtop:20000523"]
    assert article.genres == [Concept(code="genre:interview", name="Interview")]
    assert article.usage_terms == "Not for use outside the United States"
    assert article.language == "en"  # the item's xml:lang en-GB, its primary subtag
    assert article.section == "Wire"  # the NewsML item names no section: the inbox folder's


def test_an_embargo_until_further_notice_has_no_end() -> None:
    content = (FIXTURES / "newsml-g2-news-message.xml").read_text()
    _, markets = enrich_one(content, "message.xml").articles

    assert (markets.embargoed, markets.embargoed_until, markets.pub_status) == (
        True,
        None,
        "withheld",
    )


def test_formats_without_wire_metadata_leave_the_new_fields_empty() -> None:
    (article,) = enrich_one("Title\n\nBody.").articles
    fields = article.model_dump()
    assert [name for name in ADDED_FIELDS if fields[name] not in (None, [], False)] == []


def test_a_word_and_a_pdf_release_are_enriched_from_their_bytes() -> None:
    created = datetime(2024, 9, 11, 7, 0, tzinfo=UTC)
    word = binary_raw_article(
        docx_document("Acme opens a factory", ["It employs 240 people."], "Marie Curval", created),
        "releases/acme.docx",
    )
    pdf = binary_raw_article(
        pdf_document(["Harbour reopens", "", "Ships move again."], {"Author": "Port Office"}),
        "releases/harbour.pdf",
    )

    (from_word,), (from_pdf,) = (e.articles for e in fake_enricher().enrich([word, pdf]))

    assert (from_word.title, from_word.body, from_word.authors) == (
        "Acme opens a factory",
        ["It employs 240 people."],
        ["Marie Curval"],
    )
    assert from_word.provenance.format == "docx"
    assert from_word.content_sha256 == word.id  # one article per file: the file's sha256
    assert (from_pdf.title, from_pdf.body, from_pdf.provenance.format) == (
        "Harbour reopens",
        ["Ships move again."],
        "pdf",
    )


def test_a_broken_pdf_is_rejected_with_what_to_do() -> None:
    broken = binary_raw_article(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n", "x.pdf")
    (enrichment,) = fake_enricher().enrich([broken])
    (rejection,) = enrichment.rejections
    assert rejection.error_type == "unparseable_article"
    assert rejection.reason.startswith("it is a PDF file that cannot be read")
    assert "export the release as text" in rejection.reason


def test_each_feed_item_is_an_article_and_a_bad_item_is_rejected_alone() -> None:
    content = (FIXTURES / "rss-2.0-content-encoded.xml").read_text()
    enrichment = enrich_one(content, "feeds/gazette.xml")

    assert [a.title for a in enrichment.articles] == [
        "Ferry timetable changes for the winter",
        "Lifeboat crew rescues two sailors",
    ]
    assert {a.provider for a in enrichment.articles} == {"Harbour Gazette"}
    assert [a.provenance.item for a in enrichment.articles] == [1, 2]
    (rejection,) = enrichment.rejections
    assert (rejection.item, rejection.reason) == (3, "the item has no title")
    assert rejection.original is not None
    assert rejection.original.startswith("<item")


@pytest.mark.parametrize(
    "url",
    ["javascript:alert(1)", "data:text/html,<b>x</b>", "file:///etc/passwd", "https://", "www.x"],
)
def test_an_address_that_is_not_a_web_page_is_neither_stored_nor_a_story_key(url: str) -> None:
    document = json.dumps({"title": "Click", "body": "Some text.", "url": url})
    (article,) = enrich_one(document, "world/click.json").articles
    assert article.url is None
    assert article.story_key == "inbox:world/click.json"


def test_a_web_address_is_stored_and_keys_the_story() -> None:
    document = json.dumps({"title": "T", "body": "B.", "url": "https://example.org/a?b=1"})
    (article,) = enrich_one(document, "t.json").articles
    assert (article.url, article.story_key) == (
        "https://example.org/a?b=1",
        "url:https://example.org/a?b=1",
    )


def test_a_feed_item_with_a_relative_namespace_uri_is_read_not_failed() -> None:
    feed = (
        '<?xml version="1.0"?><rss version="2.0" xmlns:x="relative/ns"><channel><title>T</title>'
        "<item><title>Hello</title><x:a>1</x:a><description>Body text.</description></item>"
        "</channel></rss>"
    )
    enrichment = enrich_one(feed, "feed.xml")
    assert enrichment.rejections == []
    assert [article.title for article in enrichment.articles] == ["Hello"]


def test_json_nested_deeper_than_a_parser_follows_is_refused_as_too_large() -> None:
    (rejection,) = enrich_one("[" * 50_000 + "]" * 50_000, "deep.json").rejections
    assert rejection.error_type == "document_too_large"
    assert "nested too deeply" in rejection.reason
