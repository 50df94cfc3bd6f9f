"""The embedded index's writer and query translation, on real SQLite files in a temp folder."""

import json
import sqlite3
import threading
from pathlib import Path

import pytest

from benchmarks.corpus import enriched_bbc_articles
from newswire.embedded.search_index import TEXT_COLUMNS, open_for_writing
from newswire.embedded.sqlite import connect
from newswire.enriched import EnrichedArticle, EnrichedArticleV1
from newswire_api.admission import IndexTurns
from newswire_api.ports import SearchUnavailableError
from newswire_api.search.embedded import EmbeddedArticleSearch, query
from newswire_api.search.embedded.filters import search_conditions
from newswire_api.search.embedded.query import BM25
from newswire_api.search.embedded.text_query import TextQuery
from newswire_api.search.model import SEARCHED_FIELDS
from newswire_api.search_request import CursorCodec, SearchParams
from newswire_indexer.batch import PendingDocument
from newswire_indexer.embedded_writer import EmbeddedDocumentWriter
from tests.support.search_corpus import reference_sample

CURSORS = CursorCodec(b"a test's cursor secret")


@pytest.fixture
def articles(shared_dir: Path) -> list[EnrichedArticle]:
    return list(enriched_bbc_articles(shared_dir, limit=20))


def _document(article: EnrichedArticle, offset: int) -> PendingDocument:
    return PendingDocument(article.id, article.model_dump_json().encode(), "enriched", 0, offset)


def _write(path: Path, documents: list[PendingDocument]) -> tuple[int, list[str]]:
    writer = EmbeddedDocumentWriter(path)
    try:
        outcome = writer.write(documents, wait=lambda _: None)
    finally:
        writer.close()
    return outcome.indexed, [rejection.error_type for rejection in outcome.rejected]


def test_a_replayed_article_replaces_itself(
    tmp_path: Path, articles: list[EnrichedArticle]
) -> None:
    path = tmp_path / "index.sqlite3"
    _write(path, [_document(a, i) for i, a in enumerate(articles)])
    changed = articles[0].model_copy(update={"title": "Zanzibar replaces the old title"})
    _write(path, [_document(changed, 99), _document(changed, 100)])

    search = EmbeddedArticleSearch(path, timeout_s=5, cursors=CURSORS)
    assert search.search(SearchParams(size=100)).total == len(articles)
    found = search.search(SearchParams(q="zanzibar"))
    assert [hit.id for hit in found.hits] == [changed.id]
    assert search.search(SearchParams(q=f'"{articles[0].title}"')).total == 0
    current = search.story(changed.id).current
    assert current is not None
    assert current.title == "Zanzibar replaces the old title"


def test_a_document_that_is_not_an_article_is_rejected_and_its_neighbours_written(
    tmp_path: Path, articles: list[EnrichedArticle]
) -> None:
    not_json = PendingDocument("bad-1", b"{not json", "enriched", 0, 1)
    not_article = PendingDocument("bad-2", json.dumps({"id": "bad-2"}).encode(), "enriched", 0, 2)
    wrong_key = PendingDocument("other-id", _document(articles[1], 3).source, "enriched", 0, 3)
    indexed, rejected = _write(
        tmp_path / "index.sqlite3", [_document(articles[0], 0), not_json, not_article, wrong_key]
    )
    assert indexed == 1
    assert rejected == ["document_parsing_exception", "document_parsing_exception", "id_mismatch"]


@pytest.mark.parametrize(
    "query",
    [
        "NEAR(a b",
        "*",
        '"',
        "^",
        "title:x",
        "AND",
        "OR OR",
        "a NOT",
        "(((",
        "{body}: x",
        "x* y",
        "über-größe",
        "😀",
        "'; DROP TABLE articles; --",
        "-",
        '"unbalanced',
    ],
)
def test_nothing_a_person_types_is_fts5_syntax(
    tmp_path: Path, articles: list[EnrichedArticle], query: str
) -> None:
    path = tmp_path / "index.sqlite3"
    _write(path, [_document(a, i) for i, a in enumerate(articles)])
    response = EmbeddedArticleSearch(path, timeout_s=5, cursors=CURSORS).search(
        SearchParams(q=query)
    )
    assert response.total <= len(articles)
    assert response.facets is not None


