"""Dates come from the document's own words, never from the clock or a guess."""

from datetime import UTC, date, datetime

import pytest

from newswire_enrich.article import Publication
from newswire_enrich.dates import parse_publication


@pytest.mark.parametrize(
    "text",
    ["2024-09-11", "September 11, 2024", "11 September 2024", "Wed, 11 Sep 2024"],
)
def test_a_stated_day_is_parsed_without_a_time(text: str) -> None:
    assert parse_publication(text) == Publication(day=date(2024, 9, 11))


def test_a_time_with_its_zone_gives_the_moment_in_utc_and_the_local_day() -> None:
    assert parse_publication("2024-09-11T23:30:00-02:00") == Publication(
        day=date(2024, 9, 11), moment=datetime(2024, 9, 12, 1, 30, tzinfo=UTC)
    )


def test_a_time_without_a_zone_gives_only_the_day() -> None:
    assert parse_publication("2024-09-11 08:30") == Publication(day=date(2024, 9, 11))


@pytest.mark.parametrize(
    "text",
    ["yesterday", "2 days ago", "September 2024", "September 11", "2024", "", "3 MIN READ"],
)
def test_relative_partial_and_non_dates_are_refused(text: str) -> None:
    assert parse_publication(text) is None


def test_prose_is_not_searched_for_a_date() -> None:
    assert (
        parse_publication("The minister met his counterpart on 11 September 2024 and " * 2) is None
    )
