"""What a client may ask: parameters refused with the fix, and cursors that fit only their own
search and only this server's secret. Checked without a back-end."""

import base64
import json
from typing import Any

import pytest
from pydantic import ValidationError

from newswire_api.query_syntax import MAX_NESTING, MAX_TERMS
from newswire_api.search_request import (
    MAX_PAGE_SIZE,
    MISSING_DATE,
    CursorCodec,
    EntityFilter,
    InvalidSearchError,
    SearchParams,
)

CURSORS = CursorCodec(b"a test's cursor secret")
encode_cursor = CURSORS.encode
decode_cursor = CURSORS.decode


def _params(**fields: Any) -> SearchParams:
    return SearchParams.model_validate(fields)


def test_an_entity_label_prefix_counts_only_when_it_is_a_known_label() -> None:
    assert EntityFilter.parse("PERSON:Masoud Pezeshkian") == EntityFilter(
        name="Masoud Pezeshkian", label="PERSON"
    )
    assert EntityFilter.parse("Re:Invent") == EntityFilter(name="Re:Invent")


def test_a_range_that_ends_before_it_starts_is_refused_with_the_fix() -> None:
    with pytest.raises(ValidationError, match="swap them"):
        _params(**{"from": "2024-10-01", "to": "2024-09-01"})


@pytest.mark.parametrize(
    "fields",
    [
        {"size": MAX_PAGE_SIZE + 1},
        {"size": 0},
        {"sort": "popularity"},
        {"interval": "year"},
        {"q": "x" * 501},
        {"section": ["s"] * 21},
        {"colour": "red"},
    ],
)
def test_out_of_bounds_or_unknown_parameters_are_refused(fields: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        _params(**fields)


def test_a_cursor_round_trips_to_the_sort_values_of_the_last_hit() -> None:
    params = _params(q="iraq", section=["World"])
    cursor = encode_cursor(params, [12.25, "article-9"])
    assert decode_cursor(params.model_copy(update={"cursor": cursor})) == [12.25, "article-9"]
    by_date = _params(sort="date")
    cursor = encode_cursor(by_date, [1726012800000, "article-9"])
    assert decode_cursor(by_date.model_copy(update={"cursor": cursor})) == [
        1726012800000,
        "article-9",
    ]


def test_a_cursor_is_refused_when_the_search_changed_under_it() -> None:
    cursor = encode_cursor(_params(q="iraq"), [3.0, "a"])
    with pytest.raises(InvalidSearchError, match="different search"):
        decode_cursor(_params(q="iran", cursor=cursor))
    with pytest.raises(InvalidSearchError, match="different search"):
        decode_cursor(_params(q="iraq", sort="date", cursor=cursor))


def test_a_cursor_may_change_the_page_size_and_interval() -> None:
    cursor = encode_cursor(_params(q="iraq"), [3.0, "a"])
    assert decode_cursor(_params(q="iraq", size=50, interval="day", cursor=cursor)) == [3.0, "a"]


@pytest.mark.parametrize("cursor", ["abc", "!!!", "eyJ4IjoxfQ", ""])
def test_a_cursor_not_made_by_the_api_is_refused(cursor: str) -> None:
    with pytest.raises(InvalidSearchError, match="leave `cursor` out"):
        decode_cursor(_params(q="iraq", cursor=cursor))


def test_a_query_past_the_syntax_limits_is_refused_naming_the_limit() -> None:
    with pytest.raises(ValidationError, match=f"more than {MAX_NESTING} deep"):
        _params(q="(" * 400 + "a")
    distinct = " ".join(f"word{n}" for n in range(MAX_TERMS + 1))
    with pytest.raises(ValidationError, match=f"at most {MAX_TERMS} are allowed"):
        _params(q=distinct)


def test_repeated_words_count_once_against_the_limit() -> None:
    assert _params(q="s " * 250).q == "s " * 250


def _forged(after: list[Any], search_of: SearchParams) -> str:
    """A cursor re-encoded by hand, as an attacker would, keeping the original's signature."""
    signed = encode_cursor(search_of, [1.0, "a"])
    _, signature = signed.split(".")
    body = {"search": search_of.result_list_key(), "after": after}
    payload = base64.urlsafe_b64encode(json.dumps(body).encode()).decode().rstrip("=")
    return f"{payload}.{signature}"


def test_a_cursor_re_encoded_by_hand_is_refused() -> None:
    by_date = _params(sort="date")
    cursor = _forged([2**63, "x"], by_date)
    with pytest.raises(InvalidSearchError, match="leave `cursor` out"):
        decode_cursor(by_date.model_copy(update={"cursor": cursor}))


def test_a_cursor_of_another_secret_is_refused() -> None:
    params = _params(q="iraq")
    cursor = CursorCodec(b"another server's secret").encode(params, [1.0, "a"])
    with pytest.raises(InvalidSearchError, match="leave `cursor` out"):
        decode_cursor(params.model_copy(update={"cursor": cursor}))


@pytest.mark.parametrize(
    ("sort", "after"),
    [
        ("date", [2**63, "x"]),
        ("date", [-(2**63) + 1, "x"]),
        ("date", [1.5, "x"]),
        ("relevance", [3, "x"]),
        ("relevance", [1.0, ""]),
        ("relevance", [1.0, "x" * 513]),
    ],
)
def test_signed_cursor_values_out_of_range_are_refused(sort: str, after: list[Any]) -> None:
    params = _params(q="iraq", sort=sort)
    cursor = encode_cursor(params, after)
    with pytest.raises(InvalidSearchError, match="leave `cursor` out"):
        decode_cursor(params.model_copy(update={"cursor": cursor}))


def test_the_missing_date_sentinel_is_a_valid_date_cursor() -> None:
    by_date = _params(sort="date")
    cursor = encode_cursor(by_date, [MISSING_DATE, "undated"])
    assert decode_cursor(by_date.model_copy(update={"cursor": cursor})) == [MISSING_DATE, "undated"]
