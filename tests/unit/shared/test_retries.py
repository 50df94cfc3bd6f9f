"""Transient failures are retried without limit, with random waits that grow up to a maximum."""

import pytest

from newswire.retries import FailedAttempt, retrying_with_backoff


class Flaky:
    """Fails with the scripted errors, one per call, then succeeds."""

    def __init__(self, *errors: Exception) -> None:
        self.errors = list(errors)
        self.calls = 0

    def __call__(self) -> str:
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        return "done"


def run(flaky: Flaky, waited: list[float], retries: list[FailedAttempt], **backoff: float) -> str:
    retrying = retrying_with_backoff(
        TimeoutError,
        multiplier=backoff.get("multiplier", 1.0),
        max_backoff_s=backoff.get("max_backoff_s", 30.0),
        on_retry=retries.append,
        sleep=waited.append,
    )
    return retrying(flaky)


def test_a_transient_error_is_retried_until_the_attempt_succeeds() -> None:
    flaky = Flaky(*[TimeoutError(f"try {n}") for n in range(1, 21)])
    waited: list[float] = []

    assert run(flaky, waited, [], max_backoff_s=0.01) == "done"

    assert flaky.calls == 21
    assert len(waited) == 20


def test_the_waits_are_random_and_grow_exponentially_up_to_the_maximum() -> None:
    waited: list[float] = []

    run(Flaky(*[TimeoutError() for _ in range(8)]), waited, [], multiplier=0.5, max_backoff_s=4)

    ceilings = [min(4.0, 0.5 * 2 ** (n - 1)) for n in range(1, 9)]
    assert all(0 <= wait <= ceiling for wait, ceiling in zip(waited, ceilings, strict=True))


def test_each_failed_attempt_is_reported_before_its_wait() -> None:
    first, second = TimeoutError("first"), TimeoutError("second")
    waited: list[float] = []
    retries: list[FailedAttempt] = []

    run(Flaky(first, second), waited, retries)

    assert [(retry.number, retry.error) for retry in retries] == [(1, first), (2, second)]
    assert [retry.wait_s for retry in retries] == waited


def test_an_error_that_is_not_transient_is_raised_at_once() -> None:
    flaky = Flaky(ValueError("for good"))
    with pytest.raises(ValueError, match="for good"):
        run(flaky, [], [])
    assert flaky.calls == 1
