"""When a file counts as complete: when its writer is done (where the system can tell), else when
it is unchanged for the settle time, seen or told by its mtime."""

from pathlib import Path

from newswire_ingest.completion import CompletionTracker, FileKind, FileState

SETTLE_S = 1.0
RECHECK_S = 5.0
NOW_NS = 1_700_000_000 * 10**9  # the wall clock in these tests
ARTICLE = Path("/inbox/article.txt")


def written(size: int, seconds_ago: float = 0.0) -> FileState:
    return FileState(FileKind.REGULAR, size, NOW_NS - int(seconds_ago * 1e9), inode=7)


def settling() -> CompletionTracker:
    """Where the system cannot tell a file's writers."""
    return CompletionTracker(SETTLE_S, RECHECK_S, writers_visible=False)


def by_writers() -> CompletionTracker:
    """Where it can (read leases on Linux)."""
    return CompletionTracker(SETTLE_S, RECHECK_S, writers_visible=True)


def test_a_file_seen_unchanged_for_the_settle_time_is_complete() -> None:
    tracker = settling()
    tracker.observe(ARTICLE, written(100), now=10.0, wall_clock_ns=NOW_NS)

    assert tracker.pop_complete(now=10.9) is None
    assert tracker.pop_complete(now=11.0) == (ARTICLE, written(100))
    assert len(tracker) == 0


def test_a_file_that_keeps_changing_is_complete_only_a_settle_time_after_its_last_change() -> None:
    tracker = settling()
    for second, size in enumerate([100, 200, 300]):
        tracker.observe(ARTICLE, written(size), now=10.0 + second, wall_clock_ns=NOW_NS + second)
        assert tracker.pop_complete(now=10.0 + second + 0.99) is None

    assert tracker.pop_complete(now=13.0) == (ARTICLE, written(300))


def test_seeing_the_same_state_again_does_not_restart_the_settle_time() -> None:
    tracker = settling()
    tracker.observe(ARTICLE, written(100), now=10.0, wall_clock_ns=NOW_NS)
    tracker.observe(ARTICLE, written(100), now=10.5, wall_clock_ns=NOW_NS)

    assert tracker.pop_complete(now=11.0) == (ARTICLE, written(100))


def test_a_file_last_modified_longer_ago_than_the_settle_time_is_complete_at_once() -> None:
    tracker = settling()
    tracker.observe(ARTICLE, written(100, seconds_ago=60), now=10.0, wall_clock_ns=NOW_NS)

    assert tracker.pop_complete(now=10.0) == (ARTICLE, written(100, seconds_ago=60))


def test_an_mtime_in_the_future_still_settles_by_watching_the_file() -> None:
    tracker = settling()
    from_a_fast_clock = written(100, seconds_ago=-3600)
    tracker.observe(ARTICLE, from_a_fast_clock, now=10.0, wall_clock_ns=NOW_NS)

    assert tracker.pop_complete(now=10.5) is None
    assert tracker.pop_complete(now=11.0) == (ARTICLE, from_a_fast_clock)


def test_each_complete_file_is_handed_out_once() -> None:
    tracker = settling()
    tracker.observe(ARTICLE, written(100, seconds_ago=60), now=10.0, wall_clock_ns=NOW_NS)
    tracker.observe(ARTICLE, written(100, seconds_ago=60), now=10.1, wall_clock_ns=NOW_NS)

    assert tracker.pop_complete(now=10.1) is not None
    assert tracker.pop_complete(now=20.0) is None


def test_next_complete_at_is_when_the_earliest_file_may_be_complete() -> None:
    tracker = settling()
    assert tracker.next_complete_at() is None
    tracker.observe(Path("/inbox/late.txt"), written(1), now=10.4, wall_clock_ns=NOW_NS)
    tracker.observe(ARTICLE, written(1), now=10.0, wall_clock_ns=NOW_NS)

    assert tracker.next_complete_at() == 11.0
    assert [tracker.pop_complete(now=11.4), tracker.pop_complete(now=11.4)] == [
        (ARTICLE, written(1)),
        (Path("/inbox/late.txt"), written(1)),
    ]


def test_where_writers_are_visible_a_file_is_tried_as_soon_as_it_is_seen() -> None:
    tracker = by_writers()
    tracker.observe(ARTICLE, written(100), now=10.0, wall_clock_ns=NOW_NS)

    assert tracker.pop_complete(now=10.0) == (ARTICLE, written(100))


def test_a_file_being_written_waits_for_its_close_however_long_the_writer_pauses() -> None:
    tracker = by_writers()
    tracker.still_writing(ARTICLE, written(100), now=10.0)
    for second in range(1, 4):  # writes and rescans do not bring it forward
        tracker.observe(ARTICLE, written(100 + second), now=10.0 + second, wall_clock_ns=NOW_NS)
        assert tracker.pop_complete(now=10.0 + second) is None

    tracker.observe(ARTICLE, written(200), now=13.5, wall_clock_ns=NOW_NS, closed=True)

    assert tracker.pop_complete(now=13.5) == (ARTICLE, written(200))


def test_a_file_being_written_is_looked_at_again_when_no_close_event_comes() -> None:
    tracker = by_writers()
    tracker.still_writing(ARTICLE, written(100), now=10.0)

    assert tracker.pop_complete(now=14.9) is None
    assert tracker.pop_complete(now=15.0) == (ARTICLE, written(100))


def test_a_file_whose_writers_cannot_be_told_completes_by_settling() -> None:
    tracker = by_writers()
    tracker.writers_unknown(ARTICLE, written(100), now=10.0, wall_clock_ns=NOW_NS)

    assert tracker.pop_complete(now=10.5) is None
    assert tracker.pop_complete(now=11.0) == (ARTICLE, written(100))


def test_a_file_whose_handling_failed_is_not_handed_out_before_its_retry_time() -> None:
    tracker = by_writers()
    tracker.retry_later(ARTICLE, written(100), now=10.0, delay_s=4.0)
    tracker.observe(ARTICLE, written(100), now=11.0, wall_clock_ns=NOW_NS, closed=True)

    assert tracker.pop_complete(now=13.9) is None
    assert tracker.pop_complete(now=14.0) == (ARTICLE, written(100))
