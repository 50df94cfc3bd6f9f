"""The inbox on a real file system: what it finds, what it reads, and how files leave it."""

import json
import os
from pathlib import Path

import pytest

from newswire.settings import Settings
from newswire_ingest.article import FileRejectedError
from newswire_ingest.completion import FileKind, FileState
from newswire_ingest.inbox import FileBeingWrittenError, FileChangedError, Inbox, InboxSetupError

WRITERS_NAMES = Settings().ingest_ignore_patterns


@pytest.fixture
def inbox(tmp_path: Path) -> Inbox:
    return Inbox(tmp_path / "inbox", tmp_path / "processed", tmp_path / "failed", WRITERS_NAMES)


def write(path: Path, data: bytes = b"A story.\n") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def found(inbox: Inbox) -> set[str]:
    return {inbox.relative_name(path) for path, _ in inbox.scan()}


def state(inbox: Inbox, path: Path) -> FileState:
    observed = inbox.state_of(path)
    assert observed is not None
    return observed


def test_a_scan_finds_files_in_nested_folders_but_not_names_writers_use_while_writing(
    inbox: Inbox,
) -> None:
    for name in ["a.txt", "world/b.txt", "world/asia/c.txt", "d e/ünï “odd” & $x.txt"]:
        write(inbox.root / name)
    for name in [".d.txt", "e.txt.tmp", "f.part", "g.txt~", "h.crdownload", ".staging/i.txt"]:
        write(inbox.root / name)

    assert found(inbox) == {"a.txt", "world/b.txt", "world/asia/c.txt", "d e/ünï “odd” & $x.txt"}


def test_processed_and_failed_areas_inside_the_inbox_are_not_scanned(tmp_path: Path) -> None:
    root = tmp_path / "inbox"
    inbox = Inbox(root, root / "processed", root / "failed", WRITERS_NAMES)
    write(root / "new.txt")
    write(root / "processed/old.txt")
    write(root / "failed/bad.txt")

    assert found(inbox) == {"new.txt"}
    assert list(inbox.look_at(root / "processed/old.txt")) == []


def test_links_are_reported_as_links_and_linked_folders_are_not_entered(
    inbox: Inbox, tmp_path: Path
) -> None:
    outside = write(tmp_path / "outside/secret.txt", b"secret")
    (inbox.root / "secret-link.txt").symlink_to(outside)
    (inbox.root / "folder-link").symlink_to(outside.parent)

    kinds = {inbox.relative_name(path): found.kind for path, found in inbox.scan()}

    assert kinds == {"secret-link.txt": FileKind.SYMLINK, "folder-link": FileKind.SYMLINK}
    assert list(inbox.look_at(inbox.root / "folder-link/secret.txt")) == []


def test_an_event_for_a_new_folder_brings_every_file_in_it(inbox: Inbox) -> None:
    write(inbox.root / "batch/one.txt")
    write(inbox.root / "batch/deeper/two.txt")
    write(inbox.root / "batch/.three.txt.part")

    brought = {inbox.relative_name(path) for path, _ in inbox.look_at(inbox.root / "batch")}

    assert brought == {"batch/one.txt", "batch/deeper/two.txt"}


def test_an_event_for_the_inbox_itself_brings_every_file_as_a_scan_does(tmp_path: Path) -> None:
    root = tmp_path / "inbox"
    inbox = Inbox(root, root / "processed", root / "failed", WRITERS_NAMES)
    for name in ["a.txt", "world/b.txt", "processed/old.txt", ".c.txt.part"]:
        write(root / name)

    brought = {inbox.relative_name(path) for path, _ in inbox.look_at(root)}

    assert brought == {"a.txt", "world/b.txt"} == found(inbox)


def test_a_name_that_is_not_utf8_is_shown_with_escapes(inbox: Inbox) -> None:
    path = write(Path(os.fsdecode(bytes(inbox.root) + b"/caf\xe9.txt")))

    assert inbox.relative_name(path) == "caf\\xe9.txt"


def test_reading_returns_the_whole_file(inbox: Inbox) -> None:
    path = write(inbox.root / "a.txt", b"x" * 10_000)

    assert inbox.read(path, state(inbox, path), max_bytes=10_000) == b"x" * 10_000


