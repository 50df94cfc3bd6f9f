"""Contract tests of every endpoint, over HTTP, on both back-ends: a real Elasticsearch node and
the embedded SQLite index, each holding the BBC corpus (2,127 distinct articles) and the
reference sample enriched by the real enricher. Every test of the contract runs on both, through
HTTP or, for what has no endpoint (`stories_from_file`), through the `ArticleSearch` port."""

import hashlib
import time
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from elasticsearch import Elasticsearch
from elasticsearch.helpers import scan

from benchmarks.corpus import enriched_bbc_articles
from newswire.embedded.sqlite import connect
from newswire.enriched import Concept, EnrichedArticle, story_id
from newswire.settings import Settings
from newswire_api.app import create_app
from newswire_api.search import open_article_search
from newswire_api.search.elasticsearch.query import FILE_ARTICLES_PAGE
from newswire_api.search_request import MAX_PAGE_SIZE
from tests.support.search_corpus import (
    BACKENDS,
    Backend,
    SearchCorpus,
    distinct_articles_per_folder,
    index_articles,
    index_embedded,
    search_corpus,
    serving,
)

pytestmark = pytest.mark.integration

UNTHROTTLED = {"api_rate_limit_per_s": 1e6, "api_rate_limit_burst": 1_000_000}


@pytest.fixture(scope="module", params=BACKENDS)
def corpus(
    request: pytest.FixtureRequest,
    elasticsearch_url: str,
    shared_dir: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[SearchCorpus]:
    data_dir = tmp_path_factory.mktemp("embedded-index")
    with search_corpus(request.param, elasticsearch_url, shared_dir, data_dir) as loaded:
        yield loaded


@pytest.fixture(scope="module")
def api(corpus: SearchCorpus) -> Iterator[httpx.Client]:
    # Every test of the module asks this one server, from one address: the contract is under
    # test here, not the per-client rate (tests/unit/api/test_request_bounds.py).
    app = create_app(corpus.settings.model_copy(update=UNTHROTTLED))
    with serving(app) as base_url, httpx.Client(base_url=base_url, timeout=30) as client:
        yield client


def _search(api: httpx.Client, **params: Any) -> dict[str, Any]:
    response = api.get("/articles/search", params=params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _ids(page: dict[str, Any]) -> list[str]:
    return [hit["id"] for hit in page["hits"]]


# --- GET /articles/search -------------------------------------------------------------------


def test_entity_filter_finds_the_reference_sample(api: httpx.Client, corpus: SearchCorpus) -> None:
    page = _search(api, entity="Masoud Pezeshkian")
    assert page["total"] == 1
    assert _ids(page) == [corpus.sample.id]


@pytest.mark.parametrize(
    ("entity", "found"),
    [
        ("PERSON:Masoud Pezeshkian", True),
        ("masoud pezeshkian", True),  # case does not matter
        ("Pezeshkian", True),  # a surface form the article uses
        ("ORG:Masoud Pezeshkian", False),  # right name, wrong label
        ("Masoud", False),  # names match whole, not word by word
    ],
)
def test_entity_filter_matches_whole_names_with_an_optional_label(
    api: httpx.Client, corpus: SearchCorpus, entity: str, found: bool
) -> None:
    assert _ids(_search(api, entity=entity)) == ([corpus.sample.id] if found else [])


def test_several_entity_filters_must_all_be_mentioned(
    api: httpx.Client, corpus: SearchCorpus
) -> None:
    assert _ids(_search(api, entity=["GPE:Iraq", "PERSON:Abbas Araqchi"])) == [corpus.sample.id]
    assert _search(api, entity=["GPE:Iraq", "PERSON:Tony Blair"])["total"] == 0


def test_section_facet_counts_equal_distinct_articles_per_bbc_folder(
    api: httpx.Client, shared_dir: Path
) -> None:
    # The folders hold byte-identical duplicate files; each pair is one article (same id).
    expected = distinct_articles_per_folder(shared_dir) | {"World": 1}  # + the sample
    facets = _search(api)["facets"]
    assert {bucket["value"]: bucket["count"] for bucket in facets["sections"]} == expected


def test_section_filter_narrows_to_that_folder(api: httpx.Client, shared_dir: Path) -> None:
    page = _search(api, section="business", size=MAX_PAGE_SIZE)  # any case
    assert page["total"] == distinct_articles_per_folder(shared_dir)["Business"]
    assert {hit["section"] for hit in page["hits"]} == {"Business"}
    assert [b["value"] for b in page["facets"]["sections"]] == ["Business"]


def test_phrases_exclusions_and_or_work_as_people_expect(
    api: httpx.Client, corpus: SearchCorpus
) -> None:
    assert corpus.sample.id in _ids(_search(api, q='"Masoud Pezeshkian"'))
    assert _search(api, q='"Pezeshkian Masoud"')["total"] == 0
    iraq = _search(api, q="iraq", size=MAX_PAGE_SIZE)
    without_sample = _search(api, q="iraq -pezeshkian", size=MAX_PAGE_SIZE)
    assert without_sample["total"] == iraq["total"] - 1
    assert corpus.sample.id not in _ids(without_sample)
    either = _search(api, q='pezeshkian OR "metal slug"')
    titles = [hit["title"] for hit in either["hits"]]
    assert corpus.sample.title in titles
    assert any("Metal Slug" in title for title in titles)


def test_operators_of_the_full_lucene_syntax_are_plain_text(api: httpx.Client) -> None:
    # A wildcard, a regex and a script-looking string are searched as words, and are harmless.
    for q in ["gover*", "/gov.*/", "title:blair", "{{script}}", "blair~2", "*"]:
        page = _search(api, q=q)
        assert page["total"] < 100, q


def test_matches_are_highlighted_and_the_text_around_them_escaped(api: httpx.Client) -> None:
    (hit,) = _search(api, q="pezeshkian", size=1)["hits"]
    assert hit["highlights"]["title"] == (
        "Iran&#x27;s <mark>Pezeshkian</mark> visits Iraq in his first foreign trip as president"
    )
    assert hit["highlights"]["body"]
    assert all("<mark>Pezeshkian</mark>" in fragment for fragment in hit["highlights"]["body"])


def test_relevance_puts_title_matches_first(api: httpx.Client) -> None:
    hits = _search(api, q="pezeshkian OR blair", size=5)["hits"]
    scores = [hit["score"] for hit in hits]
    assert scores == sorted(scores, reverse=True)
    assert all("Blair" in hit["title"] or "Pezeshkian" in hit["title"] for hit in hits)


@pytest.mark.parametrize("sort", ["relevance", "date"])
def test_cursor_paging_visits_every_match_exactly_once(
    api: httpx.Client, corpus: SearchCorpus, elasticsearch: Elasticsearch, sort: str
) -> None:
    expected = _every_match_of_government(corpus, elasticsearch)
    assert len(expected) > 3 * MAX_PAGE_SIZE  # deep enough to matter
    seen: list[str] = []
    params: dict[str, Any] = {"q": "government", "sort": sort, "size": MAX_PAGE_SIZE}
    while True:
        page = _search(api, **params)
        seen += _ids(page)
        assert (page["facets"] is None) == ("cursor" in params)
        if page["next_cursor"] is None:
            break
        params["cursor"] = page["next_cursor"]
    assert len(seen) == len(set(seen))
    assert set(seen) == expected


def test_date_range_and_timeline_count_the_dated_sample(
    api: httpx.Client, corpus: SearchCorpus
) -> None:
    september = _search(api, **{"from": "2024-09-01", "to": "2024-09-30", "interval": "day"})
    assert _ids(september) == [corpus.sample.id]
    assert september["facets"]["timeline"] == [{"start": "2024-09-11", "count": 1}]
    weekly = _search(api, interval="week")["facets"]["timeline"]
    assert weekly == [{"start": "2024-09-09", "count": 1}]  # weeks start on Monday
    assert _search(api, **{"from": "2024-09-12"})["total"] == 0
    assert _search(api, language="en")["total"] == _search(api)["total"]


# --- GET /articles/{id} and /articles/{id}/similar ---------------------------------------


def test_an_article_is_returned_whole_as_it_was_indexed(
    api: httpx.Client, corpus: SearchCorpus
) -> None:
    response = api.get(f"/articles/{corpus.sample.id}")
    assert response.status_code == 200
    assert response.json() == corpus.sample.model_dump(mode="json")


@pytest.mark.parametrize("path", ["/articles/{id}", "/articles/{id}/similar"])
def test_an_unknown_article_is_404_with_a_message(api: httpx.Client, path: str) -> None:
    for unknown in ["0" * 64, "x" * 600]:
        response = api.get(path.format(id=unknown))
        assert response.status_code == 404
        assert "no article has id" in response.json()["detail"]


def test_similar_articles_share_the_subject_and_exclude_the_article(api: httpx.Client) -> None:
    (source,) = _search(api, q='"Blair congratulates Bush"', size=1)["hits"]
    similar = api.get(f"/articles/{source['id']}/similar", params={"size": 5}).json()["similar"]
    assert len(similar) == 5
    assert source["id"] not in [hit["id"] for hit in similar]
    assert any("Blair" in hit["title"] or "Bush" in hit["title"] for hit in similar[:2])


# --- GET /entities and /sections --------------------------------------------------------------


def test_top_entities_count_articles_and_filter_by_label_section_and_dates(
    api: httpx.Client, corpus: SearchCorpus
) -> None:
    people = api.get("/entities", params={"label": "PERSON", "size": 50}).json()["entities"]
    expected = {(e.name, e.label) for e in corpus.sample.entities if e.label == "PERSON"}
    assert {(e["name"], e["label"]) for e in people} == expected
    assert all(e["count"] == 1 for e in people)
    everything = api.get("/entities", params={"size": 200}).json()["entities"]
    assert len(everything) == len(corpus.sample.entities)
    assert api.get("/entities", params={"section": "Business"}).json()["entities"] == []
    before = api.get("/entities", params={"to": "2024-09-10"}).json()["entities"]
    assert before == []


def test_sections_list_every_section_with_its_article_count(
    api: httpx.Client, shared_dir: Path
) -> None:
    sections = api.get("/sections").json()["sections"]
    expected = distinct_articles_per_folder(shared_dir) | {"World": 1}
    assert {s["value"]: s["count"] for s in sections} == expected
    assert [s["count"] for s in sections] == sorted(expected.values(), reverse=True)


def _every_match_of_government(corpus: SearchCorpus, elasticsearch: Elasticsearch) -> set[str]:
    """Every article the back-end itself finds for `government`, asked in one go, unpaged."""
    if corpus.backend == "elasticsearch":
        query = {"simple_query_string": {"query": "government", "fields": ["title", "body"]}}
        alias = corpus.settings.index_alias
        # Listings carry the story's id as `id` (`_id` is `content:<sha256>`).
        return {
            hit["_source"]["id"]
            for hit in scan(elasticsearch, index=alias, query={"query": query}, _source=["id"])
        }
    connection = connect(corpus.settings.search_index_path)
    try:
        rows = connection.execute(
            "SELECT a.id FROM articles_text JOIN articles a ON a.rowid = articles_text.rowid "
            "WHERE articles_text MATCH 'government'"
        ).fetchall()
    finally:
        connection.close()
    return {row[0] for row in rows}


# --- Sorting and filters that the corpora cannot show -----------------------------------------


IndexHolding = Callable[[Backend, list[EnrichedArticle]], Settings]


@pytest.fixture
def index_holding(
    elasticsearch_url: str, elasticsearch: Elasticsearch, index_name: str, tmp_path: Path
) -> IndexHolding:
    """Loads articles into a fresh index of a back-end; gives the settings of an API reading it."""

    def load(backend: Backend, articles: list[EnrichedArticle]) -> Settings:
        if backend == "embedded":
            return index_embedded(tmp_path, articles)
        index_articles(elasticsearch, f"{index_name}-alias", index_name, articles)
        return Settings(elasticsearch_url=elasticsearch_url, index_alias=f"{index_name}-alias")

    return load


@pytest.mark.parametrize("backend", BACKENDS)
def test_date_sort_is_newest_first_undated_last_and_authors_filter(
    index_holding: IndexHolding, shared_dir: Path, backend: Backend
) -> None:
    first, second, third = list(enriched_bbc_articles(shared_dir, limit=3))
    dated = [
        first.model_copy(update={"publication_date": date(2024, 1, 5), "authors": ["Ann Lee"]}),
        second.model_copy(update={"publication_date": date(2024, 3, 1), "authors": ["Bo Chen"]}),
        third,
    ]
    app = create_app(index_holding(backend, dated))
    with serving(app) as base_url, httpx.Client(base_url=base_url) as client:
        assert _ids(_search(client, sort="date")) == [second.id, first.id, third.id]
        assert _ids(_search(client, author="ann lee")) == [first.id]
        timeline = _search(client, interval="month")["facets"]["timeline"]
        assert timeline == [
            {"start": "2024-01-01", "count": 1},
            {"start": "2024-03-01", "count": 1},
        ]


@pytest.mark.parametrize("backend", BACKENDS)
def test_provider_and_subject_filters_match_wire_metadata_without_case(
    index_holding: IndexHolding, shared_dir: Path, backend: Backend
) -> None:
    first, second, third = list(enriched_bbc_articles(shared_dir, limit=3))
    politics = Concept(code="medtop:11000000", name="politics")
    wired = [
        first.model_copy(update={"provider": "Reuters", "subjects": [politics]}),
        second.model_copy(
            update={"provider": "AFP", "subjects": [Concept(code="medtop:15000000", name="sport")]}
        ),
        third,
    ]
    app = create_app(index_holding(backend, wired))
    with serving(app) as base_url, httpx.Client(base_url=base_url) as client:
        assert _ids(_search(client, provider="reuters")) == [first.id]
        assert sorted(_ids(_search(client, provider=["Reuters", "afp"]))) == sorted(
            [first.id, second.id]
        )
        assert _ids(_search(client, subject="MEDTOP:11000000")) == [first.id]
        assert _ids(_search(client, subject="Sport")) == [second.id]
        assert _ids(_search(client, subject="politics", provider="AFP")) == []


# --- The stories of a dropped file (for `newswire status`; no endpoint) -------------------------


def test_the_stories_of_a_file_are_found_by_its_sha256(corpus: SearchCorpus) -> None:
    search = open_article_search(corpus.settings)
    try:
        found = search.stories_from_file(corpus.sample.provenance.sha256)
        assert [story.id for story in found] == [corpus.sample.id]
        assert search.stories_from_file("0" * 64) == []
    finally:
        search.close()


@pytest.mark.parametrize("backend", BACKENDS)
def test_every_story_of_a_file_is_found_in_id_order_however_many(
    index_holding: IndexHolding, shared_dir: Path, backend: Backend
) -> None:
    other, article = enriched_bbc_articles(shared_dir, limit=2)
    sha256 = hashlib.sha256(b"a JSON Lines file").hexdigest()
    items = [  # more than one page of Elasticsearch's answers
        _version(
            article,
            story_key=f"inbox:feed.jsonl#{item}",
            content_sha256=hashlib.sha256(f"item {item}".encode()).hexdigest(),
            provenance={**article.provenance.model_dump(), "sha256": sha256, "item": item},
        )
        for item in range(1, FILE_ARTICLES_PAGE + 2)
    ]
    search = open_article_search(index_holding(backend, [other, *items]))
    try:
        found = search.stories_from_file(sha256)
        assert [story.id for story in found] == sorted(item.id for item in items)
        assert [s.id for s in search.stories_from_file(other.provenance.sha256)] == [other.id]
    finally:
        search.close()


@pytest.mark.parametrize("backend", BACKENDS)
def test_before_anything_is_indexed_no_file_has_stories(
    elasticsearch_url: str, tmp_path: Path, backend: Backend
) -> None:
    settings = (
        Settings(search_index="embedded", data_dir=tmp_path / "nothing-yet")
        if backend == "embedded"
        else Settings(elasticsearch_url=elasticsearch_url, index_alias="test-api-absent")
    )
    search = open_article_search(settings)
    try:
        assert search.stories_from_file("0" * 64) == []
    finally:
        search.close()


# --- Stories: versions, kills, withholds, embargoes, duplicates --------------------------------


def _version(article: EnrichedArticle, **changes: Any) -> EnrichedArticle:
    """`article` with `changes`, validated (a changed `story_key` gives the story's id)."""
    data = {**article.model_dump(), **changes}
    return EnrichedArticle.model_validate({**data, "id": story_id(data["story_key"])})


def _numbered(article: EnrichedArticle, number: int, **changes: Any) -> EnrichedArticle:
    return _version(
        article,
        version=number,
        content_sha256=hashlib.sha256(f"{article.story_key} v{number}".encode()).hexdigest(),
        **changes,
    )


@pytest.mark.parametrize("backend", BACKENDS)
def test_the_latest_version_is_shown_a_late_older_one_changes_nothing_and_versions_are_listed(
    index_holding: IndexHolding, shared_dir: Path, backend: Backend
) -> None:
    (article,) = enriched_bbc_articles(shared_dir, limit=1)
    v1 = _numbered(article, 1, title="Zanzibar first version")
    v3 = _numbered(article, 3, title="Zanzibar third version")
    v2 = _numbered(article, 2, title="Zanzibar second version")  # arrives late
    app = create_app(index_holding(backend, [v1, v3, v2]))
    with serving(app) as base_url, httpx.Client(base_url=base_url) as client:
        hits = _search(client, q="zanzibar")["hits"]
        assert [(hit["id"], hit["title"]) for hit in hits] == [(v1.id, "Zanzibar third version")]
        assert hits[0]["updated"] is not None
        assert client.get(f"/articles/{v1.id}").json()["title"] == "Zanzibar third version"
        versions = client.get(f"/articles/{v1.id}/versions").json()
        assert [v["version"] for v in versions["versions"]] == [3, 2, 1]
        assert versions["current_content_sha256"] == v3.content_sha256


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_killed_story_is_gone_from_search_facets_and_similar_and_410_by_id(
    index_holding: IndexHolding, shared_dir: Path, backend: Backend
) -> None:
    article, neighbour = enriched_bbc_articles(shared_dir, limit=2)
    v1 = _numbered(article, 1, title="Zanzibar story", section="Zanzibarsection")
    kill = _numbered(
        article,
        2,
        title="Zanzibar story",
        pub_status="canceled",
        editorial_note="Legal reasons",
        section="Zanzibarsection",
    )
    app = create_app(index_holding(backend, [v1, neighbour, kill]))
    with serving(app) as base_url, httpx.Client(base_url=base_url) as client:
        assert _search(client, q="zanzibar")["total"] == 0
        sections = {c["value"] for c in client.get("/sections").json()["sections"]}
        assert "Zanzibarsection" not in sections
        gone = client.get(f"/articles/{v1.id}")
        assert gone.status_code == 410
        assert "Legal reasons" in gone.json()["detail"]
        assert client.get(f"/articles/{v1.id}/similar").status_code == 410
        similar = client.get(f"/articles/{neighbour.id}/similar").json()["similar"]
        assert v1.id not in [hit["id"] for hit in similar]


@pytest.mark.parametrize("backend", BACKENDS)
def test_withheld_and_embargoed_stories_are_not_found_until_visible(
    index_holding: IndexHolding, shared_dir: Path, backend: Backend
) -> None:
    withheld_article, embargoed_article, past_article = enriched_bbc_articles(shared_dir, limit=3)
    withheld = _numbered(withheld_article, 1, title="Zanzibar withheld", pub_status="withheld")
    now = datetime.now(UTC)
    embargoed = _numbered(
        embargoed_article,
        1,
        title="Zanzibar embargoed",
        embargoed=True,
        embargoed_until=now + timedelta(seconds=4),
    )
    lifted = _numbered(
        past_article,
        1,
        title="Zanzibar lifted",
        embargoed=True,
        embargoed_until=now - timedelta(seconds=1),
    )
    app = create_app(index_holding(backend, [withheld, embargoed, lifted]))
    with serving(app) as base_url, httpx.Client(base_url=base_url) as client:
        assert _ids(_search(client, q="zanzibar")) == [lifted.id]
        assert client.get(f"/articles/{withheld.id}").status_code == 404
        assert client.get(f"/articles/{embargoed.id}").status_code == 404
        assert client.get(f"/articles/{embargoed.id}/versions").status_code == 404
        listing = f"/articles/content:{embargoed.content_sha256}"  # no way around the embargo
        assert client.get(listing).status_code == 404
        time.sleep(max(0.0, (now + timedelta(seconds=4.2) - datetime.now(UTC)).total_seconds()))
        assert sorted(_ids(_search(client, q="zanzibar"))) == sorted([lifted.id, embargoed.id])
        assert client.get(f"/articles/{embargoed.id}").status_code == 200


@pytest.mark.parametrize("backend", BACKENDS)
def test_exact_duplicates_under_two_keys_are_listed_once_then_by_the_other_after_a_kill(
    index_holding: IndexHolding, shared_dir: Path, backend: Backend
) -> None:
    (article,) = enriched_bbc_articles(shared_dir, limit=1)
    first = _version(article, title="Zanzibar twice", story_key="inbox:a/first.txt")
    later = first.provenance.received_at + timedelta(minutes=1)
    second = _version(
        first,
        story_key="inbox:b/second.txt",
        provenance={**first.provenance.model_dump(), "received_at": later},
    )
    killed = _numbered(first, 9, pub_status="canceled")
    settings = index_holding(backend, [first, second])
    with serving(create_app(settings)) as base_url, httpx.Client(base_url=base_url) as client:
        assert _ids(_search(client, q="zanzibar")) == [first.id]
        assert client.get(f"/articles/{second.id}").status_code == 200  # its own page
    settings = index_holding(backend, [killed])
    with serving(create_app(settings)) as base_url, httpx.Client(base_url=base_url) as client:
        assert _ids(_search(client, q="zanzibar")) == [second.id]


# --- Errors, health, metrics, docs --------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "params", "says"),
    [
        ("/articles/search", {"size": 1000}, "size: Input should be less than or equal to 100"),
        ("/articles/search", {"size": "ten"}, "size: Input should be a valid integer"),
        ("/articles/search", {"sectoin": "World"}, "sectoin: is not a parameter"),
        ("/articles/search", {"from": "2024-10-01", "to": "2024-09-01"}, "swap them"),
        ("/articles/search", {"from": "yesterday"}, "from: Input should be a valid date"),
        ("/articles/search", {"sort": "popular"}, "sort: Input should be 'relevance' or 'date'"),
        ("/articles/search", {"interval": "year"}, "interval: Input should be"),
        ("/articles/search", {"cursor": "not-a-cursor"}, "leave `cursor` out"),
        ("/articles/search", {"q": "x" * 501}, "q: String should have at most 500 characters"),
        ("/entities", {"label": "ANIMAL"}, "label.0: Input should be 'PERSON'"),
        ("/entities", {"size": 0}, "size: Input should be greater than or equal to 1"),
    ],
)
def test_invalid_parameters_get_422_saying_what_to_change(
    api: httpx.Client, path: str, params: dict[str, Any], says: str
) -> None:
    response = api.get(path, params=params)
    assert response.status_code == 422
    assert says in response.json()["detail"]


def test_a_cursor_cannot_be_reused_for_another_search(api: httpx.Client) -> None:
    cursor = _search(api, q="government", size=5)["next_cursor"]
    response = api.get("/articles/search", params={"q": "election", "cursor": cursor})
    assert response.status_code == 422
    assert "different search" in response.json()["detail"]


def test_health_and_readiness(api: httpx.Client) -> None:
    assert api.get("/healthz").json() == {"status": "ok"}
    assert api.get("/readyz").json() == {"status": "ready"}


def test_without_the_alias_the_api_is_alive_but_not_ready(elasticsearch_url: str) -> None:
    app = create_app(Settings(elasticsearch_url=elasticsearch_url, index_alias="test-api-absent"))
    with serving(app) as base_url, httpx.Client(base_url=base_url) as client:
        assert client.get("/healthz").status_code == 200
        assert client.get("/readyz").status_code == 503
        response = client.get("/articles/search", params={"q": "iraq"})
        assert response.status_code == 503
        assert "nothing has been indexed" in response.json()["detail"]


def test_without_the_embedded_index_the_api_is_alive_but_not_ready(tmp_path: Path) -> None:
    app = create_app(Settings(search_index="embedded", data_dir=tmp_path / "nothing-yet"))
    with serving(app) as base_url, httpx.Client(base_url=base_url) as client:
        assert client.get("/healthz").status_code == 200
        assert client.get("/readyz").status_code == 503
        for path in ["/articles/search", "/articles/abc", "/sections", "/entities"]:
            response = client.get(path, params={"q": "iraq"} if "search" in path else {})
            assert response.status_code == 503, path
            assert "nothing has been indexed" in response.json()["detail"]
            assert response.headers["retry-after"] == "5"


def test_without_elasticsearch_requests_get_503_not_a_stack_trace() -> None:
    app = create_app(Settings(elasticsearch_url="http://127.0.0.1:9", api_search_timeout_s=2))
    with serving(app) as base_url, httpx.Client(base_url=base_url) as client:
        assert client.get("/healthz").status_code == 200
        for path in ["/readyz", "/articles/search", "/articles/abc", "/sections"]:
            response = client.get(path)
            assert response.status_code == 503, path
            assert response.headers["retry-after"] == "5"
            assert "Traceback" not in response.text


def test_metrics_count_requests_by_route_template(api: httpx.Client, corpus: SearchCorpus) -> None:
    api.get(f"/articles/{corpus.sample.id}")
    api.get("/articles/unknown-id")
    metrics = api.get("/metrics").text
    assert 'route="/articles/{article_id}",status="200"' in metrics
    assert 'route="/articles/{article_id}",status="404"' in metrics
    assert "unknown-id" not in metrics
    assert "newswire_api_request_seconds_bucket" in metrics


def test_the_openapi_spec_documents_every_endpoint(api: httpx.Client) -> None:
    paths = api.get("/openapi.json").json()["paths"]
    assert set(paths) >= {
        "/articles/search",
        "/articles/{article_id}",
        "/articles/{article_id}/similar",
        "/entities",
        "/sections",
        "/healthz",
        "/readyz",
        "/metrics",
    }
    assert "422" in paths["/articles/search"]["get"]["responses"]
