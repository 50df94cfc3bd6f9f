"""What a search will cost, from its words' document frequencies, the same for both back-ends:
too broad or too large a page is refused naming the limit, facets of broad searches are sampled,
and the frequencies are read from the index only when not known lately."""

from typing import Any

import pytest

from newswire_api.search.cost import (
    CostLimits,
    DocumentFrequencies,
    IndexStatistics,
    plan_search,
    searched_words,
)
from newswire_api.search_request import InvalidSearchError, SearchParams

LIMITS = CostLimits(max_breadth=2.0, max_size_times_words=640, facet_sample=1000)
# An index of 4,000 articles: common words in most of them, names in a few.
INDEX = IndexStatistics(
    4000,
    {"said": 3600, "has": 3500, "have": 3100, "year": 2000, "iraq": 300, "pezeshkian": 2},
)


def _plan(**params: Any) -> Any:
    return plan_search(SearchParams.model_validate(params), lambda words: INDEX, LIMITS)


def test_the_searched_words_are_each_word_once_without_stop_words() -> None:
    assert searched_words('Iraq OR "the Iraqi army" -iraq (IRAQ and)') == ["iraq", "iraqi", "army"]
    assert searched_words("the and of") == []
    assert searched_words(None) == []


def test_a_query_whose_words_read_the_index_too_many_times_is_refused_naming_the_limit() -> None:
    with pytest.raises(InvalidSearchError) as refused:
        _plan(q="said OR has OR have")

    message = str(refused.value)
    assert "`q` is too broad" in message
    assert "2.5 times as many articles as the index holds" in message
    assert "at most 2 (NEWSWIRE_API_MAX_QUERY_BREADTH)" in message


def test_words_read_the_same_whether_or_ed_and_ed_or_excluded() -> None:
    for q in ["said has have", '"said has have"', "iraq -said -has -have"]:
        with pytest.raises(InvalidSearchError, match="too broad"):
            _plan(q=q)


def test_a_query_of_rare_and_common_words_within_the_limit_is_answered() -> None:
    # (2 + 300 + 3,600) / 4,000 articles: the index read about once
    assert _plan(q="pezeshkian iraq said").facet_sample is None


def test_a_page_too_large_for_its_words_is_refused_naming_the_largest_page() -> None:
    words = " OR ".join(f"rare{n}" for n in range(32))
    with pytest.raises(InvalidSearchError) as refused:
        _plan(q=words, size=100)

    message = str(refused.value)
    assert "`size` 100 x 32 words searched is 3,200; at most 640" in message
    assert "NEWSWIRE_API_MAX_SIZE_TIMES_WORDS" in message
    assert "a page of at most 20" in message
    assert _plan(q=words, size=20).facet_sample is None


def test_facets_are_sampled_when_the_words_may_match_more_than_the_sample() -> None:
    assert _plan(q="said").facet_sample == 1000
    assert _plan(q="iraq OR year").facet_sample == 1000  # 300 + 2,000 may match
    assert _plan(q="iraq").facet_sample is None
    assert _plan(q="iraq year").facet_sample is None  # both: at most the rarer's 300
    assert _plan(q='"said iraq"').facet_sample is None
    assert _plan(q="said -iraq").facet_sample == 1000


def test_a_listing_without_words_and_a_cursor_page_are_not_sampled() -> None:
    assert _plan(section=["World"]).facet_sample is None
    assert _plan(q="-said").facet_sample is None  # an exclusion narrows nothing to count
    plan = plan_search(SearchParams(q="said", cursor="a.b"), lambda words: INDEX, LIMITS)
    assert plan.facet_sample is None


def test_without_statistics_only_the_page_size_is_checked() -> None:
    unknown = plan_search(SearchParams(q="said has have"), lambda words: None, LIMITS)

    assert unknown.facet_sample is None


def test_a_page_too_large_is_refused_before_the_index_is_asked() -> None:
    asked: list[list[str]] = []

    def statistics_of(words: list[str]) -> IndexStatistics:
        asked.append(words)
        return INDEX

    with pytest.raises(InvalidSearchError, match="`size` 100 x 7 words"):
        plan_search(SearchParams(q="a1 a2 a3 a4 a5 a6 a7", size=100), statistics_of, LIMITS)
    plan_search(SearchParams(), statistics_of, LIMITS)

    assert asked == []


def test_document_frequencies_are_read_only_for_words_not_known_lately() -> None:
    now = [0.0]
    asked: list[list[str]] = []

    def read(words: list[str]) -> IndexStatistics:
        asked.append(words)
        return IndexStatistics(4000, {word: INDEX.frequency(word) for word in words})

    frequencies = DocumentFrequencies(ttl_s=60, clock=lambda: now[0])
    first = frequencies.of(["said", "iraq"], read)
    again = frequencies.of(["iraq", "said"], read)
    more = frequencies.of(["iraq", "year"], read)
    now[0] = 61.0
    later = frequencies.of(["iraq"], read)

    assert asked == [["said", "iraq"], ["year"], ["iraq"]]
    assert first == again == IndexStatistics(4000, {"said": 3600, "iraq": 300})
    assert more.frequency("year") == 2000
    assert later.frequency("iraq") == 300
