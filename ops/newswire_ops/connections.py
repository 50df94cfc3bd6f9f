"""Whether this configuration can reach Kafka and Elasticsearch and is let in: what
`newswire status` adds below its status line when it cannot (a wrong password, an untrusted
certificate, a missing permission), in the words the services themselves log.
"""

from elastic_transport import TransportError
from elasticsearch import ApiError

from newswire.adapters.elasticsearch import access_problem, create_client
from newswire.adapters.kafka_access import probe_access
from newswire.settings import Settings

CHECK_TIMEOUT_S = 5.0


def connection_problems(settings: Settings) -> list[str]:
    """One line per back-end this configuration cannot use; [] when all is well."""
    problems = []
    if settings.uses_kafka():
        # The TLS handshake and the SASL exchange, as the services' clients make them.
        reason = probe_access(settings)
        if reason is not None:
            problems.append(reason)
    if settings.uses_elasticsearch():
        reason = _elasticsearch_problem(settings)
        if reason is not None:
            problems.append(reason)
    return problems


def _elasticsearch_problem(settings: Settings) -> str | None:
    client = create_client(settings, request_timeout=CHECK_TIMEOUT_S, max_retries=0)
    try:
        # Reading the alias needs what every identity with Elasticsearch rights has.
        client.options(ignore_status=404).indices.get_alias(name=settings.index_alias)
    except (ApiError, TransportError) as error:
        return (
            access_problem(settings, error)
            or f"Elasticsearch at {settings.elasticsearch_url}: {error}"
        )
    finally:
        client.close()
    return None
