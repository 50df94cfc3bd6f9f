"""JSON article objects, arrays and JSON Lines, under the field names newsrooms use."""

import hashlib
import json
from datetime import UTC, date, datetime

import pytest

from newswire_enrich.article import ParsedArticle, Publication, RejectedItem
from newswire_enrich.errors import UnparseableArticleError
from newswire_enrich.parsers.json_articles import parse_json, parse_json_lines


def only_article(items: list[ParsedArticle | RejectedItem]) -> ParsedArticle:
    (item,) = items
    assert isinstance(item, ParsedArticle)
    return item


def test_common_field_names_are_understood() -> None:
    article = only_article(
        parse_json(
            json.dumps(
                {
                    "headline": "Rates cut",
                    "text": "First paragraph.\n\nSecond paragraph.",
                    "description": "The bank moved.",
                    "published_at": "2024-09-11T08:30:00+01:00",
                    "category": "BUSINESS",
                    "authors": [{"name": "Jane Doe"}, {"name": "John Smith"}],
                    "link": "https://example.com/rates",
                    "keywords": "rates, banks",
                    "image": {"caption": "The bank.", "credit": "Reuters"},
                    "related": [{"title": "Earlier cut"}],
                }
            )
        )
    )
    assert article.title == "Rates cut"
    assert article.body == ("First paragraph.", "Second paragraph.")
    assert article.standfirst == "The bank moved."
    assert article.publication == Publication(
        day=date(2024, 9, 11), moment=datetime(2024, 9, 11, 7, 30, tzinfo=UTC)
    )
    assert (article.section, article.url) == ("Business", "https://example.com/rates")
    assert article.authors == ("Jane Doe", "John Smith")
    assert article.tags == ("rates", "banks")
    assert (article.image_caption, article.image_credit) == ("The bank.", "Reuters")
    assert article.related_titles == ("Earlier cut",)
    assert article.item is None  # a one-article file: the raw id is the article id


def test_a_body_given_as_a_list_of_paragraphs_and_a_byline_string() -> None:
    article = only_article(
        parse_json('{"title": "T", "body": ["One.", "Two."], "byline": "By Jane Doe and Bo Li"}')
    )
    assert (article.body, article.authors) == (("One.", "Two."), ("Jane Doe", "Bo Li"))


def test_an_unparseable_date_is_left_out_not_guessed() -> None:
    article = only_article(parse_json('{"title": "T", "body": "B", "date": "last week"}'))
    assert article.publication is None


def test_each_json_line_is_its_own_article_with_an_id_from_its_content() -> None:
    first, second = {"title": "One", "body": "A."}, {"body": "B.", "title": "Two"}
    items = parse_json_lines(f"{json.dumps(first)}\n\n{json.dumps(second, indent=None)}\n")
    assert [(i.title, i.item.number) for i in items if isinstance(i, ParsedArticle) and i.item] == [
        ("One", 1),
        ("Two", 3),
    ]
    canonical = json.dumps(second, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert isinstance(items[1], ParsedArticle)
    assert items[1].item
    assert items[1].item.sha256 == hashlib.sha256(canonical.encode()).hexdigest()


def test_an_article_id_does_not_depend_on_key_order_spacing_or_line() -> None:
    (alone,) = parse_json_lines('{"title": "T", "body": "B."}\n')
    (*_, moved) = parse_json_lines('{"title": "X", "body": "Y."}\n{ "body":"B.","title":"T" }\n')
    assert isinstance(alone, ParsedArticle)
    assert isinstance(moved, ParsedArticle)
    assert alone.item
    assert moved.item
    assert alone.item.sha256 == moved.item.sha256


def test_a_broken_line_is_rejected_alone_and_its_siblings_go_through() -> None:
    items = parse_json_lines('{"title": "Good", "body": "B."}\n{"title": \n[1, 2]\n{"body": "x"}\n')
    assert isinstance(items[0], ParsedArticle)
    rejected = [(i.number, str(i.error)) for i in items if isinstance(i, RejectedItem)]
    assert [number for number, _ in rejected] == [2, 3, 4]
    assert rejected[0][1].startswith("line 2: invalid JSON")
    assert "not a JSON object" in rejected[1][1]
    assert "no title" in rejected[2][1]


def test_a_json_array_holds_one_article_per_element() -> None:
    items = parse_json('[{"title": "A", "body": "x"}, {"title": "B", "body": "y"}]')
    assert [(i.title, i.item.number) for i in items if isinstance(i, ParsedArticle) and i.item] == [
        ("A", 1),
        ("B", 2),
    ]


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        ('{"title": "T",', "invalid JSON at line 1"),
        ('"just a string"', "not a string"),
        ("42", "not a number"),
        ("null", "not null"),
        ("[]", "holds no articles"),
        ('{"body": "no title"}', "no title"),
    ],
)
def test_a_json_file_that_is_not_an_article_is_unparseable(content: str, reason: str) -> None:
    with pytest.raises(UnparseableArticleError, match=reason):
        parse_json(content)


def test_an_empty_json_lines_file_is_unparseable() -> None:
    with pytest.raises(UnparseableArticleError, match="holds no articles"):
        parse_json_lines("\n \n")


def test_an_object_s_own_id_and_version_make_its_story_key_and_version() -> None:
    named = only_article(parse_json('{"id": "desk-42", "version": 3, "title": "T", "body": "B"}'))
    assert (named.guid, named.version) == ("desk-42", 3)
    unnamed = only_article(parse_json('{"id": true, "version": "x", "title": "T", "body": "B"}'))
    assert (unnamed.guid, unnamed.version) == (None, None)
