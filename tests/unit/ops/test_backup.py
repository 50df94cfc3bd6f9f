"""`newswire backup` copies the embedded databases as one consistent snapshot each while they are
written, and `newswire restore-backup` puts them back only when nothing has them open."""

import json
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pytest

from newswire.embedded.sqlite import connect
from newswire_ops import backup
from newswire_ops.backup import MANIFEST, BackupError, Manifest, back_up, restore
from newswire_ops.cli import main


def _database(path: Path, pairs: int = 200) -> Path:
    """A WAL database like the embedded ones: `pairs` rows in each of two tables that are only
    ever written together (a copy from one snapshot has as many in both)."""
    with closing(connect(path)) as connection:
        connection.execute("CREATE TABLE a (payload BLOB)")
        connection.execute("CREATE TABLE b (payload BLOB)")
        connection.execute("PRAGMA user_version = 4")
        connection.execute("BEGIN IMMEDIATE")
        for _ in range(pairs):
            connection.execute("INSERT INTO a VALUES (randomblob(2000))")
            connection.execute("INSERT INTO b VALUES (randomblob(2000))")
        connection.execute("COMMIT")
    return path


def _counts(path: Path) -> tuple[int, int]:
    with closing(sqlite3.connect(path)) as connection:
        (a,) = connection.execute("SELECT count(*) FROM a").fetchone()
        (b,) = connection.execute("SELECT count(*) FROM b").fetchone()
    return a, b


@pytest.fixture
def databases(tmp_path: Path) -> dict[str, Path]:
    data = tmp_path / "data"
    data.mkdir()
    return {
        "event-log": _database(data / "event-log.sqlite3"),
        "search-index": _database(data / "search-index.sqlite3", pairs=50),
    }


@pytest.fixture
def writing(databases: dict[str, Path]) -> Iterator[threading.Event]:
    """Another connection writing pairs into the event log without pause until set."""
    stop = threading.Event()

    def write() -> None:
        with closing(connect(databases["event-log"])) as connection:
            while not stop.is_set():
                connection.execute("BEGIN IMMEDIATE")
                connection.execute("INSERT INTO a VALUES (randomblob(2000))")
                connection.execute("INSERT INTO b VALUES (randomblob(2000))")
                connection.execute("COMMIT")

    writer = threading.Thread(target=write)
    writer.start()
    yield stop
    stop.set()
    writer.join()


def test_a_backup_under_steady_writes_finishes_with_one_consistent_file_per_database(
    databases: dict[str, Path],
    writing: threading.Event,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Many small steps, each followed by writes: a backup without one snapshot would restart
    # after each of them and never finish.
    monkeypatch.setattr(backup, "STEP_PAGES", 8)
    folder = tmp_path / "backup"

    manifest = back_up(databases, folder)

    writing.set()
    assert sorted(path.name for path in folder.iterdir()) == [
        "event-log.sqlite3",
        MANIFEST,
        "search-index.sqlite3",
    ]
    a, b = _counts(folder / "event-log.sqlite3")
    assert a == b >= 200
    assert _counts(databases["event-log"])[0] > a  # the writer went on meanwhile
    assert _counts(folder / "search-index.sqlite3") == (50, 50)
    with closing(sqlite3.connect(folder / "event-log.sqlite3")) as copy:
        assert copy.execute("PRAGMA journal_mode").fetchone() == ("delete",)
    assert [copied.name for copied in manifest.databases] == ["event-log", "search-index"]
    written = json.loads((folder / MANIFEST).read_text())
    assert written["databases"][0]["bytes"] == (folder / "event-log.sqlite3").stat().st_size
    assert written["databases"][0]["schema_version"] == 4
    assert Manifest.read(folder) == manifest


def test_a_backup_goes_only_into_a_new_or_empty_folder(
    databases: dict[str, Path], tmp_path: Path
) -> None:
    folder = tmp_path / "backup"
    back_up(databases, folder)
    with pytest.raises(BackupError, match="is not empty"):
        back_up(databases, folder)


def test_a_missing_database_is_named(databases: dict[str, Path], tmp_path: Path) -> None:
    with pytest.raises(BackupError, match=r"nowhere\.sqlite3 does not exist"):
        back_up({"event-log": tmp_path / "nowhere.sqlite3"}, tmp_path / "backup")


def test_a_restore_puts_back_the_backed_up_state_in_wal_mode(
    databases: dict[str, Path], tmp_path: Path
) -> None:
    back_up(databases, tmp_path / "backup")
    fresh = {name: tmp_path / "fresh" / path.name for name, path in databases.items()}

    restore(tmp_path / "backup", fresh)

    assert _counts(fresh["event-log"]) == (200, 200)
    assert _counts(fresh["search-index"]) == (50, 50)
    with closing(connect(fresh["event-log"])) as reopened:  # as a service opens it
        assert reopened.execute("PRAGMA quick_check").fetchone() == ("ok",)
        assert reopened.execute("PRAGMA journal_mode").fetchone() == ("wal",)


def test_a_restore_refuses_while_a_database_is_open(
    databases: dict[str, Path], tmp_path: Path
) -> None:
    back_up(databases, tmp_path / "backup")
    with closing(connect(databases["search-index"])) as service:
        service.execute("SELECT count(*) FROM a").fetchone()  # a service holds it open
        with pytest.raises(BackupError, match=r"search-index\.sqlite3 is in use"):
            restore(tmp_path / "backup", databases, replace=True)
    restore(tmp_path / "backup", databases, replace=True)


def test_a_restore_replaces_existing_files_only_when_told(
    databases: dict[str, Path], tmp_path: Path
) -> None:
    back_up(databases, tmp_path / "backup")
    with closing(connect(databases["event-log"])) as later:
        later.execute("INSERT INTO a VALUES (1)")
    with pytest.raises(BackupError, match="add --replace"):
        restore(tmp_path / "backup", databases)
    assert _counts(databases["event-log"]) == (201, 200)

    restore(tmp_path / "backup", databases, replace=True)

    assert _counts(databases["event-log"]) == (200, 200)


def test_a_damaged_backup_is_not_restored(databases: dict[str, Path], tmp_path: Path) -> None:
    back_up(databases, tmp_path / "backup")
    with (tmp_path / "backup" / "search-index.sqlite3").open("r+b") as copy:
        copy.seek(5000)
        copy.write(b"damage")
    with pytest.raises(BackupError, match="not what the backup wrote"):
        restore(tmp_path / "backup", {name: tmp_path / "fresh" / name for name in databases})
    assert not (tmp_path / "fresh").exists()


def test_the_commands_back_up_and_restore_the_configured_data_folder(
    databases: dict[str, Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    for variable in ("KAFKA_BOOTSTRAP_SERVERS", "ELASTICSEARCH_URL"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("NEWSWIRE_DATA_DIR", str(tmp_path / "data"))
    assert main(["backup", str(tmp_path / "backup")]) == 0
    assert "event-log: " in capsys.readouterr().out

    monkeypatch.setenv("NEWSWIRE_DATA_DIR", str(tmp_path / "restored"))
    assert main(["restore-backup", str(tmp_path / "backup")]) == 0
    assert "restored event-log, search-index of " in capsys.readouterr().out
    assert _counts(tmp_path / "restored" / "event-log.sqlite3") == (200, 200)
    assert main(["restore-backup", str(tmp_path / "nothing")]) == 1
    assert "has no manifest.json" in capsys.readouterr().err
