"""The Elasticsearch client every Newswire service uses, and why it was refused.

Every client is made by `create_client` from one set of connection options
(`connection_options`: the URL, the CA file or certificate fingerprint, an API key or a user
name and password), so no client can forget them; callers add only their own timeouts and
retries. `access_problem` turns a refusal (401, 403) or a failed TLS handshake into one line
naming the setting that fixes it.
"""

import ssl
from typing import Any

from elastic_transport import ConnectionError as TransportConnectionError
from elastic_transport import TlsError
from elasticsearch import ApiError, AuthenticationException, AuthorizationException, Elasticsearch

from newswire.settings import Settings


class ElasticsearchAccessError(Exception):
    """Elasticsearch refused this client or could not be trusted: the message says why and which
    setting to look at. Trying again does not help."""


def connection_options(settings: Settings) -> dict[str, Any]:
    """How every Elasticsearch client of Newswire reaches the cluster and proves who it is."""
    # Several nodes: a request whose node fails is tried on another (`max_retries`), and the
    # failed node is left out for a while.
    options: dict[str, Any] = {"hosts": settings.elasticsearch_urls}
    # TLS options only for https:// URLs (the client refuses them otherwise); an http:// URL
    # at an HTTPS port is then refused by the server, and `access_problem` says so.
    https = all(url.startswith("https://") for url in settings.elasticsearch_urls)
    if https and settings.elasticsearch_ca_certs is not None:
        options["ca_certs"] = str(settings.elasticsearch_ca_certs)
    if https and settings.elasticsearch_ssl_assert_fingerprint:
        options["ssl_assert_fingerprint"] = settings.elasticsearch_ssl_assert_fingerprint
    if settings.elasticsearch_api_key is not None:
        options["api_key"] = settings.elasticsearch_api_key.get_secret_value()
    elif settings.elasticsearch_username is not None and settings.elasticsearch_password:
        options["basic_auth"] = (
            settings.elasticsearch_username,
            settings.elasticsearch_password.get_secret_value(),
        )
    return options


def create_client(settings: Settings, **options: Any) -> Elasticsearch:
    """A client with Newswire's connection options; `options` (timeouts, retries) override the
    writers' defaults."""
    # Retries on timeouts too: a write sent twice is refused the second time by its
    # compare-and-set (stories, claims) or rewrites the same listing.
    defaults: dict[str, Any] = {"request_timeout": 30, "retry_on_timeout": True, "max_retries": 3}
    return Elasticsearch(**connection_options(settings), **(defaults | options))


def who(settings: Settings) -> str:
    """The client's identity as Elasticsearch sees it, for messages."""
    if settings.elasticsearch_api_key is not None:
        return "the API key (NEWSWIRE_ELASTICSEARCH_API_KEY)"
    if settings.elasticsearch_username is not None:
        return f"user {settings.elasticsearch_username!r}"
    return "an anonymous client"


def access_problem(settings: Settings, error: Exception) -> str | None:
    """One line saying why `error` is a matter of access (credentials, privileges, TLS), with
    the setting that fixes it; None for any other error."""
    url = settings.elasticsearch_url
    if isinstance(error, AuthenticationException):
        return (
            f"Elasticsearch authentication failed for {who(settings)} at {url}: check "
            "NEWSWIRE_ELASTICSEARCH_USERNAME and NEWSWIRE_ELASTICSEARCH_PASSWORD(_FILE), or "
            "NEWSWIRE_ELASTICSEARCH_API_KEY(_FILE)"
        )
    if isinstance(error, AuthorizationException):
        return (
            f"Elasticsearch refused {who(settings)} at {url}: {_reason(error)}; grant the "
            "privileges docs/deploy.md lists for this service"
        )
    if isinstance(error, TlsError):
        return _tls_problem(settings, error)
    if isinstance(error, TransportConnectionError) and url.startswith("http://"):
        # A plain-HTTP client at an HTTPS port: the server drops what is not a TLS handshake.
        return (
            f"Elasticsearch at {url} closed the connection ({error.message}): if it serves "
            "HTTPS, use an https:// URL (ELASTICSEARCH_URL)"
        )
    return None


def _reason(error: ApiError) -> str:
    body = error.body if isinstance(error.body, dict) else {}
    reason = body.get("error", {}).get("reason") if isinstance(body.get("error"), dict) else None
    return str(reason or error.message)


def _tls_problem(settings: Settings, error: TlsError) -> str:
    url = settings.elasticsearch_url
    cause = error.errors[0] if error.errors else error
    detail = str(getattr(cause, "message", None) or cause)
    if "hostname" in detail.lower() or "ip address mismatch" in detail.lower():
        return (
            f"Elasticsearch's certificate at {url} does not name that host ({_short(detail)}): "
            "use a host name the certificate has in ELASTICSEARCH_URL"
        )
    if "fingerprint" in detail.lower():
        return (
            f"Elasticsearch's certificate at {url} does not match "
            f"NEWSWIRE_ELASTICSEARCH_SSL_ASSERT_FINGERPRINT ({_short(detail)})"
        )
    if "verify failed" in detail.lower() or isinstance(cause, ssl.SSLCertVerificationError):
        return (
            f"Elasticsearch's certificate at {url} is not trusted ({_short(detail)}): set "
            "NEWSWIRE_ELASTICSEARCH_CA_CERTS to the CA that signed it, or "
            "NEWSWIRE_ELASTICSEARCH_SSL_ASSERT_FINGERPRINT"
        )
    return f"TLS with Elasticsearch at {url} failed: {_short(detail)}"


def _short(detail: str) -> str:
    """The certificate error within an urllib3 message (the rest repeats the URL)."""
    for marker in ("certificate verify failed:", "Fingerprints did not match", "hostname"):
        start = detail.find(marker)
        if start >= 0:
            return detail[start:].split("(_ssl.c", maxsplit=1)[0].rstrip(" )'\"")
    return detail
