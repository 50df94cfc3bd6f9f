"""The API fuzzed from its own OpenAPI spec (schemathesis): no input may cause a server error,
and every answer, 4xx included, must match the documented schema.

Cases are generated per operation with schemathesis' Hypothesis strategies, valid ones and
invalid ones, and sent over HTTP to the app under uvicorn, over the BBC corpus and the sample.
(schemathesis' pytest plugin reads a pytest internal that pytest 9 removed, hence the loop.)
"""

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


@pytest.fixture(scope="module", params=BACKENDS)
def api_schema(
    request: pytest.FixtureRequest,
    elasticsearch_url: str,
    shared_dir: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[schemathesis.BaseSchema]:
    data_dir = tmp_path_factory.mktemp("embedded-index")
    with (
        search_corpus(request.param, elasticsearch_url, shared_dir, data_dir) as corpus,
        serving(create_app(corpus.settings)) as base_url,
    ):
        yield schemathesis.openapi.from_url(f"{base_url}/openapi.json")


@pytest.mark.parametrize("mode", list(schemathesis.GenerationMode))
def test_no_request_gets_a_server_error(
    api_schema: schemathesis.BaseSchema, mode: schemathesis.GenerationMode
) -> None:
    results = list(api_schema.get_all_operations())
    operations = [result.ok() for result in results if isinstance(result, Ok)]
    assert len(operations) == len(results), "the OpenAPI spec has invalid operations"
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
            case.call_and_validate(checks=CHECKS)

        answers_without_a_server_error()