def test_stop_words_alone_match_nothing_and_are_ignored_beside_other_words(
    tmp_path: Path, articles: list[EnrichedArticle]
) -> None:
    path = tmp_path / "index.sqlite3"
    _write(path, [_document(a, i) for i, a in enumerate(articles)])
    search = EmbeddedArticleSearch(path, timeout_s=5, cursors=CURSORS)
    assert search.search(SearchParams(q="the of and")).total == 0
    word = articles[0].title.split()[0]
    assert (
        search.search(SearchParams(q=f"the {word}")).total
        == search.search(SearchParams(q=word)).total
    )


def test_control_characters_in_a_query_are_spaces(
    tmp_path: Path, articles: list[EnrichedArticle]
) -> None:
    path = tmp_path / "index.sqlite3"
    _write(path, [_document(a, i) for i, a in enumerate(articles)])
    search = EmbeddedArticleSearch(path, timeout_s=5, cursors=CURSORS)
    word = articles[0].title.split()[-1]
    assert search.search(SearchParams(q=f"\x17\x04{word}\x00)")).total >= 1


def test_bm25_weighs_the_fts5_columns_in_their_order_with_the_model_boosts(
    tmp_path: Path,
) -> None:
    connection = open_for_writing(tmp_path / "index.sqlite3")
    try:
        columns = [row[1] for row in connection.execute("PRAGMA table_info(articles_text)")]
    finally:
        connection.close()
    assert tuple(columns) == TEXT_COLUMNS
    assert set(SEARCHED_FIELDS) == set(TEXT_COLUMNS)
    assert BM25 == "bm25(articles_text, 3.0, 2.0, 1.0, 1.0, 0.5)"


def test_the_stories_of_a_file_are_found_by_its_sha256(
    tmp_path: Path, articles: list[EnrichedArticle]
) -> None:
    path = tmp_path / "index.sqlite3"
    _write(path, [_document(a, i) for i, a in enumerate(articles)])
    search = EmbeddedArticleSearch(path, timeout_s=5, cursors=CURSORS)
    found = search.stories_from_file(articles[3].provenance.sha256)
    assert [story.id for story in found] == [articles[3].id]
    assert search.stories_from_file("0" * 64) == []


def test_before_anything_is_indexed_no_file_has_articles(tmp_path: Path) -> None:
    absent = EmbeddedArticleSearch(tmp_path / "absent.sqlite3", timeout_s=5, cursors=CURSORS)
    assert absent.stories_from_file("0" * 64) == []
    (tmp_path / "empty.sqlite3").write_bytes(b"")
    empty = EmbeddedArticleSearch(tmp_path / "empty.sqlite3", timeout_s=5, cursors=CURSORS)
    assert empty.stories_from_file("0" * 64) == []
    assert not empty.is_ready()


def test_an_index_of_schema_3_becomes_stories_with_the_same_facets_when_the_indexer_opens_it(
    tmp_path: Path, articles: list[EnrichedArticle], shared_dir: Path
) -> None:
    path = tmp_path / "index.sqlite3"
    sample = reference_sample(shared_dir)
    _write(path, [_document(a, i) for i, a in enumerate([*articles, sample])])
    search = EmbeddedArticleSearch(path, timeout_s=5, cursors=CURSORS)
    expected = search.search(SearchParams()).facets
    narrowed = search.search(SearchParams(q="iraq")).facets
    search.close()
    connection = connect(path)  # what schema 3 had: articles by content, v1 JSON, no stories
    for rowid, source in connection.execute("SELECT rowid, source FROM article_content"):
        legacy = EnrichedArticleV1.of(EnrichedArticle.model_validate_json(source))
        connection.execute(
            "UPDATE article_content SET source = ? WHERE rowid = ?",
            (legacy.model_dump_json(), rowid),
        )
    connection.execute("DROP TABLE stories")
    connection.execute("PRAGMA user_version = 3")
    connection.close()
    refused = EmbeddedArticleSearch(path, timeout_s=5, cursors=CURSORS)
    with pytest.raises(SearchUnavailableError, match="the indexer brings it up to date"):
        refused.search(SearchParams())

    EmbeddedDocumentWriter(path).close()  # the indexer starting

    search = EmbeddedArticleSearch(path, timeout_s=5, cursors=CURSORS)
    assert search.search(SearchParams()).facets == expected
    assert search.search(SearchParams(q="iraq")).facets == narrowed
    assert search.search(SearchParams()).total == len(articles) + 1
    assert expected is not None
    assert expected.people


