"""Every failure as a JSON `Problem` with a status that says whose move it is.

4xx: the request must change, and the message says how. 503: Elasticsearch is unreachable, slow
or has no index yet; try again later. No traceback ever reaches a client: unexpected errors are
logged here and answered with a plain 500.
"""

import logging
from collections.abc import Sequence
from typing import Any

from elastic_transport import ConnectionError as TransportConnectionError
from elastic_transport import ConnectionTimeout
from elasticsearch import ApiError
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from newswire_api.ports import ArticleNotFoundError, SearchUnavailableError
from newswire_api.responses import Problem
from newswire_api.search_request import InvalidSearchError

log = logging.getLogger(__name__)

RETRY_AFTER_S = "5"


def problem(status: int, detail: str, errors: Sequence[str] = ()) -> JSONResponse:
    body = Problem(detail=detail, errors=list(errors)).model_dump()
    headers = {"Retry-After": RETRY_AFTER_S} if status == 503 else None
    return JSONResponse(body, status_code=status, headers=headers)


def add_exception_handlers(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, _invalid_parameters)  # type: ignore[arg-type]
    app.add_exception_handler(InvalidSearchError, _invalid_search)  # type: ignore[arg-type]
    app.add_exception_handler(ArticleNotFoundError, _not_found)  # type: ignore[arg-type]
    app.add_exception_handler(TransportConnectionError, _unavailable)
    app.add_exception_handler(ConnectionTimeout, _unavailable)
    app.add_exception_handler(ApiError, _refused)  # type: ignore[arg-type]
    app.add_exception_handler(SearchUnavailableError, _index_unavailable)
    app.add_exception_handler(Exception, _unexpected)


def describe_validation_errors(errors: Sequence[Any]) -> list[str]:
    """One line per problem: the parameter's name, then what is wrong with its value."""
    lines = []
    for error in errors:
        where = [str(part) for part in error.get("loc", ()) if part not in {"query", "path"}]
        message = str(error.get("msg", "is invalid")).removeprefix("Value error, ")
        if error.get("type") == "extra_forbidden":
            message = "is not a parameter of this endpoint (see /docs)"
        lines.append(f"{'.'.join(where)}: {message}" if where else message)
    return lines


async def _invalid_parameters(request: Request, error: RequestValidationError) -> JSONResponse:
    lines = describe_validation_errors(error.errors())
    return problem(422, "invalid parameters: " + "; ".join(lines), lines)


async def _invalid_search(request: Request, error: InvalidSearchError) -> JSONResponse:
    return problem(422, str(error), [str(error)])


async def _not_found(request: Request, error: ArticleNotFoundError) -> JSONResponse:
    return problem(404, str(error))


async def _unavailable(request: Request, error: Exception) -> JSONResponse:
    log.warning("Elasticsearch unavailable: %s", error)
    return problem(503, "search is unavailable right now (Elasticsearch did not answer in time)")


async def _index_unavailable(request: Request, error: Exception) -> JSONResponse:
    log.warning("search index unavailable: %s", error)
    return problem(503, f"search is unavailable right now: {error}")


async def _refused(request: Request, error: ApiError) -> JSONResponse:
    if error.status_code == 404:  # the alias or index is missing: nothing indexed yet
        return problem(503, "there is no article index yet: nothing has been indexed")
    if error.status_code == 429:
        return problem(503, "search is overloaded right now")
    if error.status_code == 400:
        # Parameters passed validation, so this is a limit such as too many timeline buckets.
        return problem(422, f"Elasticsearch cannot run this search: {_reason(error)}")
    log.error("Elasticsearch refused a search: %s", error)
    return problem(503, "search is unavailable right now")


async def _unexpected(request: Request, error: Exception) -> JSONResponse:
    log.exception("unexpected error answering %s %s", request.method, request.url.path)
    return problem(500, "internal error: it has been logged")


def _reason(error: ApiError) -> str:
    body = error.body if isinstance(error.body, dict) else {}
    causes = body.get("error", {}).get("root_cause") or [body.get("error", {})]
    reason = causes[0].get("reason") if causes and isinstance(causes[0], dict) else None
    return str(reason or error.message)