def test_a_file_over_the_size_limit_is_rejected_without_reading_it(inbox: Inbox) -> None:
    path = write(inbox.root / "big.txt", b"x" * 10_001)

    with pytest.raises(FileRejectedError, match="10,001 bytes, over the limit of 10,000") as error:
        inbox.read(path, state(inbox, path), max_bytes=10_000)
    assert error.value.error_type == "too_large"


def test_a_link_is_rejected_and_never_opened(inbox: Inbox, tmp_path: Path) -> None:
    link = inbox.root / "link.txt"
    link.symlink_to(write(tmp_path / "outside.txt"))

    with pytest.raises(FileRejectedError, match="symbolic link") as error:
        inbox.read(link, state(inbox, link), max_bytes=10_000)
    assert error.value.error_type == "not_a_regular_file"


def test_a_file_that_grew_since_it_was_seen_is_not_read(inbox: Inbox) -> None:
    path = write(inbox.root / "a.txt", b"first half")
    seen = state(inbox, path)
    with path.open("ab") as file:
        file.write(b", second half")

    with pytest.raises(FileChangedError):
        inbox.read(path, seen, max_bytes=10_000)


def test_a_file_replaced_since_it_was_seen_is_not_moved(inbox: Inbox) -> None:
    path = write(inbox.root / "a.txt", b"old")
    seen = state(inbox, path)
    write(inbox.root / "replacement.txt", b"new!").rename(path)

    with pytest.raises(FileChangedError):
        inbox.move_to_processed(path, seen)
    assert path.read_bytes() == b"new!"


def test_a_processed_file_keeps_its_path_and_never_overwrites_another(inbox: Inbox) -> None:
    first = write(inbox.root / "world/a.txt", b"first")
    assert inbox.move_to_processed(first, state(inbox, first)) == inbox.processed / "world/a.txt"
    second = write(inbox.root / "world/a.txt", b"second")

    moved = inbox.move_to_processed(second, state(inbox, second))

    assert moved == inbox.processed / "world/a (2).txt"
    assert (inbox.processed / "world/a.txt").read_bytes() == b"first"
    assert moved.read_bytes() == b"second"
    assert not second.exists()


def test_a_move_interrupted_after_the_link_is_completed_by_the_next_move(inbox: Inbox) -> None:
    path = write(inbox.root / "a.txt")
    (inbox.processed / "a.txt").hardlink_to(path)  # where a killed run stopped

    assert inbox.move_to_processed(path, state(inbox, path)) == inbox.processed / "a.txt"
    assert not path.exists()
    assert list(inbox.processed.iterdir()) == [inbox.processed / "a.txt"]


def test_a_failed_file_moves_with_its_reason_beside_it(inbox: Inbox) -> None:
    path = write(inbox.root / "photos/cat.gif", b"GIF89a\x00")

    moved = inbox.move_to_failed(path, state(inbox, path), '{"error_type": "binary"}')

    assert moved == inbox.failed / "photos/cat.gif"
    reason = inbox.failed / "photos/cat.gif.reason.json"
    assert json.loads(reason.read_text()) == {"error_type": "binary"}
    assert sorted(p.name for p in moved.parent.iterdir()) == ["cat.gif", "cat.gif.reason.json"]


def test_a_published_file_can_be_deleted_instead(inbox: Inbox) -> None:
    path = write(inbox.root / "a.txt")

    inbox.delete(path, state(inbox, path))

    assert not path.exists()
    assert list(inbox.processed.iterdir()) == []


def test_areas_on_another_file_system_are_refused(tmp_path: Path) -> None:
    other = Path("/dev/shm")
    if not other.is_dir() or other.stat().st_dev == tmp_path.stat().st_dev:
        pytest.skip("no second file system to try")
    elsewhere = other / f"newswire-test-{os.getpid()}"
    try:
        with pytest.raises(InboxSetupError, match=r"can't be moved .* atomically"):
            Inbox(tmp_path / "inbox", elsewhere, tmp_path / "failed", WRITERS_NAMES)
    finally:
        elsewhere.rmdir()


@pytest.mark.parametrize("vanishes", ["before the move", "between its check and the move"])
def test_a_file_gone_when_it_should_move_is_reported_as_changed(
    inbox: Inbox, monkeypatch: pytest.MonkeyPatch, vanishes: str
) -> None:
    path = write(inbox.root / "world/a.txt")
    seen = state(inbox, path)
    path.unlink()
    if vanishes == "between its check and the move":
        monkeypatch.setattr(inbox, "_ensure_unchanged", lambda *_: None)

    with pytest.raises(FileChangedError):
        inbox.move_to_processed(path, seen)


