"""Newswire's Elasticsearch clients on a secured node (TLS, the file realm's users and roles):
each identity does what docs/deploy.md grants it, and every refusal is said in one line that
names the setting to fix."""

import logging
import ssl
import urllib.error
import urllib.request
from pathlib import Path

import httpx
import pytest
from elastic_transport import TransportError
from elasticsearch import ApiError

from newswire.adapters.elasticsearch import access_problem, create_client
from newswire.article_index import ArticleIndex
from newswire.settings import Settings
from newswire_api.app import create_app
from tests.support.search_corpus import serving
from tests.support.secured import SecuredServers

pytestmark = [pytest.mark.integration, pytest.mark.secured]


def _problem(settings: Settings) -> str | None:
    """What reading the articles alias says, refused (None when it is not refused)."""
    client = create_client(settings, max_retries=0)
    try:
        client.options(ignore_status=404).indices.get_alias(name=settings.index_alias)
    except (ApiError, TransportError) as error:
        return access_problem(settings, error)
    finally:
        client.close()
    return None


def test_https_without_credentials_is_refused(secured_servers: SecuredServers) -> None:
    context = ssl.create_default_context(cafile=secured_servers.ca_file)
    url = f"{secured_servers.elasticsearch.address}/_cluster/health"
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(url, timeout=10, context=context)
    assert refused.value.code == 401


def test_the_indexer_creates_and_writes_the_index_as_its_own_user(
    secured_servers: SecuredServers,
) -> None:
    settings = secured_servers.client_settings("indexer")
    client = create_client(settings)
    try:
        ArticleIndex(client, settings.index_alias, settings.index_name).ensure()
        client.index(index=settings.index_alias, id="probe", document={}, refresh=True)
        assert client.get(index=settings.index_alias, id="probe")["found"]
        client.delete(index=settings.index_alias, id="probe", refresh=True)
    finally:
        client.close()


def test_the_api_user_reads_and_may_not_write(secured_servers: SecuredServers) -> None:
    indexer = create_client(secured_servers.client_settings("indexer"))
    settings = secured_servers.client_settings("api")
    api = create_client(settings, max_retries=0)
    try:
        ArticleIndex(indexer, settings.index_alias, settings.index_name).ensure()
        assert api.search(index=settings.index_alias, size=0)["hits"]["total"]["value"] >= 0
        with pytest.raises(ApiError) as refused:
            api.index(index=settings.index_alias, id="not-allowed", document={})
    finally:
        indexer.close()
        api.close()
    message = access_problem(settings, refused.value)
    assert message is not None
    assert message.startswith(
        f"Elasticsearch refused user 'api' at {secured_servers.elasticsearch.address}: "
    )
    assert "docs/deploy.md" in message


def test_a_wrong_password_is_named_as_authentication(secured_servers: SecuredServers) -> None:
    settings = secured_servers.client_settings(
        "indexer", elasticsearch_password="not-the-password", elasticsearch_password_file=None
    )
    message = _problem(settings)
    assert message == (
        "Elasticsearch authentication failed for user 'indexer' at "
        f"{secured_servers.elasticsearch.address}: check NEWSWIRE_ELASTICSEARCH_USERNAME and "
        "NEWSWIRE_ELASTICSEARCH_PASSWORD(_FILE), or NEWSWIRE_ELASTICSEARCH_API_KEY(_FILE)"
    )


def test_an_untrusted_certificate_names_the_ca_setting(secured_servers: SecuredServers) -> None:
    message = _problem(secured_servers.client_settings("indexer", elasticsearch_ca_certs=None))
    assert message is not None
    assert "is not trusted" in message
    assert "NEWSWIRE_ELASTICSEARCH_CA_CERTS" in message


def test_a_host_name_the_certificate_does_not_name_is_refused(
    secured_servers: SecuredServers,
) -> None:
    url = f"https://localhost:{secured_servers.settings.elasticsearch_port}"
    message = _problem(secured_servers.client_settings("indexer", elasticsearch_url=url))
    assert message is not None
    assert f"Elasticsearch's certificate at {url} does not name that host" in message


def test_the_ca_fingerprint_stands_for_the_ca_file(secured_servers: SecuredServers) -> None:
    fingerprint = secured_servers.credentials.authority().fingerprint()
    settings = secured_servers.client_settings(
        "indexer", elasticsearch_ca_certs=None, elasticsearch_ssl_assert_fingerprint=fingerprint
    )
    assert _problem(settings) is None
    wrong = settings.model_copy(update={"elasticsearch_ssl_assert_fingerprint": "00" * 32})
    message = _problem(wrong)
    assert message is not None
    assert "NEWSWIRE_ELASTICSEARCH_SSL_ASSERT_FINGERPRINT" in message


def test_plain_http_at_the_https_port_names_the_url(secured_servers: SecuredServers) -> None:
    url = f"http://127.0.0.1:{secured_servers.settings.elasticsearch_port}"
    message = _problem(secured_servers.client_settings("indexer", elasticsearch_url=url))
    assert message is not None
    assert "use an https:// URL" in message


def test_the_search_api_reads_the_secured_index_as_its_own_user(
    secured_servers: SecuredServers, tmp_path: Path
) -> None:
    indexer = create_client(secured_servers.client_settings("indexer"))
    settings = secured_servers.client_settings("api", data_dir=tmp_path)
    try:
        ArticleIndex(indexer, settings.index_alias, settings.index_name).ensure()
        with serving(create_app(settings)) as url:
            assert httpx.get(f"{url}/readyz", timeout=30).status_code == 200
            found = httpx.get(f"{url}/articles/search?q=anything", timeout=30)
            assert found.status_code == 200
    finally:
        indexer.close()


def test_the_search_api_with_a_wrong_password_stays_not_ready_and_logs_why_once(
    secured_servers: SecuredServers, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    wrong = tmp_path / "wrong-password"
    wrong.write_text("not-the-password\n")
    settings = secured_servers.client_settings(
        "api", data_dir=tmp_path, elasticsearch_password_file=wrong
    )
    with caplog.at_level(logging.ERROR), serving(create_app(settings)) as url:
        answers = [httpx.get(f"{url}/readyz", timeout=30) for _ in range(3)]
        searched = httpx.get(f"{url}/articles/search?q=anything", timeout=30)
    assert {answer.status_code for answer in answers} == {503}
    assert "refuses the API's connection" in answers[0].json()["detail"]
    assert searched.status_code == 503
    assert "not-the-password" not in searched.text
    told = [r.getMessage() for r in caplog.records if "authentication failed" in r.getMessage()]
    assert told == [
        f"Elasticsearch authentication failed for user 'api' at {settings.elasticsearch_url}: "
        "check NEWSWIRE_ELASTICSEARCH_USERNAME and NEWSWIRE_ELASTICSEARCH_PASSWORD(_FILE), or "
        "NEWSWIRE_ELASTICSEARCH_API_KEY(_FILE)"
    ]
