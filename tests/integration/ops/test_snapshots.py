"""`newswire snapshot` against a real Elasticsearch node of the module's own, whose `path.repo`
is its dev home's `snapshots` folder (as every node `dev-services up` starts)."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from elasticsearch import Elasticsearch
from elasticsearch.helpers import bulk

from newswire.adapters.elasticsearch import create_client
from newswire.settings import DevServicesSettings, Settings
from newswire_ops.cli import main
from newswire_ops.dev_services.elasticsearch_node import ElasticsearchNode, snapshot_folder
from newswire_ops.dev_services.server import free_port

pytestmark = pytest.mark.integration

MAPPING = {"properties": {"title": {"type": "text"}, "section": {"type": "keyword"}}}


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ElasticsearchNode]:
    node = ElasticsearchNode(
        DevServicesSettings(
            home=tmp_path_factory.mktemp("snapshot-dev-home"),
            elasticsearch_port=free_port(),
            elasticsearch_transport_port=free_port(),
            elasticsearch_heap="512m",
        )
    )
    node.up()
    yield node
    node.down()


@pytest.fixture
def client(node: ElasticsearchNode) -> Iterator[Elasticsearch]:
    client = create_client(Settings(elasticsearch_url=node.address))
    yield client
    client.options(ignore_status=404).indices.delete(index="*", expand_wildcards="open,closed")
    client.close()


@pytest.fixture
def snapshot_environment(
    node: ElasticsearchNode, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> Path:
    """What `newswire dev-services env` exports for the node, and a repository of the test's own."""
    folder: Path = snapshot_folder(node.settings) / str(request.node.name)
    monkeypatch.setenv("ELASTICSEARCH_URL", node.address)
    monkeypatch.setenv("NEWSWIRE_SNAPSHOT_REPOSITORY", request.node.name.lower()[:40])
    monkeypatch.setenv("NEWSWIRE_SNAPSHOT_REPOSITORY_PATH", str(folder))
    monkeypatch.delenv("NEWSWIRE_INDEX_ALIAS", raising=False)
    return folder


def _index(client: Elasticsearch, index: str, alias: str, documents: int) -> None:
    client.indices.create(index=index, mappings=MAPPING, settings={"number_of_replicas": 0})
    client.indices.update_aliases(
        actions=[{"add": {"index": index, "alias": alias, "is_write_index": True}}]
    )
    sections = ("business", "sport", "tech")
    bulk(
        client,
        (
            {"_id": str(n), "title": f"story {n}", "section": sections[n % 3]}
            for n in range(documents)
        ),
        index=alias,
        refresh="wait_for",
    )


def _totals(client: Elasticsearch, alias: str) -> dict[str, int]:
    client.indices.refresh(index=alias)
    answer = client.search(index=alias, size=0, aggs={"sections": {"terms": {"field": "section"}}})
    buckets = answer["aggregations"]["sections"]["buckets"]
    return {"total": answer["hits"]["total"]["value"]} | {
        bucket["key"]: bucket["doc_count"] for bucket in buckets
    }


def _snapshot(capsys: pytest.CaptureFixture[str], *arguments: str) -> tuple[int, str, str]:
    code = main(["snapshot", *arguments])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_a_deleted_index_is_restored_from_a_snapshot_with_the_same_totals(
    client: Elasticsearch, snapshot_environment: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _index(client, "articles-v3", "articles", documents=40)
    _index(client, "articles-stories-v1", "articles-stories", documents=7)
    _index(client, "elsewhere", "other", documents=3)
    before = _totals(client, "articles"), _totals(client, "articles-stories")

    code, out, err = _snapshot(capsys, "create", "before-the-loss")
    assert (code, err) == (0, "")
    assert "2 indices (articles-stories-v1, articles-v3), 47 documents" in out
    code, out, _ = _snapshot(capsys, "list")
    assert code == 0
    assert out.splitlines()[1].split()[-2:] == ["47", "articles-stories-v1,articles-v3"]

    client.indices.delete(index="articles-v3,articles-stories-v1")
    code, out, err = _snapshot(capsys, "restore", "before-the-loss")

    assert (code, err) == (0, "")
    assert "47 documents, aliases articles, articles-stories" in out
    assert (_totals(client, "articles"), _totals(client, "articles-stories")) == before
    assert client.indices.get_alias(name="articles").body == {
        "articles-v3": {"aliases": {"articles": {"is_write_index": True}}}
    }
    assert _totals(client, "other") == {"total": 3, "business": 1, "sport": 1, "tech": 1}
    assert any(snapshot_environment.iterdir()), "the repository is the folder the setting names"


def test_restoring_over_existing_indices_needs_replace(
    client: Elasticsearch, snapshot_environment: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _index(client, "articles-v3", "articles", documents=12)
    assert _snapshot(capsys, "create", "twelve")[0] == 0
    bulk(client, ({"_id": f"late-{n}", "title": "late"} for n in range(5)), index="articles")

    code, out, err = _snapshot(capsys, "restore", "twelve")
    assert (code, out) == (1, "")
    assert len(err.splitlines()) == 1
    assert "articles-v3 exist(s) now" in err
    assert "--replace" in err

    code, out, err = _snapshot(capsys, "restore", "twelve", "--replace")
    assert (code, err) == (0, "")
    assert "replacing articles-v3" in out
    assert _totals(client, "articles")["total"] == 12


def test_an_alias_that_moved_since_the_snapshot_is_moved_back_with_replace(
    client: Elasticsearch, snapshot_environment: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _index(client, "articles-v3", "articles", documents=4)
    assert _snapshot(capsys, "create", "on-v3")[0] == 0
    client.indices.delete(index="articles-v3")
    _index(client, "articles-v4", "articles", documents=9)

    code, _, err = _snapshot(capsys, "restore", "on-v3")
    assert code == 1
    assert "alias articles (on articles-v4)" in err

    assert _snapshot(capsys, "restore", "on-v3", "--replace")[0] == 0
    assert sorted(client.indices.get_alias(name="articles").body) == ["articles-v3"]
    assert _totals(client, "articles")["total"] == 4


def test_a_repository_outside_path_repo_is_refused_in_one_line(
    client: Elasticsearch,
    snapshot_environment: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    _index(client, "articles-v3", "articles", documents=2)
    monkeypatch.setenv("NEWSWIRE_SNAPSHOT_REPOSITORY_PATH", str(tmp_path / "not-in-path-repo"))

    code, out, err = _snapshot(capsys, "create")

    assert (code, out) == (1, "")
    assert len(err.splitlines()) == 1
    assert "NEWSWIRE_SNAPSHOT_REPOSITORY_PATH" in err
    assert "path.repo" in err

    monkeypatch.delenv("NEWSWIRE_SNAPSHOT_REPOSITORY_PATH")
    code, _, err = _snapshot(capsys, "list")
    assert code == 1
    assert "NEWSWIRE_SNAPSHOT_REPOSITORY_PATH is not set" in err


def test_a_snapshot_of_nothing_says_so(
    client: Elasticsearch, snapshot_environment: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = _snapshot(capsys, "create")
    assert code == 1
    assert "no index behind alias 'articles' or named articles-*" in err
