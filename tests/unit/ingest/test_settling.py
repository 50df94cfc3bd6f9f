"""When a file counts as complete: unchanged for the settle time, seen or told by its mtime."""

from pathlib import Path

from newswire_ingest.settling import FileKind, FileState, SettleTracker

SETTLE_S = 1.0
NOW_NS = 1_700_000_000 * 10**9  # the wall clock in these tests
ARTICLE = Path("/inbox/article.txt")


def written(size: int, seconds_ago: float = 0.0) -> FileState:
    return FileState(FileKind.REGULAR, size, NOW_NS - int(seconds_ago * 1e9), inode=7)


def test_a_file_seen_unchanged_for_the_settle_time_is_complete() -> None:
    tracker = SettleTracker(SETTLE_S)
    tracker.observe(ARTICLE, written(100), now=10.0, wall_clock_ns=NOW_NS)

    assert tracker.pop_complete(now=10.9) is None
    assert tracker.pop_complete(now=11.0) == (ARTICLE, written(100))
    assert len(tracker) == 0


def test_a_file_that_keeps_changing_is_complete_only_a_settle_time_after_its_last_change() -> None:
    tracker = SettleTracker(SETTLE_S)
    for second, size in enumerate([100, 200, 300]):
        tracker.observe(ARTICLE, written(size), now=10.0 + second, wall_clock_ns=NOW_NS + second)
        assert tracker.pop_complete(now=10.0 + second + 0.99) is None

    assert tracker.pop_complete(now=13.0) == (ARTICLE, written(300))


def test_seeing_the_same_state_again_does_not_restart_the_settle_time() -> None:
    tracker = SettleTracker(SETTLE_S)
    tracker.observe(ARTICLE, written(100), now=10.0, wall_clock_ns=NOW_NS)
    tracker.observe(ARTICLE, written(100), now=10.5, wall_clock_ns=NOW_NS)

    assert tracker.pop_complete(now=11.0) == (ARTICLE, written(100))


def test_a_file_last_modified_longer_ago_than_the_settle_time_is_complete_at_once() -> None:
    tracker = SettleTracker(SETTLE_S)
    tracker.observe(ARTICLE, written(100, seconds_ago=60), now=10.0, wall_clock_ns=NOW_NS)

    assert tracker.pop_complete(now=10.0) == (ARTICLE, written(100, seconds_ago=60))


def test_an_mtime_in_the_future_still_settles_by_watching_the_file() -> None:
    tracker = SettleTracker(SETTLE_S)
    from_a_fast_clock = written(100, seconds_ago=-3600)
    tracker.observe(ARTICLE, from_a_fast_clock, now=10.0, wall_clock_ns=NOW_NS)

    assert tracker.pop_complete(now=10.5) is None
    assert tracker.pop_complete(now=11.0) == (ARTICLE, from_a_fast_clock)


def test_each_complete_file_is_handed_out_once() -> None:
    tracker = SettleTracker(SETTLE_S)
    tracker.observe(ARTICLE, written(100, seconds_ago=60), now=10.0, wall_clock_ns=NOW_NS)
    tracker.observe(ARTICLE, written(100, seconds_ago=60), now=10.1, wall_clock_ns=NOW_NS)

    assert tracker.pop_complete(now=10.1) is not None
    assert tracker.pop_complete(now=20.0) is None


def test_next_complete_at_is_when_the_earliest_file_may_be_complete() -> None:
    tracker = SettleTracker(SETTLE_S)
    assert tracker.next_complete_at() is None
    tracker.observe(Path("/inbox/late.txt"), written(1), now=10.4, wall_clock_ns=NOW_NS)
    tracker.observe(ARTICLE, written(1), now=10.0, wall_clock_ns=NOW_NS)

    assert tracker.next_complete_at() == 11.0
    assert [tracker.pop_complete(now=11.4), tracker.pop_complete(now=11.4)] == [
        (ARTICLE, written(1)),
        (Path("/inbox/late.txt"), written(1)),
    ]