def test_a_file_open_for_writing_is_not_read_until_its_writer_closes_it(inbox: Inbox) -> None:
    assert inbox.writers_visible, "read leases work on this machine's temporary folder"
    path = inbox.root / "slow.txt"
    with path.open("wb") as writer:
        writer.write(b"First paragraph.\n\n")
        writer.flush()
        with pytest.raises(FileBeingWrittenError):
            inbox.read(path, state(inbox, path), max_bytes=1000)
        writer.write(b"Second paragraph.\n")

    assert inbox.read(path, state(inbox, path), max_bytes=1000).endswith(b"Second paragraph.\n")


def test_a_name_too_long_to_number_in_processed_gets_a_short_unique_one(inbox: Inbox) -> None:
    name = "n" * 251 + ".txt"  # 255 bytes: NAME_MAX
    first = inbox.move_to_processed(*_dropped(inbox, name, b"one"))
    second = inbox.move_to_processed(*_dropped(inbox, name, b"two"))

    assert first.name == name
    assert len(os.fsencode(second.name)) <= 255
    assert second.name.startswith("nnn")
    assert second.name.endswith(".txt")
    assert (first.read_bytes(), second.read_bytes()) == (b"one", b"two")


def test_a_long_name_fails_with_its_reason_beside_it(inbox: Inbox) -> None:
    name = "é" * 120 + ".json"  # 245 bytes: the reason's name would be over NAME_MAX
    target = inbox.move_to_failed(*_dropped(inbox, name, b"{"), reason_json='{"why": 1}')

    assert target.parent == inbox.failed
    assert target.name.endswith(".json")
    assert target.name.startswith("é")
    assert json.loads(target.with_name(target.name + ".reason.json").read_text()) == {"why": 1}
    assert not (inbox.root / name).exists()


def test_a_path_too_long_for_a_deeper_area_is_shortened_there(tmp_path: Path) -> None:
    deep = tmp_path / ("d" * 200) / ("e" * 200) / ("f" * 200)
    inbox = Inbox(tmp_path / "inbox", deep / "processed", deep / "failed", WRITERS_NAMES)
    folders = "/".join(["g" * 250] * 14)  # about 3,500 bytes: fits the inbox, not `deep`
    target = inbox.move_to_processed(*_dropped(inbox, f"{folders}/story.txt", b"text"))

    assert target.read_bytes() == b"text"
    assert len(os.fsencode(target)) < 4096
    assert target.is_relative_to(inbox.processed)


def test_a_name_that_is_not_utf8_travels_losslessly_and_finds_its_file_again(
    inbox: Inbox,
) -> None:
    path, observed = _dropped(inbox, os.fsdecode(b"world/caf\xe9 \\x41.txt"), b"text")
    relative = inbox.relative_name(path)
    inbox.move_to_processed(path, observed)

    assert relative == "world/caf\\xe9 \\\\x41.txt"
    moved = inbox.fail_published(relative, '{"why": "enrich refused it"}')
    assert moved is not None
    assert os.fsencode(moved).endswith(b"world/caf\xe9 \\x41.txt")


def _dropped(inbox: Inbox, name: str, data: bytes) -> tuple[Path, FileState]:
    path = write(inbox.root / name, data)
    return path, state(inbox, path)


def test_a_file_whose_folder_name_is_taken_by_a_file_there_still_moves(inbox: Inbox) -> None:
    inbox.move_to_processed(*_dropped(inbox, "world", b"a file called world"))
    target = inbox.move_to_processed(*_dropped(inbox, "world/story.txt", b"a story"))

    assert target.read_bytes() == b"a story"
    assert target.parent == inbox.processed
    assert (inbox.processed / "world").read_bytes() == b"a file called world"


def test_a_name_dropped_again_where_a_file_holds_its_folder_name_gets_a_new_unique_name(
    inbox: Inbox,
) -> None:
    inbox.move_to_processed(*_dropped(inbox, "4", b"a file called 4"))
    first = inbox.move_to_processed(*_dropped(inbox, "4/4", b"first"))
    second = inbox.move_to_processed(*_dropped(inbox, "4/4", b"second"))

    assert first != second
    assert (first.read_bytes(), second.read_bytes()) == (b"first", b"second")
