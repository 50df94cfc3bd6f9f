"""Elasticsearch's failures as the port's errors, each with the message the client reads.

Only this back-end knows Elasticsearch's exceptions: the HTTP layer sees `SearchUnavailableError`
(503, try again later) and `SearchRefusedError` (422, change the request). Any other exception
propagates as it is, answered like any bug with a logged 500.
"""

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from elastic_transport import ConnectionError as TransportConnectionError
from elastic_transport import ConnectionTimeout, TlsError
from elasticsearch import ApiError

from newswire_api.ports import SearchRefusedError, SearchUnavailableError

log = logging.getLogger(__name__)

UNREACHABLE = "search is unavailable right now (Elasticsearch did not answer in time)"
NOTHING_INDEXED = "there is no article index yet: nothing has been indexed"
OVERLOADED = "search is overloaded right now"
UNAVAILABLE = "search is unavailable right now"
REFUSED = (
    "search is unavailable right now: Elasticsearch refuses the API's connection (its operator "
    "finds why in the API's log)"
)
OVER_BUDGET = (
    "search ran past its time budget and was stopped: narrow it (fewer alternatives, a filter) "
    "or try again later"
)


AccessProblem = Callable[[Exception], str | None]
"""What a failure means for the API's access, in one line naming the setting that fixes it
(`newswire.adapters.elasticsearch.access_problem`), or None."""

_told: set[str] = set()  # the access problems logged already: one line each, not one per request


@contextmanager
def translated_failures(access_problem: AccessProblem = lambda _: None) -> Iterator[None]:
    """Run a request to Elasticsearch, raising its failures as the port's errors. A refusal of
    the API's own access (credentials, privileges, TLS) is logged once, with what fixes it, and
    answered 503 without those details (they are the operator's, not the client's)."""
    try:
        yield
    except (TransportConnectionError, ConnectionTimeout) as error:
        # A TLS failure is the API's configuration; a refused or timed-out connection is not.
        problem = access_problem(error) if isinstance(error, TlsError) else None
        raise _refused(problem) or SearchUnavailableError(UNREACHABLE) from error
    except ApiError as error:
        problem = access_problem(error) if error.status_code in (401, 403) else None
        raise _refused(problem) or _translated(error) from error


def _refused(problem: str | None) -> SearchUnavailableError | None:
    if problem is None:
        return None
    if problem not in _told:
        _told.add(problem)
        log.error("%s", problem)
    return SearchUnavailableError(REFUSED)


def _translated(error: ApiError) -> Exception:
    if error.status_code == 404:  # the alias or index is missing: nothing indexed yet
        return SearchUnavailableError(NOTHING_INDEXED)
    if error.status_code == 429:
        return SearchUnavailableError(OVERLOADED)
    if error.status_code == 400:
        # Parameters passed validation, so this is a limit such as too many timeline buckets.
        return SearchRefusedError(f"Elasticsearch cannot run this search: {_reason(error)}")
    log.error("Elasticsearch refused a search: %s", error)
    return SearchUnavailableError(UNAVAILABLE)


def _reason(error: ApiError) -> str:
    body = error.body if isinstance(error.body, dict) else {}
    causes = body.get("error", {}).get("root_cause") or [body.get("error", {})]
    reason = causes[0].get("reason") if causes and isinstance(causes[0], dict) else None
    return str(reason or error.message)
