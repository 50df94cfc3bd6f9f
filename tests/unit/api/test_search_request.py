"""What a client may ask: parameters refused with the fix, and cursors that fit only their own
search. Checked without a back-end."""

from typing import Any

import pytest
from pydantic import ValidationError

from newswire_api.search_request import (
    MAX_PAGE_SIZE,
    EntityFilter,
    InvalidSearchError,
    SearchParams,
    decode_cursor,
    encode_cursor,
)


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
