"""Every failure as a JSON `Problem` with a status that says whose move it is.

4xx: the request must change, and the message says how. 503: the search index is unreachable,
slow or has nothing indexed yet; try again later. The search back-ends raise the port's errors
(`ports.py`) with the message the client reads, so this module knows no back-end. No traceback
ever reaches a client: unexpected errors are logged here and answered with a plain 500.
"""

import logging
from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from newswire_api.ports import ArticleNotFoundError, SearchRefusedError, SearchUnavailableError
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
    app.add_exception_handler(SearchRefusedError, _refused)
    app.add_exception_handler(SearchUnavailableError, _unavailable)
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
    cause = f" ({error.__cause__})" if error.__cause__ is not None else ""
    log.warning("search index unavailable: %s%s", error, cause)
    return problem(503, str(error))


async def _refused(request: Request, error: Exception) -> JSONResponse:
    return problem(422, str(error))


async def _unexpected(request: Request, error: Exception) -> JSONResponse:
    log.exception("unexpected error answering %s %s", request.method, request.url.path)
    return problem(500, "internal error: it has been logged")
