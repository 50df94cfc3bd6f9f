"""The newsroom header format: each optional head line may be missing or vary in shape."""

from datetime import date

import pytest

from newswire_enrich.errors import UnparseableArticleError
from newswire_enrich.parsers.header_text import has_header, parse_header_text

MINIMAL = " date 2024-09-11 WORLD\nA title\n\nThe body.\n"


def test_the_header_is_recognised_with_or_without_its_leading_space() -> None:
    assert has_header(" date 2024-09-11 WORLD\n")
    assert has_header("date 2024-09-11 business\n")
    assert not has_header("Title\n\ndate 2024-09-11 WORLD\n")


def test_a_minimal_article_needs_only_header_title_and_body() -> None:
    article = parse_header_text(MINIMAL)
    assert (article.title, article.body, article.section) == ("A title", ("The body.",), "World")
    assert article.publication is not None
    assert article.publication.day == date(2024, 9, 11)
    assert article.standfirst is None
    assert article.image_caption is None
    assert article.reading_time_minutes is None
    assert article.related_titles == ()


def test_a_header_without_section_leaves_the_section_to_the_inbox_folder() -> None:
    assert parse_header_text("date 2024-09-11\nA title\n\nThe body.").section is None


def test_head_lines_are_told_apart_by_shape_not_position() -> None:
    article = parse_header_text(
        "date 2024-09-11 politics\n12 minutes read\nA title\n"
        "Sept 12, 2024\nA caption / photo: Reuters\nThe standfirst.\n\nBody.\n"
    )
    assert article.reading_time_minutes == 12
    assert (article.image_caption, article.image_credit) == ("A caption", "Reuters")
    assert article.standfirst == "The standfirst."
    assert article.publication is not None
    assert article.publication.day == date(2024, 9, 11)


def test_a_caption_may_be_only_a_credit() -> None:
    article = parse_header_text("date 2024-09-11 WORLD\nA title\n/ Photo: AP\n\nBody.")
    assert (article.image_caption, article.image_credit) == (None, "AP")


def test_trailing_related_lines_in_every_spelling_leave_the_body() -> None:
    article = parse_header_text(
        MINIMAL + "\nRelatedCan this be?\n\nRelated: Another one\n\nRelated - A third\n"
    )
    assert article.body == ("The body.",)
    assert article.related_titles == ("Can this be?", "Another one", "A third")


def test_a_body_paragraph_starting_with_related_words_stays_in_the_body() -> None:
    article = parse_header_text(MINIMAL + "\nRelatedly, officials said more.\n")
    assert article.body == ("The body.", "Relatedly, officials said more.")


def test_a_head_block_not_followed_by_a_blank_line_and_body_is_unparseable() -> None:
    with pytest.raises(UnparseableArticleError, match="blank line"):
        parse_header_text("date 2024-09-11 WORLD\nA title\nThe standfirst.\n")


def test_a_header_without_title_is_unparseable() -> None:
    with pytest.raises(UnparseableArticleError, match="no title"):
        parse_header_text("date 2024-09-11 WORLD\n3 MIN READ\n\nBody.\n")
