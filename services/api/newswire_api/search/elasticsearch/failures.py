"""Elasticsearch's failures as the port's errors, each with the message the client reads.

Only this back-end knows Elasticsearch's exceptions: the HTTP layer sees `SearchUnavailableError`
(503, try again later) and `SearchRefusedError` (422, change the request). Any other exception
propagates as it is, answered like any bug with a logged 500.
"""

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from elastic_transport import ConnectionError as TransportConnectionError
from elastic_transport import ConnectionTimeout
from elasticsearch import ApiError

from newswire_api.ports import SearchRefusedError, SearchUnavailableError

log = logging.getLogger(__name__)

UNREACHABLE = "search is unavailable right now (Elasticsearch did not answer in time)"
NOTHING_INDEXED = "there is no article index yet: nothing has been indexed"
OVERLOADED = "search is overloaded right now"
UNAVAILABLE = "search is unavailable right now"
OVER_BUDGET = (
    "search ran past its time budget and was stopped: narrow it (fewer alternatives, a filter) "
    "or try again later"
)


@contextmanager
def translated_failures() -> Iterator[None]:
    """Run a request to Elasticsearch, raising its failures as the port's errors."""
    try:
        yield
    except (TransportConnectionError, ConnectionTimeout) as error:
        raise SearchUnavailableError(UNREACHABLE) from error
    except ApiError as error:
        raise _translated(error) from error


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
