"""Elasticsearch's failures become the port's errors, with the messages clients have always read."""

from typing import Any

import pytest
from elastic_transport import ApiResponseMeta, ConnectionTimeout, HttpHeaders, NodeConfig
from elastic_transport import ConnectionError as TransportConnectionError
from elasticsearch import ApiError

from newswire_api.ports import SearchRefusedError, SearchUnavailableError
from newswire_api.search.elasticsearch.failures import translated_failures


def _api_error(status: int, body: Any = None) -> ApiError:
    meta = ApiResponseMeta(
        status=status,
        http_version="1.1",
        headers=HttpHeaders(),
        duration=0.0,
        node=NodeConfig("http", "127.0.0.1", 9200),
    )
    return ApiError(f"status {status}", meta=meta, body=body or {})


def _raised(failure: Exception) -> Exception:
    with (
        pytest.raises((SearchUnavailableError, SearchRefusedError)) as raised,
        translated_failures(),
    ):
        raise failure
    assert raised.value.__cause__ is failure
    return raised.value


UNREACHABLE = "search is unavailable right now (Elasticsearch did not answer in time)"


@pytest.mark.parametrize(
    ("failure", "message"),
    [
        (ConnectionTimeout("timed out"), UNREACHABLE),
        (TransportConnectionError("refused"), UNREACHABLE),
        (_api_error(404), "there is no article index yet: nothing has been indexed"),
        (_api_error(429), "search is overloaded right now"),
        (_api_error(500), "search is unavailable right now"),
        (_api_error(503), "search is unavailable right now"),
    ],
)
def test_what_may_pass_is_unavailable_with_a_message_saying_which(
    failure: Exception, message: str
) -> None:
    error = _raised(failure)
    assert isinstance(error, SearchUnavailableError)
    assert str(error) == message


def test_a_search_elasticsearch_refuses_is_refused_with_its_reason() -> None:
    body = {"error": {"root_cause": [{"reason": "too many buckets"}], "reason": "all shards"}}
    error = _raised(_api_error(400, body))
    assert isinstance(error, SearchRefusedError)
    assert str(error) == "Elasticsearch cannot run this search: too many buckets"


def test_a_refusal_without_a_root_cause_gives_the_error_message() -> None:
    error = _raised(_api_error(400))
    assert str(error) == "Elasticsearch cannot run this search: status 400"


def test_other_exceptions_pass_unchanged() -> None:
    with pytest.raises(KeyError), translated_failures():
        raise KeyError("hits")
