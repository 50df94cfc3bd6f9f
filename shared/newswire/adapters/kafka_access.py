"""Why a Kafka client could not connect or was refused, said in one line with the setting that
fixes it.

kafka-python reports a missing ACL as an AuthorizationError subclass. A refused password or a
failed TLS handshake (an untrusted certificate, a host name the certificate does not name, a
plaintext client at a TLS listener) it reports only as a connection that never becomes ready:
the broker closes the socket, kafka-python tries again until its bootstrap timeout (30 s), then
says "Unable to bootstrap". So `access_failure` then opens one connection itself, with the same
settings (`probe_access`: TLS, then the SASL exchange with kafka-python's own mechanism), and
names what went wrong.
"""

import socket
import ssl
from typing import Any

from kafka.errors import (
    AuthorizationError,
    ClusterAuthorizationFailedError,
    GroupAuthorizationFailedError,
    KafkaError,
    KafkaTimeoutError,
    SaslAuthenticationFailedError,
    TopicAuthorizationFailedError,
    UnsupportedSaslMechanismError,
)
from kafka.net.sasl import get_sasl_mechanism
from kafka.protocol.metadata import ApiVersionsRequest
from kafka.protocol.parser import KafkaProtocol
from kafka.protocol.sasl import SaslAuthenticateRequest, SaslHandshakeRequest

from newswire.event_log import EventLogError
from newswire.settings import Settings

PROBE_TIMEOUT_S = 5.0


class KafkaAccessError(EventLogError):
    """Kafka could not be reached or refused this client: the message says why and which setting
    to look at. Trying again does not help; the configuration or the ACLs must change."""


def who(settings: Settings) -> str:
    """The client's identity as the broker sees it, for messages."""
    if settings.kafka_security_protocol.startswith("SASL_"):
        return f"user {settings.kafka_sasl_username!r} ({settings.kafka_sasl_mechanism})"
    if settings.kafka_ssl_certfile is not None:
        return f"the certificate {settings.kafka_ssl_certfile}"
    return "an anonymous client"


def explained(settings: Settings, error: KafkaError) -> str | None:
    """A one-line reason for `error` when it is a matter of access (credentials, certificates,
    ACLs), else None."""
    where = settings.kafka_bootstrap_servers
    if isinstance(error, SaslAuthenticationFailedError):
        return (
            f"Kafka authentication failed for {who(settings)} at {where}: check "
            "NEWSWIRE_KAFKA_SASL_USERNAME and NEWSWIRE_KAFKA_SASL_PASSWORD(_FILE)"
        )
    if isinstance(error, UnsupportedSaslMechanismError):
        return (
            f"Kafka at {where} does not offer SASL mechanism {settings.kafka_sasl_mechanism}: "
            f"set NEWSWIRE_KAFKA_SASL_MECHANISM to one it does ({error})"
        )
    if isinstance(error, AuthorizationError):
        return f"Kafka refused {who(settings)} at {where}: {_missing_permission(error)}"
    return None


def _missing_permission(error: AuthorizationError) -> str:
    detail = str(error).split(":", 1)[-1].strip() if ":" in str(error) else ""
    detail = f" ({detail})" if detail else ""
    if isinstance(error, TopicAuthorizationFailedError):
        return (
            f"no permission on a topic{detail}; grant the ACLs docs/deploy.md lists for this "
            "service"
        )
    if isinstance(error, GroupAuthorizationFailedError):
        return (
            f"no permission on its consumer group{detail}; grant READ on the group (docs/deploy.md)"
        )
    if isinstance(error, ClusterAuthorizationFailedError):
        return f"no permission on the cluster{detail} (docs/deploy.md)"
    return f"not authorized: {error}"


def access_failure(settings: Settings, error: KafkaError) -> EventLogError:
    """`error` in our terms: a KafkaAccessError that says why when access is the matter (the TLS
    handshake probed when the broker never answered), else an EventLogError with the error."""
    reason = explained(settings, error)
    if reason is None and isinstance(error, KafkaTimeoutError):
        reason = probe_access(settings)
    if reason is not None:
        return KafkaAccessError(reason)
    return EventLogError(f"Kafka at {settings.kafka_bootstrap_servers}: {error!r}")


def probe_access(settings: Settings) -> str | None:
    """What goes wrong connecting to the first bootstrap server under `settings`: the TLS
    handshake, then the SASL exchange (None when both succeed, or nothing listens there)."""
    host, _, port = settings.kafka_bootstrap_servers.split(",")[0].strip().rpartition(":")
    where = f"{host}:{port}"
    uses_tls = settings.kafka_security_protocol in ("SSL", "SASL_SSL")
    try:
        connection = socket.create_connection((host, int(port)), timeout=PROBE_TIMEOUT_S)
    except OSError:
        return None  # nothing listens: not a matter of access
    connection.settimeout(PROBE_TIMEOUT_S)
    with connection:
        if not uses_tls:
            return _answer_problem(connection, where, settings)
        context = tls_context(settings)
        try:
            with context.wrap_socket(connection, server_hostname=host) as secured:
                return _answer_problem(secured, where, settings)
        except ssl.SSLCertVerificationError as failure:
            return _untrusted(settings, where, failure)
        except ssl.SSLError as failure:
            return (
                f"TLS with Kafka at {where} failed ({failure.reason or failure}): check "
                "NEWSWIRE_KAFKA_SECURITY_PROTOCOL, and NEWSWIRE_KAFKA_SSL_CERTFILE/_KEYFILE if "
                "the listener asks for a client certificate"
            )
        except OSError:
            return None


