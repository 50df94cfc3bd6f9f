"""Issue 27's costliest query on both back-ends (a real Elasticsearch node and the embedded index,
each holding 300 BBC articles and the reference sample): 32 of the corpus's most common words
OR-ed, `size=100&interval=day`, is refused naming the limit it is past, before the index is
searched; broad searches count their facets over a sample and say so; narrow ones are untouched.

Speed is not asserted here: `benchmarks/api_abuse.py` measures what each costs."""

import re
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from benchmarks.corpus import enriched_bbc_articles
from newswire.enriched import EnrichedArticle
from newswire.settings import Settings
from newswire_api.app import create_app
from newswire_api.query_syntax import MAX_TERMS
from newswire_api.search.model import STOP_WORDS
from tests.support.search_corpus import (
    BACKENDS,
    Backend,
    index_articles,
    index_embedded,
    reference_sample,
    serving,
)

pytestmark = pytest.mark.integration

SAMPLE = 50


@pytest.fixture(scope="module")
def articles(shared_dir: Path) -> list[EnrichedArticle]:
    return [*enriched_bbc_articles(shared_dir, limit=300), reference_sample(shared_dir)]


@pytest.fixture(scope="module")
def common_words(articles: list[EnrichedArticle]) -> list[str]:
    """The words in most articles, as the probe chose them (no stop words, no numbers)."""
    in_articles: Counter[str] = Counter()
    for article in articles:
        text = " ".join([article.title, *article.body]).lower()
        in_articles.update({word for word in re.findall(r"[a-z]+", text) if len(word) > 2})
    return [word for word, _ in in_articles.most_common() if word not in STOP_WORDS][:MAX_TERMS]


@pytest.fixture(scope="module", params=BACKENDS)
def api(
    request: pytest.FixtureRequest,
    articles: list[EnrichedArticle],
    elasticsearch_url: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[httpx.Client]:
    """An API over a back-end holding `articles`, counting facets over SAMPLE best matches."""
    backend: Backend = request.param
    small_sample = {"api_facet_sample_size": SAMPLE}
    if backend == "embedded":
        settings = index_embedded(tmp_path_factory.mktemp("query-cost-index"), articles)
        served = settings.model_copy(update=small_sample)
        with serving(create_app(served)) as url, httpx.Client(base_url=url, timeout=30) as http:
            yield http
        return
    from newswire.adapters.elasticsearch import create_client  # noqa: PLC0415

    name = f"test-query-cost-{uuid.uuid4().hex[:8]}"
    settings = Settings(elasticsearch_url=elasticsearch_url, index_alias=f"{name}-alias")
    client = create_client(settings)
    try:
        index_articles(client, settings.index_alias, name, articles)
        data_dir = tmp_path_factory.mktemp("query-cost-data")
        served = settings.model_copy(update={"data_dir": data_dir, **small_sample})
        with serving(create_app(served)) as url, httpx.Client(base_url=url, timeout=30) as http:
            yield http
    finally:
        client.options(ignore_status=404).indices.delete(index=f"{name}*")
        client.close()


def test_the_probes_32_word_query_is_refused_naming_the_page_limit(
    api: httpx.Client, common_words: list[str]
) -> None:
    probe: dict[str, str | int] = {"q": " OR ".join(common_words), "size": 100, "interval": "day"}

    refused = api.get("/articles/search", params=probe)

    assert refused.status_code == 422
    assert "`size` 100 x 32 words searched is 3,200" in refused.json()["detail"]
    assert "NEWSWIRE_API_MAX_SIZE_TIMES_WORDS" in refused.json()["detail"]


def test_the_32_common_words_on_a_normal_page_are_refused_as_too_broad(
    api: httpx.Client, common_words: list[str]
) -> None:
    refused = api.get("/articles/search", params={"q": " OR ".join(common_words)})

    assert refused.status_code == 422
    assert "`q` is too broad" in refused.json()["detail"]
    assert "NEWSWIRE_API_MAX_QUERY_BREADTH" in refused.json()["detail"]


def test_a_broad_search_counts_its_facets_over_a_sample_and_says_so(
    api: httpx.Client, common_words: list[str]
) -> None:
    page = api.get("/articles/search", params={"q": common_words[0]}).json()

    assert page["total"] > SAMPLE
    assert page["facets"]["sample"] == SAMPLE
    assert 0 < sum(section["count"] for section in page["facets"]["sections"]) <= SAMPLE
    assert sum(bucket["count"] for bucket in page["facets"]["timeline"]) <= SAMPLE


def test_a_narrow_search_counts_its_facets_over_every_match(api: httpx.Client) -> None:
    page = api.get("/articles/search", params={"q": "pezeshkian"}).json()

    assert 0 < page["total"] <= SAMPLE
    assert page["facets"]["sample"] is None
    assert sum(section["count"] for section in page["facets"]["sections"]) == page["total"]
