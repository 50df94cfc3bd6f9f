"""Retrying what is transient, without limit, with exponential backoff and full jitter.

A search index that fails for a while (Elasticsearch answering 429 or 5xx, or unreachable; the
embedded SQLite index locked by another writer) is waited for, never given up on: nothing is
committed until the write succeeds, so giving up would only stop the service and have the same
messages read again. Random waits keep several writers from retrying in step. The index writers
set this up here, the same way; each says which error is transient, how fast to back off, and
what to do (log, count) before each wait.
"""

from collections.abc import Callable
from dataclasses import dataclass

from tenacity import RetryCallState, Retrying, retry_if_exception_type, wait_random_exponential


@dataclass(frozen=True)
class FailedAttempt:
    """An attempt that failed with a transient error, about to be tried again."""

    number: int
    """1 for the first attempt."""
    error: BaseException | None
    wait_s: float
    """How long until the next attempt."""


def retrying_with_backoff(
    transient: type[BaseException],
    *,
    multiplier: float,
    max_backoff_s: float,
    on_retry: Callable[[FailedAttempt], None],
    sleep: Callable[[float], None],
) -> Retrying:
    """Retries while an attempt raises `transient`: after the n-th failed attempt, waits a random
    time up to `multiplier * 2**(n-1)` seconds, never more than `max_backoff_s`; `sleep(seconds)`
    passes the time. Any other error is raised at once, as it is."""

    def before_sleep(state: RetryCallState) -> None:
        error = state.outcome.exception() if state.outcome else None
        on_retry(FailedAttempt(state.attempt_number, error, state.upcoming_sleep))

    return Retrying(
        retry=retry_if_exception_type(transient),
        wait=wait_random_exponential(multiplier=multiplier, max=max_backoff_s),
        sleep=sleep,
        before_sleep=before_sleep,
        reraise=True,
    )