def _sasl_problem(connection: socket.socket, where: str, settings: Settings) -> str | None:
    """Authenticate as kafka-python would (SaslHandshake, then SaslAuthenticate rounds)."""
    if not settings.kafka_security_protocol.startswith("SASL_"):
        return None
    protocol = KafkaProtocol(client_id="newswire-access-probe")
    mechanism_name = settings.kafka_sasl_mechanism
    handshake = _exchange(
        connection, protocol, SaslHandshakeRequest(mechanism=mechanism_name, version=1)
    )
    if handshake is None:
        return None
    if handshake.error_code or mechanism_name not in handshake.mechanisms:
        return (
            f"Kafka at {where} does not offer SASL mechanism {mechanism_name} (it offers "
            f"{', '.join(handshake.mechanisms) or 'none'}): set NEWSWIRE_KAFKA_SASL_MECHANISM"
        )
    password = settings.kafka_sasl_password
    mechanism = get_sasl_mechanism(mechanism_name)(
        host=where.rpartition(":")[0],
        security_protocol=settings.kafka_security_protocol,
        sasl_mechanism=mechanism_name,
        sasl_plain_username=settings.kafka_sasl_username,
        sasl_plain_password=None if password is None else password.get_secret_value(),
    )
    refused = (
        f"Kafka authentication failed for {who(settings)} at {where}: check "
        "NEWSWIRE_KAFKA_SASL_USERNAME and NEWSWIRE_KAFKA_SASL_PASSWORD(_FILE)"
    )
    while not mechanism.is_done():
        answer = _exchange(
            connection,
            protocol,
            SaslAuthenticateRequest(auth_bytes=mechanism.auth_bytes(), version=1),
        )
        if answer is None or answer.error_code:
            return refused  # the broker answers a refusal, or just closes the connection
        mechanism.receive(answer.auth_bytes)
    return None if mechanism.is_authenticated() else refused


def _exchange(connection: socket.socket, protocol: KafkaProtocol, request: Any) -> Any:
    """Send `request`, return its response; None when the broker closes the connection or
    answers something that is not a Kafka response."""
    protocol.send_request(request)
    connection.sendall(protocol.send_bytes())
    while True:
        try:
            data = connection.recv(65536)
        except OSError:
            return None
        if not data:
            return None
        try:
            responses = protocol.receive_bytes(data)
        except KafkaError:  # not Kafka's framing: a TLS alert, say
            return None
        if responses:
            return responses[0][1]


def _untrusted(settings: Settings, where: str, failure: ssl.SSLCertVerificationError) -> str:
    message = failure.verify_message or str(failure)
    if "hostname" in message.lower() or "ip address mismatch" in message.lower():
        return (
            f"Kafka's certificate at {where} does not name that host ({message}): connect by a "
            "name the certificate has (KAFKA_BOOTSTRAP_SERVERS); NEWSWIRE_KAFKA_SSL_CHECK_HOSTNAME"
            "=false only for testing"
        )
    return (
        f"Kafka's certificate at {where} is not trusted ({message}): set "
        "NEWSWIRE_KAFKA_SSL_CAFILE to the CA that signed it"
    )


def _answer_problem(connection: socket.socket, where: str, settings: Settings) -> str | None:
    """Whether the broker answers a first request (ApiVersions), then the SASL exchange. A TLS
    listener takes a plaintext client's request for a broken handshake; a listener that wants a
    client certificate closes the connection once TLS 1.3's handshake is over."""
    protocol = KafkaProtocol(client_id="newswire-access-probe")
    if _exchange(connection, protocol, ApiVersionsRequest(version=0)) is not None:
        return _sasl_problem(connection, where, settings)
    if settings.kafka_security_protocol in ("SSL", "SASL_SSL"):
        return (
            f"Kafka at {where} closed the TLS connection: its listener wants a client "
            "certificate it trusts (NEWSWIRE_KAFKA_SSL_CERTFILE and NEWSWIRE_KAFKA_SSL_KEYFILE), "
            "or another NEWSWIRE_KAFKA_SECURITY_PROTOCOL"
        )
    return (
        f"Kafka at {where} did not answer {settings.kafka_security_protocol}: if its listener "
        "is secured, set NEWSWIRE_KAFKA_SECURITY_PROTOCOL (SSL or SASL_SSL) and its settings"
    )


def tls_context(settings: Settings) -> ssl.SSLContext:
    """The TLS context kafka-python builds from the same settings."""
    context = ssl.create_default_context(
        cafile=None if settings.kafka_ssl_cafile is None else str(settings.kafka_ssl_cafile)
    )
    context.check_hostname = settings.kafka_ssl_check_hostname
    if settings.kafka_ssl_certfile is not None and settings.kafka_ssl_keyfile is not None:
        password = settings.kafka_ssl_key_password
        context.load_cert_chain(
            str(settings.kafka_ssl_certfile),
            str(settings.kafka_ssl_keyfile),
            None if password is None else password.get_secret_value(),
        )
    return context
