"""Where the tests find a real Kafka broker and a real Elasticsearch node, in this order:

1. `KAFKA_BOOTSTRAP_SERVERS` / `ELASTICSEARCH_URL` when set (a CI service, a shared cluster);
2. testcontainers, when a Docker engine answers;
3. the project's own dev-services (Maven Central jars), reused if running, else started here and
   stopped at the end of the session.
"""

import os
from collections.abc import Iterator
from contextlib import contextmanager

import docker
from testcontainers.community.elasticsearch import ElasticSearchContainer
from testcontainers.community.kafka import KafkaContainer

from newswire.settings import DevServicesSettings
from newswire_ops.dev_services.elasticsearch_node import ElasticsearchNode
from newswire_ops.dev_services.kafka_server import KafkaServer
from newswire_ops.dev_services.server import JvmServer

KAFKA_IMAGE = "confluentinc/cp-kafka:8.0.0"  # Apache Kafka 4.0 inside
ELASTICSEARCH_IMAGE = "docker.elastic.co/elasticsearch/elasticsearch:9.5.3"


def docker_engine_answers() -> bool:
    try:
        docker.from_env(timeout=3).ping()
    except Exception:  # no client library, no socket, no daemon: all mean "no engine"
        return False
    return True


@contextmanager
def _dev_service(server: JvmServer) -> Iterator[str]:
    started_here = server.process.running_pid() is None
    server.up()
    try:
        yield server.address
    finally:
        if started_here:
            server.down()


@contextmanager
def kafka_bootstrap_servers() -> Iterator[str]:
    if os.environ.get("KAFKA_BOOTSTRAP_SERVERS"):
        yield os.environ["KAFKA_BOOTSTRAP_SERVERS"]
    elif docker_engine_answers():
        with KafkaContainer(KAFKA_IMAGE).with_kraft() as container:
            yield container.get_bootstrap_server()
    else:
        with _dev_service(KafkaServer(DevServicesSettings())) as address:
            yield address


@contextmanager
def elasticsearch_url() -> Iterator[str]:
    if os.environ.get("ELASTICSEARCH_URL"):
        yield os.environ["ELASTICSEARCH_URL"]
    elif docker_engine_answers():
        with ElasticSearchContainer(ELASTICSEARCH_IMAGE, mem_limit="2G") as container:
            host, port = container.get_container_host_ip(), container.get_exposed_port(9200)
            yield f"http://{host}:{port}"
    else:
        with _dev_service(ElasticsearchNode(DevServicesSettings())) as address:
            yield address
