"""Fixtures shared by every test layer; integration fixtures give each test its own topics/index."""

import os
import re
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from elasticsearch import Elasticsearch
from kafka import KafkaAdminClient

from newswire.adapters.elasticsearch import create_client
from newswire.settings import DevServicesSettings, Settings
from newswire_ops.dev_services.elasticsearch_node import ElasticsearchNode
from newswire_ops.dev_services.server import free_port
from tests.support import servers
from tests.support.secured import SecuredServers

REPO_ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """The read-only material beside the repository (samples, corpora); never copied into it."""
    path = Path(os.environ.get("NEWSWIRE_SHARED_DIR", REPO_ROOT.parent / "shared"))
    if not (path / "corpora").is_dir():
        pytest.fail(f"{path} has no corpora/: set NEWSWIRE_SHARED_DIR to the shared folder")
    return path


@pytest.fixture(scope="session")
def kafka_bootstrap_servers() -> Iterator[str]:
    with servers.kafka_bootstrap_servers() as address:
        yield address


@pytest.fixture(scope="session")
def elasticsearch_url() -> Iterator[str]:
    with servers.elasticsearch_url() as url:
        yield url


def _unique_name(request: pytest.FixtureRequest, separator: str) -> str:
    test_name = re.sub(r"[^a-z0-9]+", "-", request.node.name.lower()).strip("-")[:60]
    return f"test{separator}{test_name}{separator}{uuid.uuid4().hex[:8]}"


@pytest.fixture
def kafka_topic(
    request: pytest.FixtureRequest, kafka_bootstrap_servers: str
) -> Iterator[Callable[[], str]]:
    """Makes topic names unique to this test; deletes the topics it made afterwards."""
    made: list[str] = []

    def new_topic_name() -> str:
        made.append(f"{_unique_name(request, '.')}.{len(made)}")
        return made[-1]

    yield new_topic_name
    if made:
        admin = KafkaAdminClient(bootstrap_servers=kafka_bootstrap_servers)
        try:
            existing = set(admin.list_topics())
            if existing & set(made):
                admin.delete_topics(sorted(existing & set(made)))
        finally:
            admin.close()


@pytest.fixture
def elasticsearch(elasticsearch_url: str) -> Iterator[Elasticsearch]:
    client = create_client(Settings(elasticsearch_url=elasticsearch_url))
    yield client
    client.close()


@pytest.fixture
def index_name(request: pytest.FixtureRequest, elasticsearch: Elasticsearch) -> Iterator[str]:
    """An index name unique to this test; the index is deleted afterwards."""
    name = _unique_name(request, "-")
    yield name
    # The index and those named after it (`<name>-stories`, `<name>-000001`, …: a layout).
    made = elasticsearch.options(ignore_status=404).indices.get(index=f"{name}*").body
    for index in made if isinstance(made, dict) and "error" not in made else []:
        elasticsearch.options(ignore_status=404).indices.delete(index=index)


@pytest.fixture
def settings(kafka_bootstrap_servers: str, elasticsearch_url: str) -> Settings:
    return Settings(
        kafka_bootstrap_servers=kafka_bootstrap_servers, elasticsearch_url=elasticsearch_url
    )


@pytest.fixture
def private_elasticsearch(tmp_path: Path) -> Iterator[ElasticsearchNode]:
    """A node of the test's own, so it can stop and restart it without disturbing others."""
    node = ElasticsearchNode(
        DevServicesSettings(
            home=tmp_path / "elasticsearch",
            elasticsearch_port=free_port(),
            elasticsearch_transport_port=free_port(),
            elasticsearch_heap="512m",
        )
    )
    node.up()
    yield node
    node.down()


@pytest.fixture(scope="session")
def secured_servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SecuredServers]:
    """A secured Kafka and Elasticsearch of the session's own (`dev-services up --secure`)."""
    servers = SecuredServers.start(tmp_path_factory.mktemp("secured-dev-home"))
    try:
        yield servers
    finally:
        servers.stop()
