"""The search box syntax: what people type, and the only `simple_query_string` it can become."""

import pytest

from newswire_api.search.elasticsearch.text_query import SAFE_FLAGS, to_simple_query_string


@pytest.mark.parametrize(
    ("typed", "sent"),
    [
        ("pezeshkian iraq", "pezeshkian iraq"),
        ('"masoud pezeshkian"', '"masoud pezeshkian"'),
        ("iraq -iran", "iraq -iran"),
        ('iraq -"united states"', 'iraq -"united states"'),
        ("NOT iran", "-iran"),
        ("iran AND iraq", "iran iraq"),
    ],
)
def test_words_phrases_and_exclusions_pass_through(typed: str, sent: str) -> None:
    assert to_simple_query_string(typed) == sent


def test_or_binds_tighter_than_the_implicit_and() -> None:
    assert to_simple_query_string("president Iran OR Iraq") == "president (Iran | Iraq)"
    assert to_simple_query_string("Iran | Iraq | Syria oil") == "(Iran | Iraq | Syria) oil"


def test_parentheses_group_and_can_be_excluded() -> None:
    assert to_simple_query_string("(blair brown) OR howard") == "((blair brown) | howard)"
    assert to_simple_query_string("election -(labour OR tory)") == "election -(labour | tory)"


@pytest.mark.parametrize(
    ("typed", "sent"),
    [
        ("gov*", r"gov\*"),  # no prefix query over every term of the index
        ("blair~2", r"blair\~2"),  # no fuzzy query
        ('"a b"~5', '"a b"'),  # a slop after a phrase is dropped (the ~ is a word of its own)
        ("Iran-backed", r"Iran\-backed"),
        ("c:\\path", "c:\\\\path"),
    ],
)
def test_operator_characters_inside_words_are_taken_literally(typed: str, sent: str) -> None:
    assert to_simple_query_string(typed).startswith(sent)


def test_a_slop_suffix_never_reaches_elasticsearch_as_an_operator() -> None:
    assert "~" not in to_simple_query_string('"a b"~5').replace("\\~", "")


@pytest.mark.parametrize(
    ("typed", "sent"),
    [
        ('"unterminated phrase', '"unterminated phrase"'),
        ("((iraq", "iraq"),
        ("iraq)", "iraq"),
        ("OR iraq OR", "iraq"),
        ("iran OR OR iraq", "(iran | iraq)"),
        ("iran - iraq", "iran iraq"),
        ("", ""),
        ("   ", ""),
        ('""', ""),
        ("()", ""),
        ("-", ""),
    ],
)
def test_unbalanced_or_empty_input_is_repaired_not_refused(typed: str, sent: str) -> None:
    assert to_simple_query_string(typed) == sent


def test_the_flags_leave_out_every_expensive_operator() -> None:
    assert set(SAFE_FLAGS.split("|")).isdisjoint({"PREFIX", "FUZZY", "NEAR", "SLOP", "ALL"})
