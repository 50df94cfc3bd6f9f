"""Newswire's Kafka clients on a secured broker (SASL_SSL with SCRAM-SHA-512, mutual TLS, the ACL
authorizer): each identity does what docs/deploy.md grants it, and every refusal is said in one
line that names the setting to fix."""

from pathlib import Path

import pytest

from newswire.adapters.kafka import KafkaEventLog, new_consumer
from newswire.adapters.kafka_access import KafkaAccessError
from newswire.settings import Settings
from tests.support.secured import SecuredServers

pytestmark = [pytest.mark.integration, pytest.mark.secured]


def _ingest(servers: SecuredServers, **overrides: object) -> Settings:
    return servers.client_settings("ingest", **overrides)


def _publish_one(settings: Settings, key: bytes) -> KafkaEventLog:
    """What ingest does: open its topics, publish a message to the raw topic."""
    event_log = KafkaEventLog(settings)
    event_log.ensure_topics([settings.raw_topic, settings.dlq_topic])
    producer = event_log.producer("newswire-test")
    try:
        producer.send(settings.raw_topic, key, b"{}").result(timeout=60)
    finally:
        producer.close()
    return event_log


def _refusal(settings: Settings) -> str:
    """What publishing as ingest does says, refused."""
    with pytest.raises(KafkaAccessError) as refused:
        _publish_one(settings, b"refused")
    return str(refused.value)


def test_ingest_publishes_to_the_raw_topic_as_its_own_user(
    secured_servers: SecuredServers,
) -> None:
    settings = _ingest(secured_servers)
    found = _publish_one(settings, b"ingest-key").find(settings.raw_topic, b"ingest-key")
    assert found is not None
    assert found.value == b"{}"


def test_a_wrong_password_is_named_as_authentication(secured_servers: SecuredServers) -> None:
    message = _refusal(
        _ingest(
            secured_servers, kafka_sasl_password="not-the-password", kafka_sasl_password_file=None
        )
    )
    assert message == (
        f"Kafka authentication failed for user 'ingest' (SCRAM-SHA-512) at "
        f"{secured_servers.kafka.address}: check NEWSWIRE_KAFKA_SASL_USERNAME and "
        "NEWSWIRE_KAFKA_SASL_PASSWORD(_FILE)"
    )
    assert "not-the-password" not in message


def test_an_untrusted_certificate_names_the_ca_setting(secured_servers: SecuredServers) -> None:
    message = _refusal(_ingest(secured_servers, kafka_ssl_cafile=None))
    assert "Kafka's certificate at" in message
    assert "is not trusted" in message
    assert "NEWSWIRE_KAFKA_SSL_CAFILE" in message


def test_a_host_name_the_certificate_does_not_name_is_refused(
    secured_servers: SecuredServers,
) -> None:
    port = secured_servers.settings.kafka_port
    message = _refusal(_ingest(secured_servers, kafka_bootstrap_servers=f"localhost:{port}"))
    assert f"Kafka's certificate at localhost:{port} does not name that host" in message


def test_a_plaintext_client_is_refused_by_the_secured_listener(
    secured_servers: SecuredServers,
) -> None:
    message = _refusal(_ingest(secured_servers, kafka_security_protocol="PLAINTEXT"))
    assert message.startswith(f"Kafka at {secured_servers.kafka.address} did not answer PLAINTEXT")
    assert "NEWSWIRE_KAFKA_SECURITY_PROTOCOL" in message


def test_a_missing_permission_is_named(secured_servers: SecuredServers) -> None:
    # The indexer's user may read the enriched topic, not write the raw one.
    settings = secured_servers.client_settings("indexer")
    message = _refusal(settings)
    where = settings.kafka_bootstrap_servers
    assert message.startswith(f"Kafka refused user 'indexer' (SCRAM-SHA-512) at {where}")
    assert "docs/deploy.md" in message


def test_a_client_certificate_is_its_user_on_the_mutual_tls_listener(
    secured_servers: SecuredServers, tmp_path: Path
) -> None:
    pair = secured_servers.credentials.authority().client_pair("ingest")
    settings = _ingest(
        secured_servers,
        kafka_bootstrap_servers=f"127.0.0.1:{secured_servers.settings.kafka_tls_port}",
        kafka_security_protocol="SSL",
        kafka_ssl_certfile=pair.certificate,
        kafka_ssl_keyfile=pair.key,
    )
    event_log = _publish_one(settings, b"mtls-key")
    assert event_log.find(settings.raw_topic, b"mtls-key") is not None


def test_the_mutual_tls_listener_refuses_a_client_without_certificate(
    secured_servers: SecuredServers,
) -> None:
    address = f"127.0.0.1:{secured_servers.settings.kafka_tls_port}"
    message = _refusal(
        _ingest(secured_servers, kafka_bootstrap_servers=address, kafka_security_protocol="SSL")
    )
    assert message.startswith(f"Kafka at {address} closed the TLS connection")
    assert "NEWSWIRE_KAFKA_SSL_CERTFILE" in message


def test_the_consumer_identity_reads_the_enriched_topic_only(
    secured_servers: SecuredServers,
) -> None:
    admin_settings = secured_servers.client_settings("admin")
    KafkaEventLog(admin_settings).ensure_topics([admin_settings.enriched_topic])
    settings = secured_servers.client_settings("consumer")
    reader = KafkaEventLog(settings).reader(settings.enriched_topic, None, "newswire-test")
    try:
        assert reader.partitions()
    finally:
        reader.close()
    consumer = new_consumer(settings, client_id="newswire-test")
    try:
        # Topics it may not describe are not shown to it.
        assert settings.raw_topic not in consumer.topics()
    finally:
        consumer.close()
