"""The API fuzzed from its own OpenAPI spec (schemathesis): no input may cause a server error,
and every answer, 4xx included, must match the documented schema.

Cases are generated per operation with schemathesis' Hypothesis strategies, valid ones and
invalid ones, and sent over HTTP to the app under uvicorn, over the BBC corpus and the sample.
The API runs as by default, and again with an API key configured: then every case carries the
bearer key and a client's `X-Request-ID`, which the answers must echo.
(schemathesis' pytest plugin reads a pytest internal that pytest 9 removed, hence the loop.)
"""

import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.core.result import Ok
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from newswire_api.app import create_app
from tests.support.search_corpus import BACKENDS, search_corpus, serving

pytestmark = pytest.mark.integration

EXAMPLES_PER_OPERATION_AND_MODE = 60
CHECKS = [
    schemathesis.checks.not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


# A valid request to the live feed opens a stream that never ends, which a fuzzer's client reads
# to its end: it is left out. Its parameters are /articles/search's (fuzzed there) and an event
# id (tests/unit/api/test_stream.py); its answers: tests/integration/api/test_stream.py.
ENDLESS = {"/articles/stream"}


API_KEY = "a-fuzzing-client-key-0123456789"
KEYED_HEADERS = {"Authorization": f"Bearer {API_KEY}", "X-Request-ID": "fuzz-1"}


@pytest.fixture(scope="module", params=[(b, k) for b in BACKENDS for k in ("open", "keyed")])
def api_schema(
    request: pytest.FixtureRequest,
    elasticsearch_url: str,
    shared_dir: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[schemathesis.BaseSchema, dict[str, str]]]:
    backend, keys = request.param
    data_dir = tmp_path_factory.mktemp("embedded-index")
    with search_corpus(backend, elasticsearch_url, shared_dir, data_dir) as corpus:
        # The fuzzer sends as fast as it can from one address: its cases, not the rate limit
        # (tests/unit/api/test_request_bounds.py), are what is under test here.
        unlimited = {"api_rate_limit_per_s": 1e6, "api_rate_limit_burst": 1_000_000}
        settings, headers = corpus.settings.model_copy(update=unlimited), {}
        if keys == "keyed":
            digest = f"sha256:{hashlib.sha256(API_KEY.encode()).hexdigest()}"
            settings, headers = (
                settings.model_copy(update={"api_key_hashes": [digest]}),
                KEYED_HEADERS,
            )
        with serving(create_app(settings)) as base_url:
            yield (
                schemathesis.openapi.from_url(f"{base_url}/openapi.json", headers=headers),
                headers,
            )


@pytest.mark.parametrize("mode", list(schemathesis.GenerationMode))
def test_no_request_gets_a_server_error(
    api_schema: tuple[schemathesis.BaseSchema, dict[str, str]],
    mode: schemathesis.GenerationMode,
) -> None:
    schema, headers = api_schema
    results = list(schema.get_all_operations())
    operations = [result.ok() for result in results if isinstance(result, Ok)]
    assert len(operations) == len(results), "the OpenAPI spec has invalid operations"
    operations = [operation for operation in operations if operation.path not in ENDLESS]
    assert len(operations) >= 8
    if mode is schemathesis.GenerationMode.NEGATIVE:
        # Only query parameters can be invalid: an article id is any string (unknown ones: 404).
        operations = [operation for operation in operations if len(operation.query)]
    for operation in operations:

        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(
            max_examples=EXAMPLES_PER_OPERATION_AND_MODE,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            database=None,
        )
        def answers_without_a_server_error(case: schemathesis.Case[Any]) -> None:
            # A copy each time: schemathesis merges the case's own headers into what it is given,
            # and may send a generated bearer token or request id of its own instead of ours.
            response = case.call_and_validate(checks=CHECKS, headers=dict(headers))
            sent = response.request.headers
            if sent.get("Authorization") == KEYED_HEADERS["Authorization"]:
                assert response.status_code != 401, "the configured key was refused"
            if sent.get("X-Request-ID") == KEYED_HEADERS["X-Request-ID"]:
                assert response.headers["x-request-id"] == [KEYED_HEADERS["X-Request-ID"]]

        answers_without_a_server_error()
