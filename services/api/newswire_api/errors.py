"""Every failure as a JSON `Problem` with a status that says whose move it is.

4xx: the request must change, and the message says how (429: the client must slow down, and
`Retry-After` says for how long). 503: the search index is unreachable, slow, busy or has
nothing indexed yet; try again later (`Retry-After`). The search back-ends raise the port's
errors (`ports.py`) with the message the client reads, so this module knows no back-end. Every
failed request is logged here in one short line with its request id, which the client gets too
(`X-Request-ID`, and `request_id` in the body): 4xx at INFO (the client's doing; 429 at DEBUG,
as a client past its rate would fill the log), 5xx at WARNING. Unexpected errors never reach
this module: `guard.RequestGuard` answers them with a plain 500 and logs them once, without a
traceback.
"""

import logging
from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from newswire_api.admission import TooManyRequestsError
from newswire_api.echoes import logged_path
from newswire_api.ports import (
    ArticleGoneError,
    ArticleNotFoundError,
    SearchBusyError,
    SearchRefusedError,
    SearchUnavailableError,
)
from newswire_api.responses import Problem
from newswire_api.search_request import InvalidSearchError

log = logging.getLogger(__name__)

RETRY_AFTER_S = "5"
BUSY_RETRY_AFTER_S = "1"
REQUEST_ID = "request_id"
# A logged detail is cut here: one line per failed request, whatever the client sent.
LOGGED_DETAIL_CHARS = 300


def request_id(request: Request | None) -> str | None:
    """The id `guard.RequestGuard` gave this request (None outside the app)."""
    if request is None:
        return None
    state = request.scope.get("state") or {}
    return state.get(REQUEST_ID)


def problem(
    status: int,
    detail: str,
    errors: Sequence[str] = (),
    request: Request | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    """The answer to a failed request, logged in one line when `request` is given."""
    rid = request_id(request)
    if request is not None:
        # A client past its rate would have every refusal written to the log: those are
        # counted by /metrics (`status="429"`) and logged at DEBUG only.
        level = (
            logging.DEBUG if status == 429 else logging.INFO if status < 500 else logging.WARNING
        )
        log.log(
            level,
            "request %s: %s %s answered %d: %s",
            rid,
            request.method,
            logged_path(request.url.path),
            status,
            detail[:LOGGED_DETAIL_CHARS],
        )
    body = Problem(detail=detail, errors=list(errors), request_id=rid).model_dump()
    headers = dict(headers or {})
    if status == 503:
        headers.setdefault("Retry-After", RETRY_AFTER_S)
    return JSONResponse(body, status_code=status, headers=headers or None)


def add_exception_handlers(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, _invalid_parameters)  # type: ignore[arg-type]
    app.add_exception_handler(InvalidSearchError, _invalid_search)  # type: ignore[arg-type]
    app.add_exception_handler(ArticleNotFoundError, _not_found)  # type: ignore[arg-type]
    app.add_exception_handler(ArticleGoneError, _gone)  # type: ignore[arg-type]
    app.add_exception_handler(SearchRefusedError, _refused)
    app.add_exception_handler(TooManyRequestsError, _too_many)  # type: ignore[arg-type]
    app.add_exception_handler(SearchBusyError, _busy)
    app.add_exception_handler(SearchUnavailableError, _unavailable)
    app.add_exception_handler(HTTPException, _http_error)  # type: ignore[arg-type]


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
    return problem(422, "invalid parameters: " + "; ".join(lines), lines, request)


async def _invalid_search(request: Request, error: InvalidSearchError) -> JSONResponse:
    return problem(422, str(error), [str(error)], request)


async def _not_found(request: Request, error: ArticleNotFoundError) -> JSONResponse:
    return problem(404, str(error), request=request)


async def _gone(request: Request, error: ArticleGoneError) -> JSONResponse:
    return problem(410, str(error), request=request)


async def _unavailable(request: Request, error: Exception) -> JSONResponse:
    return problem(503, str(error), request=request)


async def _busy(request: Request, error: Exception) -> JSONResponse:
    return problem(503, str(error), request=request, headers={"Retry-After": BUSY_RETRY_AFTER_S})


async def _refused(request: Request, error: Exception) -> JSONResponse:
    return problem(422, str(error), request=request)


async def _too_many(request: Request, error: TooManyRequestsError) -> JSONResponse:
    return problem(
        429, str(error), request=request, headers={"Retry-After": str(error.retry_after_s)}
    )


async def _http_error(request: Request, error: HTTPException) -> JSONResponse:
    """Starlette's own answers (an unknown path, a method a route does not take)."""
    response = problem(error.status_code, str(error.detail), request=request)
    if error.headers:
        response.headers.update(error.headers)
    return response
