"""The connection settings of a secured Kafka and Elasticsearch: secrets from files, never shown,
and the client options every Kafka and Elasticsearch client is built from."""

from pathlib import Path

import pytest
from pydantic import ValidationError

from newswire.adapters.elasticsearch import connection_options as elasticsearch_options
from newswire.adapters.kafka import connection_options as kafka_options
from newswire.settings import Settings

SECRET = "s3cret-value-never-shown"


def _sasl(**values: object) -> Settings:
    return Settings.model_validate(
        {
            "kafka_security_protocol": "SASL_SSL",
            "kafka_sasl_username": "ingest",
            "kafka_sasl_password": SECRET,
            **values,
        }
    )


def test_a_secret_is_never_in_the_repr_or_the_json_of_the_settings() -> None:
    settings = _sasl(elasticsearch_username="api", elasticsearch_password=SECRET)
    assert SECRET not in repr(settings)
    assert SECRET not in str(settings)
    assert SECRET not in settings.model_dump_json()


def test_a_secret_comes_from_its_file_without_the_line_end(tmp_path: Path) -> None:
    secret_file = tmp_path / "password"
    secret_file.write_text(f"{SECRET}\n", encoding="utf-8")
    settings = _sasl(kafka_sasl_password=None, kafka_sasl_password_file=secret_file)
    assert settings.kafka_sasl_password is not None
    assert settings.kafka_sasl_password.get_secret_value() == SECRET


def test_a_secret_given_twice_is_refused_without_showing_it(tmp_path: Path) -> None:
    secret_file = tmp_path / "password"
    secret_file.write_text("from-the-file", encoding="utf-8")
    with pytest.raises(ValidationError) as refused:
        _sasl(kafka_sasl_password_file=secret_file)
    assert "NEWSWIRE_KAFKA_SASL_PASSWORD_FILE" in str(refused.value)
    assert SECRET not in str(refused.value)


def test_an_unreadable_secret_file_is_named_with_its_setting(tmp_path: Path) -> None:
    with pytest.raises(ValidationError) as refused:
        _sasl(kafka_sasl_password=None, kafka_sasl_password_file=tmp_path / "missing")
    assert "NEWSWIRE_KAFKA_SASL_PASSWORD_FILE" in str(refused.value)
    assert "cannot be read" in str(refused.value)


def test_sasl_without_a_password_names_the_settings_it_needs() -> None:
    with pytest.raises(ValidationError) as refused:
        _sasl(kafka_sasl_password=None)
    assert "NEWSWIRE_KAFKA_SASL_PASSWORD" in str(refused.value)


def test_credentials_in_the_elasticsearch_url_are_refused_without_echoing_them() -> None:
    with pytest.raises(ValidationError) as refused:
        Settings.model_validate({"elasticsearch_url": f"https://elastic:{SECRET}@es:9200"})
    assert "NEWSWIRE_ELASTICSEARCH_PASSWORD" in str(refused.value)
    assert SECRET not in str(refused.value)


def test_a_refused_cursor_secret_is_not_echoed() -> None:
    with pytest.raises(ValidationError) as refused:
        Settings.model_validate({"api_cursor_secret": "short-secret"})
    assert "short-secret" not in str(refused.value)


def test_kafka_clients_get_tls_and_sasl_options_from_the_settings(tmp_path: Path) -> None:
    options = kafka_options(_sasl(kafka_ssl_cafile=tmp_path / "ca.crt"))
    assert options["security_protocol"] == "SASL_SSL"
    assert options["sasl_mechanism"] == "SCRAM-SHA-512"
    assert options["sasl_plain_username"] == "ingest"
    assert options["sasl_plain_password"] == SECRET
    assert options["ssl_cafile"] == str(tmp_path / "ca.crt")
    assert options["ssl_check_hostname"] is True


def test_plaintext_kafka_clients_get_no_tls_or_sasl_options() -> None:
    options = kafka_options(Settings.model_validate({}))
    assert set(options) == {"bootstrap_servers", "security_protocol"}


def test_elasticsearch_clients_get_the_ca_and_credentials_from_the_settings(
    tmp_path: Path,
) -> None:
    settings = Settings.model_validate(
        {
            "elasticsearch_url": "https://es:9200",
            "elasticsearch_ca_certs": tmp_path / "ca.crt",
            "elasticsearch_username": "api",
            "elasticsearch_password": SECRET,
        }
    )
    options = elasticsearch_options(settings)
    assert options == {
        "hosts": ["https://es:9200"],
        "ca_certs": str(tmp_path / "ca.crt"),
        "basic_auth": ("api", SECRET),
    }


def test_an_api_key_and_a_password_together_are_refused() -> None:
    with pytest.raises(ValidationError):
        Settings.model_validate(
            {
                "elasticsearch_api_key": SECRET,
                "elasticsearch_username": "api",
                "elasticsearch_password": SECRET,
            }
        )


def test_several_elasticsearch_nodes_are_each_a_host_of_the_client() -> None:
    settings = Settings(elasticsearch_url="http://127.0.0.1:9200, http://127.0.0.1:9201")
    assert elasticsearch_options(settings)["hosts"] == [
        "http://127.0.0.1:9200",
        "http://127.0.0.1:9201",
    ]