def test_entity_counts_follow_replaced_articles(
    tmp_path: Path, articles: list[EnrichedArticle], shared_dir: Path
) -> None:
    path = tmp_path / "index.sqlite3"
    sample = reference_sample(shared_dir)
    _write(path, [_document(a, i) for i, a in enumerate([*articles, sample])])
    _write(path, [_document(sample, 99)])  # a replay: counted once
    search = EmbeddedArticleSearch(path, timeout_s=5, cursors=CURSORS)
    facets = search.search(SearchParams()).facets
    assert facets is not None
    assert {e.count for e in facets.people} == {1}
    without_entities = sample.model_copy(update={"entities": []})
    _write(path, [_document(without_entities, 100)])
    facets = search.search(SearchParams()).facets
    assert facets is not None
    assert facets.people == []


def test_a_text_search_is_matched_first_and_its_entities_reached_from_its_hits(
    tmp_path: Path, articles: list[EnrichedArticle]
) -> None:
    """The join orders SQLite must keep: left to choose, on 100k articles it walked the
    filter's index and ran the full-text match once per row (1.2 s), and scanned every entity
    row to count a hundred hits' entities (170 ms)."""
    path = tmp_path / "index.sqlite3"
    _write(path, [_document(a, i) for i, a in enumerate(articles)])
    word = max(articles[0].title.split(), key=len)
    params = SearchParams(q=word, section=[articles[0].section or "Business"])
    matches = query.Matches(TextQuery(params.q), search_conditions(params))
    connection = connect(path)
    try:
        plan = _plan(connection, matches.select, matches.select_arguments)
        assert plan[0].startswith("SCAN articles_text VIRTUAL TABLE"), plan
        matches.materialize(connection)
        statements: list[str] = []
        connection.set_trace_callback(statements.append)  # the SQL run, its values in place
        query.top_entities(connection, matches.articles(), ["PERSON"], 5)
        connection.set_trace_callback(None)
        (counting,) = [sql for sql in statements if "article_entity_ids" in sql]
        plan = _plan(connection, counting, [])
        assert "SCAN hits" in plan, plan
        assert not any(step.startswith("SCAN x") for step in plan), plan
    finally:
        connection.close()


def _plan(connection: sqlite3.Connection, sql: str, arguments: list[object]) -> list[str]:
    return [str(row[3]) for row in connection.execute(f"EXPLAIN QUERY PLAN {sql}", arguments)]


def test_a_request_waits_for_its_turn_and_is_answered_503_when_none_comes(
    tmp_path: Path, articles: list[EnrichedArticle]
) -> None:
    path = tmp_path / "index.sqlite3"
    _write(path, [_document(a, i) for i, a in enumerate(articles)])
    search = EmbeddedArticleSearch(
        path, timeout_s=0.2, cursors=CURSORS, turns=IndexTurns(1, wait_s=0.2)
    )
    holding, release = threading.Event(), threading.Event()

    def hold_the_only_turn() -> None:
        with search._connection():
            holding.set()
            release.wait(10)

    holder = threading.Thread(target=hold_the_only_turn)
    holder.start()
    try:
        assert holding.wait(10)
        with pytest.raises(SearchUnavailableError, match="too many searches are waiting"):
            search.search(SearchParams())
    finally:
        release.set()
        holder.join()
    assert search.search(SearchParams()).total == len(articles)
